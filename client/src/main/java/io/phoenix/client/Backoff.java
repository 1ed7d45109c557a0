package io.phoenix.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: the n-th retry (counting from 0) waits a random time
 * between 0 and {@code min(max, initial × 2^n)}, so that many clients cut off at once do not
 * come back at once.
 *
 * <p>Immutable; thread-safe.
 *
 * @param initial the ceiling of the first delay
 * @param max the largest ceiling
 */
public record Backoff(Duration initial, Duration max) {
  /** 100 ms doubling up to 5 s. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

  public Backoff {
    if (initial.toMillis() < 1 || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 1 ms <= initial <= max");
    }
  }

  /** The ceiling of retry {@code attempt} (0-based), in milliseconds. */
  public long ceilingMillis(int attempt) {
    long ceiling = initial.toMillis() << Math.min(Math.max(attempt, 0), 30);
    return ceiling <= 0 ? max.toMillis() : Math.min(ceiling, max.toMillis());
  }

  /** A random delay for retry {@code attempt} (0-based), at least 1 ms (Vert.x timers need it). */
  public long delayMillis(int attempt) {
    return 1 + ThreadLocalRandom.current().nextLong(ceilingMillis(attempt));
  }
}

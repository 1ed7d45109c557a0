package io.phoenix.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff: the ceiling of the n-th retry (counting from 0) is
 * {@code min(max, initial × 2^n)}. With jitter (the default) the delay is a random time between
 * 0 and the ceiling ("full jitter"), so that many clients cut off at once do not come back at
 * once; without it the delay is the ceiling itself, for a single interactive client whose
 * retries a person watches (the {@code chat} command: 1 s, 2 s, 4 s, … 30 s).
 *
 * <p>Immutable; thread-safe.
 *
 * @param initial the ceiling of the first delay
 * @param max the largest ceiling
 * @param jitter whether delays are drawn at random below the ceiling
 */
public record Backoff(Duration initial, Duration max, boolean jitter) {
  /** 100 ms doubling up to 5 s, full jitter. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

  public Backoff {
    if (initial.toMillis() < 1 || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 1 ms <= initial <= max");
    }
  }

  /** A backoff with full jitter. */
  public Backoff(Duration initial, Duration max) {
    this(initial, max, true);
  }

  /** The ceiling of retry {@code attempt} (0-based), in milliseconds. */
  public long ceilingMillis(int attempt) {
    long ceiling = initial.toMillis() << Math.min(Math.max(attempt, 0), 30);
    return ceiling <= 0 ? max.toMillis() : Math.min(ceiling, max.toMillis());
  }

  /**
   * The delay of retry {@code attempt} (0-based): the ceiling, or with jitter a random delay
   * below it; at least 1 ms (Vert.x timers need it).
   */
  public long delayMillis(int attempt) {
    long ceiling = ceilingMillis(attempt);
    return jitter ? 1 + ThreadLocalRandom.current().nextLong(ceiling) : Math.max(1, ceiling);
  }
}

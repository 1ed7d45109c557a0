package io.phoenix.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a repeated warning through at most once per interval, so that a condition that hits
 * every client alike (no sockets left, a full node) logs one line, not one per connection.
 *
 * <p>Thread-safe.
 */
final class WarnEvery {
  private final long intervalNanos;
  /** When a warning last went through ({@code System.nanoTime}); far in the past at first. */
  private final AtomicLong last = new AtomicLong(System.nanoTime() - TimeUnit.DAYS.toNanos(1));

  WarnEvery(long intervalMs) {
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
  }

  /** Whether this warning may be logged now; when true, the next one waits an interval. */
  boolean now() {
    long now = System.nanoTime();
    long before = last.get();
    return now - before >= intervalNanos && last.compareAndSet(before, now);
  }
}

package io.phoenix.session;

/**
 * A token bucket: {@code perSecond} tokens a second, holding at most one second's worth, so a
 * client may burst up to its rate and then sustain it.
 *
 * <p>Not thread-safe: one per session, used on its context.
 */
final class RateLimiter {
  private final double perNano;
  private final double capacity;
  private double tokens;
  private long last;

  RateLimiter(int perSecond, long nowNanos) {
    this.perNano = perSecond / 1e9;
    this.capacity = perSecond;
    this.tokens = perSecond;
    this.last = nowNanos;
  }

  /** Takes one token if there is one. */
  boolean tryAcquire(long nowNanos) {
    tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
    last = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}

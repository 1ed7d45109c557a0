package io.phoenix.session;

/**
 * A token bucket: {@code perSecond} tokens a second, holding at most one second's worth, so a
 * client may burst up to its rate and then sustain it. It either refuses what finds it empty
 * ({@link #tryAcquire}) or lends the token and says how long to wait ({@link #take}).
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
    refill(nowNanos);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * Takes one token, owing it when the bucket is empty.
   *
   * @return 0 when the bucket had the token; otherwise the nanoseconds until it holds a tenth
   *     of a second's worth again (at least one token), debts paid: the time to stop taking
   */
  long take(long nowNanos) {
    refill(nowNanos);
    tokens -= 1;
    return tokens >= 0 ? 0 : untilRefilled();
  }

  /**
   * After {@link #take} asked for a wait: the nanoseconds still to wait (tokens taken since
   * owe theirs too), 0 once the bucket holds a tenth of a second's worth again.
   */
  long stillOwed(long nowNanos) {
    refill(nowNanos);
    return tokens >= refilled() ? 0 : untilRefilled();
  }

  private double refilled() {
    return Math.max(1, capacity / 10);
  }

  private long untilRefilled() {
    return Math.max(1, (long) Math.ceil((refilled() - tokens) / perNano));
  }

  private void refill(long nowNanos) {
    tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
    last = nowNanos;
  }
}

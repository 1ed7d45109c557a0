package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The session's token bucket, on a clock the test moves. */
class RateLimiterTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void refusesOnceTheBurstIsSpentAndRefillsAtTheRate() {
    RateLimiter r = new RateLimiter(10, 0);
    for (int i = 0; i < 10; i++) {
      assertTrue(r.tryAcquire(0), "token " + i + " of the burst");
    }
    assertFalse(r.tryAcquire(0));
    assertFalse(r.tryAcquire(SECOND / 10 - 1), "a token takes a tenth of a second");
    assertTrue(r.tryAcquire(SECOND / 10));
  }

  @Test
  void lendsBeyondTheBurstAndSaysHowLongToWait() {
    RateLimiter r = new RateLimiter(10, 0);
    for (int i = 0; i < 10; i++) {
      assertEquals(0, r.take(0), "token " + i + " of the burst");
    }
    // one owed, and a tenth of a second's worth (one token) to hold again: 0.2 s
    assertEquals(SECOND / 5, r.take(0));
    // four more taken meanwhile: five owed, six tokens to wait for
    for (int i = 0; i < 4; i++) {
      r.take(0);
    }
    assertEquals(6 * SECOND / 10, r.stillOwed(0));
    assertEquals(SECOND / 10, r.stillOwed(SECOND / 2));
    assertEquals(0, r.stillOwed(6 * SECOND / 10));
    assertEquals(0, r.take(6 * SECOND / 10), "the token held after the wait");
  }

  @Test
  void aLargeBucketWaitsForATenthOfItsBurst() {
    RateLimiter r = new RateLimiter(1000, 0);
    for (int i = 0; i < 1000; i++) {
      r.take(0);
    }
    // one owed, then 100 tokens: 101 ms
    assertEquals(101_000_000L, r.take(0));
  }
}

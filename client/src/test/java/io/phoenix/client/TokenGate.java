package io.phoenix.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * A token supplier the test controls: each request for a token waits until the test calls
 * {@link #open()}, so a client stays offline exactly as long as the test wants.
 *
 * <p>Thread-safe.
 */
final class TokenGate {
  private final String token;
  private final Queue<Promise<String>> waiting = new ArrayDeque<>();
  private int permits;

  TokenGate(String token) {
    this.token = token;
  }

  /** The client's supplier: a token now if a permit is left, else once the gate opens. */
  synchronized Future<String> next() {
    if (permits > 0) {
      permits--;
      return Future.succeededFuture(token);
    }
    Promise<String> p = Promise.promise();
    waiting.add(p);
    return p.future();
  }

  /**
   * Lets one token request through (the waiting one, or the next). Requests of attempts the
   * client gave up on (it waits for a token at most its hello timeout) are answered too: it
   * ignores them.
   */
  void open() {
    List<Promise<String>> all;
    synchronized (this) {
      if (waiting.isEmpty()) {
        permits++;
        return;
      }
      all = new ArrayList<>(waiting);
      waiting.clear();
    }
    all.forEach(p -> p.complete(token));
  }
}

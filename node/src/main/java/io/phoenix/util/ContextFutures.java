package io.phoenix.util;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Bridges {@link CompletionStage}s (Hazelcast's async API) to Vert.x futures that complete on
 * the caller's context.
 *
 * <p>The completion is scheduled explicitly onto the context: a plain {@code whenComplete} would
 * run on Hazelcast's default executor, which on a 2-CPU host starts a thread per task and cuts
 * throughput by more than an order of magnitude. Call from an event loop (or any Vert.x
 * context); thread-safe.
 */
public final class ContextFutures {
  private ContextFutures() {}

  /** A future completed with {@code stage}'s outcome on the current (or a new) context. */
  public static <T> Future<T> onContext(Vertx vertx, CompletionStage<T> stage) {
    Context ctx = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    Executor onCtx = cmd -> ctx.runOnContext(v -> cmd.run());
    stage.whenCompleteAsync((value, failure) -> {
      if (failure != null) {
        promise.fail(failure);
      } else {
        promise.complete(value);
      }
    }, onCtx);
    return promise.future();
  }
}

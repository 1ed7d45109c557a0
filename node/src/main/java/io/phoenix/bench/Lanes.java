package io.phoenix.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The bench's event-loop contexts, one per event loop: each connection lives on one lane, and
 * per-lane timers (schedule, keep-alive) touch only that lane's connections, so nothing is
 * shared between loops but the statistics.
 *
 * <p>Created and driven from a plain thread; the actions run on the lanes.
 */
final class Lanes {
  private final List<Context> contexts;

  private Lanes(List<Context> contexts) {
    this.contexts = contexts;
  }

  /**
   * One context on each of {@code n} distinct event loops of {@code vertx}: a verticle deployed
   * {@code n} times gets a new event-loop context per instance, round-robin over the loops.
   */
  static Lanes create(Vertx vertx, int n) throws Exception {
    List<Context> deployed = Collections.synchronizedList(new ArrayList<>());
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        deployed.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(n)).await(30, TimeUnit.SECONDS);
    List<Context> out = new ArrayList<>(n);
    Set<Thread> threads = new HashSet<>();
    for (Context c : deployed) {
      Promise<Thread> t = Promise.promise();
      c.runOnContext(v -> t.complete(Thread.currentThread()));
      if (threads.add(t.future().await(10, TimeUnit.SECONDS))) {
        out.add(c);
      }
    }
    return new Lanes(out);
  }

  int size() {
    return contexts.size();
  }

  Context get(int i) {
    return contexts.get(i % contexts.size());
  }

  /** Runs {@code action(lane)} on every lane and waits until all have run. */
  void onEach(IntConsumer action) throws Exception {
    List<Future<Void>> done = new ArrayList<>();
    for (int i = 0; i < contexts.size(); i++) {
      int lane = i;
      Promise<Void> p = Promise.promise();
      contexts.get(i).runOnContext(v -> {
        try {
          action.accept(lane);
          p.complete();
        } catch (RuntimeException e) {
          p.fail(e);
        }
      });
      done.add(p.future());
    }
    Future.all(done).await(30, TimeUnit.SECONDS);
  }
}

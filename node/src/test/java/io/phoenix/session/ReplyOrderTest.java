package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.router.Reply;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link ReplyOrder} on a real context: released in any order, run in the order taken. */
class ReplyOrderTest {
  private static Vertx vertx;
  private static Context context;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static <T> T onContext(java.util.function.Supplier<T> s) throws Exception {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> p.complete(s.get()));
    return p.future().await(10, TimeUnit.SECONDS);
  }

  @Test
  void repliesRunInTheOrderTheyWereTakenWhateverOrderTheyAreReleasedIn() throws Exception {
    List<String> ran = new CopyOnWriteArrayList<>();
    List<Integer> backlog = new CopyOnWriteArrayList<>();
    ReplyOrder order = new ReplyOrder(context, backlog::add);
    List<Reply> replies = onContext(() -> {
      List<Reply> r = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        r.add(order.reserve());
      }
      return r;
    });
    assertEquals(List.of(1, 2, 3, 4, 5), backlog);
    // released from other threads, last first
    replies.get(4).release(() -> ran.add("e"));
    replies.get(2).release(() -> ran.add("c"));
    replies.get(1).release(() -> ran.add("b"));
    assertEquals(0, onContext(ran::size), "nothing runs before the first is released");
    replies.get(0).release(() -> ran.add("a"));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> ran.size() == 3);
    assertEquals(List.of("a", "b", "c"), ran);
    replies.get(3).release(() -> {
      ran.add("d");
      throw new IllegalStateException("a failing reply does not stop the others");
    });
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> ran.size() == 5);
    assertEquals(List.of("a", "b", "c", "d", "e"), ran);
    assertEquals(0, onContext(order::waiting));
  }

  @Test
  void aReplyReleasedUntilDoneHoldsTheLaterOnesUntilItIsDone() throws Exception {
    List<String> ran = new CopyOnWriteArrayList<>();
    ReplyOrder order = new ReplyOrder(context, n -> { });
    List<Reply> replies = onContext(() -> List.of(order.reserve(), order.reserve(),
        order.reserve()));
    Runnable[] done = new Runnable[1];
    replies.get(0).releaseUntilDone(d -> {
      ran.add("a");
      done[0] = d;
    });
    replies.get(1).release(() -> ran.add("b"));
    replies.get(2).releaseUntilDone(d -> {
      ran.add("c");
      d.run(); // done at once: nothing waits
    });
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> ran.size() == 1);
    assertEquals(2, onContext(order::waiting), "b and c wait for a to be done");
    assertEquals(List.of("a"), ran);
    done[0].run(); // from another thread
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> ran.size() == 3);
    assertEquals(List.of("a", "b", "c"), ran);
    done[0].run(); // a second call changes nothing
    assertEquals(0, onContext(order::waiting));
  }
}

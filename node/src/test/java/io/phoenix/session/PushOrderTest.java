package io.phoenix.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.router.StreamId;
import io.phoenix.router.Subscriber.PushKind;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link PushOrder}, on a real Vert.x context and its timers: what a session passes
 * on per stream, what waits for a missing offset, and when the device is told to pull instead.
 */
class PushOrderTest {
  private static final StreamId AB = new StreamId("a", "b");
  private static final StreamId CB = new StreamId("c", "b");
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

  /** What reached the device: "s:offset" for a frame, "hint s:head" for a SYNC hint. */
  private static final class Device implements PushOrder.Out {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void write(EncodedFrame frame) {
      seen.add(label(frame));
    }

    @Override
    public void hint(StreamId stream, long head, long delivered) {
      seen.add("hint " + stream.from() + ":" + head + "/" + delivered);
    }
  }

  /** Frames are labelled by a Ping carrying the offset, so the test can tell them apart. */
  private static EncodedFrame frame(String stream, long offset) {
    return FrameCodec.encode(Frame.newBuilder().setPing(Ping.newBuilder()
        .setTimestamp(stream.charAt(0) * 1_000_000L + offset)).build());
  }

  private static String label(EncodedFrame f) {
    long t = FrameCodec.decode(f.body()).getPing().getTimestamp();
    return (char) (t / 1_000_000L) + ":" + (t % 1_000_000L);
  }

  private static void onContext(Runnable r) throws Exception {
    context.<Void>executeBlocking(() -> null).await(10, TimeUnit.SECONDS); // warm up
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      r.run();
      done.complete();
    });
    done.future().await(10, TimeUnit.SECONDS);
  }

  private static void push(PushOrder p, StreamId s, long offset) {
    p.push(frame(s.from(), offset), PushKind.MESSAGE, s, offset, offset - 1);
  }

  @Test
  void inOrderPushesPassAtOnceAndStreamsAreIndependent() throws Exception {
    Device d = new Device();
    PushOrder p = new PushOrder(vertx, d);
    onContext(() -> {
      push(p, AB, 1);
      push(p, CB, 7); // first push of a stream the session never saw: passes as it comes
      push(p, AB, 2);
      push(p, CB, 8);
    });
    assertEquals(List.of("a:1", "c:7", "a:2", "c:8"), d.seen);
  }

  @Test
  void aPushAheadOfAMissingOffsetWaitsForIt() throws Exception {
    Device d = new Device();
    PushOrder p = new PushOrder(vertx, d);
    onContext(() -> {
      push(p, AB, 1);
      push(p, AB, 3);
      push(p, AB, 4);
    });
    assertEquals(List.of("a:1"), d.seen);
    onContext(() -> push(p, AB, 2));
    assertEquals(List.of("a:1", "a:2", "a:3", "a:4"), d.seen);
  }

  @Test
  void aGapThatIsNotFilledInTimeBecomesAHintThenThePushes() throws Exception {
    Device d = new Device();
    PushOrder p = new PushOrder(vertx, d);
    long start = System.nanoTime();
    onContext(() -> {
      push(p, AB, 1);
      push(p, AB, 3);
      push(p, AB, 5);
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> d.seen.size() == 4);
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(List.of("a:1", "hint a:5/4", "a:3", "a:5"), d.seen);
    assert waited >= PushOrder.GAP_WAIT_MS - 50 : "gave up after " + waited + " ms";
    onContext(() -> push(p, AB, 2)); // too late: already given up on
    assertEquals("hint a:5/4", d.seen.get(4), "a late push is not passed on, but hinted");
    onContext(() -> push(p, AB, 6));
    assertEquals("a:6", d.seen.get(5));
  }

  @Test
  void aPushAfterALaterOneIsHintedNotDropped() throws Exception {
    Device d = new Device();
    PushOrder p = new PushOrder(vertx, d);
    onContext(() -> {
      push(p, AB, 5);
      push(p, AB, 4);
      push(p, AB, 3); // covered by the hint just sent
      push(p, AB, 6);
      push(p, AB, 2); // the stream moved on: a new hint
    });
    assertEquals(List.of("a:5", "hint a:5/4", "a:6", "hint a:6/5"), d.seen);
  }

  @Test
  void tooManyWaitingPushesGiveUpAtOnce() throws Exception {
    Device d = new Device();
    PushOrder p = new PushOrder(vertx, d);
    onContext(() -> {
      push(p, AB, 1);
      for (int i = 3; i <= PushOrder.MAX_WAITING + 3; i++) {
        push(p, AB, i);
      }
    });
    assertEquals(PushOrder.MAX_WAITING + 3, d.seen.size(), "1, the hint, then every waiting one");
    assertEquals("hint a:" + (PushOrder.MAX_WAITING + 3) + "/" + (PushOrder.MAX_WAITING + 2),
        d.seen.get(1));
  }

  @Test
  void aHintSupersedesOlderHintsAndWhatWaitsBelowIt() throws Exception {
    Device d = new Device();
    PushOrder p = new PushOrder(vertx, d);
    onContext(() -> {
      push(p, AB, 1);
      push(p, AB, 3);
      p.push(frame("a", 4), PushKind.HINT, AB, 4, 0);
      p.push(frame("a", 2), PushKind.HINT, AB, 2, 0); // older: dropped
      push(p, AB, 5);
    });
    assertEquals(List.of("a:1", "a:4", "a:5"), d.seen);
  }

  @Test
  void unorderedFramesPassAsTheyCome() throws Exception {
    Device d = new Device();
    PushOrder p = new PushOrder(vertx, d);
    onContext(() -> {
      p.push(frame("x", 9), PushKind.UNORDERED, null, 0, 0);
      p.push(frame("x", 3), PushKind.UNORDERED, null, 0, 0);
    });
    assertEquals(List.of("x:9", "x:3"), d.seen);
  }
}

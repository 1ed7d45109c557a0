package io.phoenix.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.phoenix.cluster.v1.Delivery;
import io.phoenix.cluster.v1.NodeEnvelope;
import io.phoenix.metrics.NodeMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a node sends to another is answered, and what is not taken is held and sent again in
 * its order, or given up with a count: on one Vert.x whose event bus behaves as the clustered
 * one does for an address nobody consumes (the sender is told only when it waits for an
 * answer).
 */
class NodeBusTest {
  private Vertx vertx;
  private MeterRegistry registry;
  private NodeMetrics metrics;
  private final AtomicBoolean member = new AtomicBoolean(true);
  private NodeBus n1;
  private final List<Long> atN2 = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
    metrics = new NodeMetrics(registry);
    n1 = new NodeBus(vertx, "n1", metrics, node -> member.get(),
        NodeBus.MIN_RETRY_FOR_MS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void whatANodeDidNotTakeArrivesInOrderOnceItListensAgain() throws Exception {
    // n2's address has no consumer: what the cluster's lost registration looked like
    vertx.getOrCreateContext().runOnContext(v -> LongStream.rangeClosed(1, 100)
        .forEach(offset -> n1.send("n2", delivery(offset))));
    await().atMost(Duration.ofSeconds(5)).until(() -> counter("phoenix_eventbus_held") >= 1);
    Thread.sleep(700); // a few attempts fail
    vertx.runOnContext(v -> LongStream.rangeClosed(101, 150)
        .forEach(offset -> n1.send("n2", delivery(offset))));
    listen("n2");

    await().atMost(Duration.ofSeconds(10)).until(() -> atN2.size() >= 150);
    Thread.sleep(300);
    assertEquals(LongStream.rangeClosed(1, 150).boxed().toList(), atN2,
        "every message once, in the order sent");
    assertEquals(0, undelivered(), "nothing given up");
    // afterwards, sent at once again
    n1.send("n2", delivery(151));
    await().atMost(Duration.ofSeconds(2)).until(() -> atN2.size() == 151);
  }

  @Test
  void whatIsHeldForANodeIsBoundedTheOldestGivenUpFirst() throws Exception {
    int mb = 1 << 20;
    int sent = (int) (NodeBus.HELD_BYTES / mb) + 4;
    vertx.getOrCreateContext().runOnContext(v -> LongStream.rangeClosed(1, sent)
        .forEach(offset -> n1.send("n2", NodeEnvelope.newBuilder().setDelivery(
            Delivery.newBuilder().setFrom("alice").setTo("bob").setOffset(offset)
                .setFrame(com.google.protobuf.ByteString.copyFrom(new byte[mb]))).build())));
    await().atMost(Duration.ofSeconds(5)).until(() -> undelivered("overflow") >= 4);
    listen("n2");
    await().atMost(Duration.ofSeconds(10))
        .until(() -> atN2.size() + undelivered("overflow") == sent);
    Thread.sleep(300);
    long given = (long) undelivered("overflow");
    assertEquals(LongStream.rangeClosed(given + 1, sent).boxed().toList(), atN2,
        "the newest kept, in order; the oldest given up");
    assertEquals(given, undelivered(), "given up for room only");
  }

  @Test
  void whatWaitsForANodeThatLeftTheClusterIsGivenUpAndCounted() {
    member.set(false);
    for (long offset = 1; offset <= 3; offset++) {
      n1.send("n9", delivery(offset));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> undelivered("left") == 3);
    assertEquals(3, undelivered(), "the three pushes, counted once");
  }

  @Test
  void whatAMemberDoesNotTakeWhileItIsHeldIsGivenUpAndCounted() {
    NodeBus impatient = new NodeBus(vertx, "n1", metrics, node -> true, 1_000);
    for (long offset = 1; offset <= 3; offset++) {
      impatient.send("n8", delivery(offset));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> undelivered("unreachable") == 3);
    assertEquals(3, undelivered(), "the three pushes, counted once");
    assertEquals(NodeBus.MIN_RETRY_FOR_MS, NodeBus.retryFor(10), "20 s by default");
    assertEquals(65_000, NodeBus.retryFor(60), "past a longer member timeout");
  }

  @Test
  void aNodeThatRefusesAMessageIsNotSentItAgain() throws Exception {
    AtomicInteger seen = new AtomicInteger();
    vertx.eventBus().<Buffer>consumer(NodeBus.address("n3"), msg -> {
      seen.incrementAndGet();
      msg.fail(400, "no");
    }).completion().await(5, TimeUnit.SECONDS);
    n1.send("n3", delivery(1));
    await().atMost(Duration.ofSeconds(5)).until(() -> undelivered("refused") == 1);
    Thread.sleep(600);
    assertEquals(1, seen.get(), "sent once");
  }

  @Test
  void aMessageTheReceiverFailsToApplyIsRefusedNotSentAgain() throws Exception {
    AtomicInteger applied = new AtomicInteger();
    new NodeBus(vertx, "n6", NodeMetrics.inMemory(), n -> true, NodeBus.MIN_RETRY_FOR_MS)
        .start(envelope -> {
          applied.incrementAndGet();
          throw new IllegalStateException("a bug");
        }).await(5, TimeUnit.SECONDS);
    n1.send("n6", delivery(1));
    await().atMost(Duration.ofSeconds(5)).until(() -> undelivered("refused") == 1);
    Thread.sleep(600);
    assertEquals(1, applied.get(), "applied once, not sent again");
  }

  @Test
  void aNodeThatNeverAnswersIsAnOlderBuildAndIsNotSentAgain_butOneThatAnsweredIs()
      throws Exception {
    AtomicInteger seen = new AtomicInteger();
    // an older build: takes messages without answering
    vertx.eventBus().<Buffer>consumer(NodeBus.address("old"), msg -> seen.incrementAndGet())
        .completion().await(5, TimeUnit.SECONDS);
    n1.send("old", delivery(1));
    await().atMost(Duration.ofSeconds(NodeBus.ANSWER_TIMEOUT_MS / 1000 + 5))
        .until(() -> counter("phoenix_eventbus_unconfirmed") == 1);
    assertEquals(1, seen.get(), "taken once, not sent again");

    // a node that answered once and then let one go unanswered: sent again
    List<Long> atN4 = Collections.synchronizedList(new ArrayList<>());
    vertx.eventBus().<Buffer>consumer(NodeBus.address("n4"), msg -> {
      long offset = offsetOf(msg.body());
      atN4.add(offset);
      if (offset != 2 || atN4.size() > 2) {
        msg.reply(null); // the first copy of offset 2 goes unanswered
      }
    }).completion().await(5, TimeUnit.SECONDS);
    n1.send("n4", delivery(1));
    await().atMost(Duration.ofSeconds(2)).until(() -> atN4.size() == 1);
    Thread.sleep(200); // its answer is back
    n1.send("n4", delivery(2));
    await().atMost(Duration.ofSeconds(NodeBus.ANSWER_TIMEOUT_MS / 1000 + 5))
        .until(() -> atN4.size() == 3);
    assertEquals(List.of(1L, 2L, 2L), atN4, "offset 2 again after its answer did not come");
    assertEquals(1, counter("phoenix_eventbus_unconfirmed"), "the older build's only");
    assertEquals(0, undelivered());
  }

  private void listen(String node) throws Exception {
    NodeBus bus = new NodeBus(vertx, node, NodeMetrics.inMemory(), n -> true,
        NodeBus.MIN_RETRY_FOR_MS);
    bus.start(envelope -> atN2.add(envelope.getDelivery().getOffset()))
        .await(5, TimeUnit.SECONDS);
  }

  private static NodeEnvelope delivery(long offset) {
    return NodeEnvelope.newBuilder().setDelivery(Delivery.newBuilder().setFrom("alice")
        .setTo("bob").setOffset(offset)).build();
  }

  private static long offsetOf(Buffer body) {
    try {
      return NodeEnvelope.parseFrom(body.getBytes()).getDelivery().getOffset();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private double counter(String name) {
    return registry.get(name).counter().count();
  }

  private double undelivered(String reason) {
    return registry.get("phoenix_eventbus_undelivered_pushes").tag("reason", reason).counter()
        .count();
  }

  private double undelivered() {
    return NodeMetrics.UNDELIVERED_REASONS.stream().mapToDouble(this::undelivered).sum();
  }
}

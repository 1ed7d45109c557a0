package io.phoenix.stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Retention (PROTOCOL.md §4, decisions 14 and 27), each case on its own node:
 * <ul>
 *   <li>{@link Expiry}: with {@code retention.seconds = 3}, stored messages vanish from PULL
 *       results, while heads and offsets stay (a new message gets the next offset, a pull below
 *       the oldest kept offset starts at the oldest kept one); a DELIVERED for an expired
 *       message still follows its type: not forwarded to the sender for a RECEIVER
 *       notification, forwarded for a SENDER chat message;</li>
 *   <li>{@link Backlog}: with {@code limits.maxUndeliveredPerStream = 5}, a sixth message the
 *       recipient has not acknowledged DELIVERED is refused with 429 and not delivered, other
 *       streams are unaffected; once the recipient acknowledges, the stream takes messages again
 *       (history itself is bounded only by the retention time).</li>
 * </ul>
 */
class RetentionTest {

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Expiry {
    TestNode node;
    Vertx vertx;

    @BeforeAll
    void start() {
      JsonObject config = TestNode.config();
      // 3 s: long enough that a loaded machine still pulls a fresh message before it expires,
      // short enough to watch it expire within the 15 s the tests wait
      config.getJsonObject("retention").put("seconds", 3).put("sweepSeconds", 1);
      node = TestNode.start(config);
      vertx = Vertx.vertx();
    }

    @AfterAll
    void stop() {
      vertx.close();
      node.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void expiredMessagesLeavePullsButOffsetsAreNeverReused(Transport t) {
      String a = "alice-" + t + "-expiry";
      String b = "bob-" + t + "-expiry";
      try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone")) {
        for (int i = 1; i <= 3; i++) { // bob is offline
          assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("m" + i, b).build()), i);
        }
        try (TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
          // Kept right after acceptance (well within the 3 s retention).
          assertEquals(List.of(1L, 2L, 3L), offsets(pull(b1, "fresh", a, b, 0).messages()));

          AtomicInteger polls = new AtomicInteger();
          await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
              .pollInSameThread().untilAsserted(() -> {
                Page p = pull(b1, "poll-" + polls.incrementAndGet(), a, b, 0);
                assertEquals(List.of(), offsets(p.messages()), "expired messages are not pulled");
                assertEquals(200, p.end().getStatusCode(), p.end()::toString);
                assertEquals(3, p.end().getPeer().getOffset(), "the head is never trimmed");
              });

          assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("m4", b).build()), 4);
          assertEquals("m4", b1.nextMessage().getMessageId(), "pushed to the online bob");
          Page below = pull(b1, "below-oldest", a, b, 1);
          assertEquals(List.of(4L), offsets(below.messages()),
              "a pull below the oldest kept offset starts at the oldest kept one");
          assertEquals("m4", below.messages().get(0).getMessageId());
          assertEquals(200, below.end().getStatusCode(), below.end()::toString);
          assertEquals(4, below.end().getPeer().getOffset());
        }
      }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void ackOfAnExpiredNotificationIsStillNotForwardedToTheSender(Transport t) {
      String a = "alice-" + t + "-expired-notif";
      String b = "bob-" + t + "-expired-notif";
      try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
           TestClient b1 = TestClient.login(vertx, t, node, b, "phone");
           TestClient b2 = TestClient.login(vertx, t, node, b, "tablet")) {
        assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("n1", b).setType(3).build()), 1);
        assertEquals("n1", b1.nextMessage().getMessageId());
        assertEquals("n1", b2.nextMessage().getMessageId());
        AtomicInteger polls = new AtomicInteger();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
            .pollInSameThread().untilAsserted(() -> assertEquals(List.of(),
                offsets(pull(b1, "poll-" + polls.incrementAndGet(), a, b, 0).messages())));

        // A write on the stream trims what expired (decision 27), whether or not the sweep ran.
        assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("n2", b).setType(3).build()), 2);
        assertEquals("n2", b1.nextMessage().getMessageId());
        assertEquals("n2", b2.nextMessage().getMessageId());

        // Delivered after n1 expired: still a RECEIVER notification, so still not the sender's
        // business (PROTOCOL.md §5); bob's other device is told.
        b1.send(TestClient.ack(AckMethod.DELIVERED, "n1", a, b, 1).build());
        MessagePeerAckSignal toTablet = b2.nextAck();
        assertEquals(AckMethod.DELIVERED_VALUE, toTablet.getMethod(), toTablet::toString);
        assertEquals(1, toTablet.getPeer().getOffset(), toTablet::toString);
        assertEquals(List.of(), a1.barrier(),
            "a DELIVERED of a RECEIVER notification must not reach the sender, expired or not");
      }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void ackOfAnExpiredChatMessageIsStillForwardedToTheSender(Transport t) {
      String a = "alice-" + t + "-expired-chat";
      String b = "bob-" + t + "-expired-chat";
      try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
           TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
        assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("m1", b).build()), 1);
        assertEquals("m1", b1.nextMessage().getMessageId());
        AtomicInteger polls = new AtomicInteger();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
            .pollInSameThread().untilAsserted(() -> assertEquals(List.of(),
                offsets(pull(b1, "poll-" + polls.incrementAndGet(), a, b, 0).messages())));
        assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("m2", b).build()), 2);
        assertEquals("m2", b1.nextMessage().getMessageId());

        // A chat (SENDER) message: its DELIVERED goes to the sender's devices (PROTOCOL.md §6),
        // whether or not the message is still kept.
        b1.send(TestClient.ack(AckMethod.DELIVERED, "m1", a, b, 1).build());
        MessagePeerAckSignal tick = a1.nextAck();
        assertEquals(AckMethod.DELIVERED_VALUE, tick.getMethod(), tick::toString);
        assertEquals(200, tick.getStatusCode(), tick::toString);
        assertEquals(1, tick.getPeer().getOffset(), tick::toString);
        assertEquals(1, tick.getPeer().getPeerOffset(), tick::toString);
      }
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Backlog {
    TestNode node;
    Vertx vertx;

    @BeforeAll
    void start() {
      JsonObject config = TestNode.config();
      config.getJsonObject("limits").put("maxUndeliveredPerStream", 5);
      // no longer a bound with a database: only the undelivered backlog is
      config.getJsonObject("retention").put("maxMessagesPerStream", 3);
      node = TestNode.start(config);
      vertx = Vertx.vertx();
    }

    @AfterAll
    void stop() {
      vertx.close();
      node.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void sixthUndeliveredMessageIsRefusedUntilTheRecipientAcknowledges(Transport t) {
      String a = "alice-" + t + "-backlog";
      String c = "carol-" + t + "-backlog";
      String b = "bob-" + t + "-backlog";
      try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
           TestClient c1 = TestClient.login(vertx, t, node, c, "phone");
           TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
        for (int i = 1; i <= 5; i++) {
          assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("m" + i, b).build()), i);
          assertEquals("m" + i, b1.nextMessage().getMessageId());
        }

        MessagePeerAckSignal full = a1.sendAndAwaitAccepted(TestClient.message("m6", b).build());
        assertEquals(429, full.getStatusCode(), full::toString);
        assertFalse(full.hasPeer(), () -> "a refusal carries no peer: " + full);

        assertAccepted(c1.sendAndAwaitAccepted(TestClient.message("c1", b).build()), 1);
        Message fromCarol = b1.nextMessage();
        assertEquals("c1", fromCarol.getMessageId(), "the refused m6 must not be delivered");
        assertEquals(c, fromCarol.getFrom().getEid());

        Page kept = pull(b1, "kept", a, b, 0);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(kept.messages()));
        assertEquals(200, kept.end().getStatusCode());
        assertEquals(5, kept.end().getPeer().getOffset(), "m6 got no offset");
        assertEquals(List.of(), b1.barrier());

        // a busy conversation goes on once it is delivered: twelve more, acknowledged as they come
        b1.send(TestClient.ack(AckMethod.DELIVERED, "m5", a, b, 5).build());
        assertEquals(AckMethod.DELIVERED_VALUE, a1.nextAck().getMethod());
        for (int i = 6; i <= 17; i++) {
          assertAccepted(a1.sendAndAwaitAccepted(TestClient.message("m" + i, b).build()), i);
          assertEquals("m" + i, b1.nextMessage().getMessageId());
          b1.send(TestClient.ack(AckMethod.DELIVERED, "m" + i, a, b, i).build());
          assertEquals(i, a1.nextAck().getPeer().getOffset());
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L),
            offsets(pull(b1, "history", a, b, 0).messages().subList(0, 10)),
            "every message kept, not only retention.maxMessagesPerStream of them");
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  /** What one PULL_REQUEST brought: the messages, then the closing signal. */
  record Page(List<Message> messages, MessagePeerAckSignal end) {}

  static void assertAccepted(MessagePeerAckSignal ack, long offset) {
    assertEquals(200, ack.getStatusCode(), ack::toString);
    assertTrue(ack.hasPeer(), ack::toString);
    assertEquals(offset, ack.getPeer().getOffset(), ack::toString);
  }

  static List<Long> offsets(List<Message> messages) {
    return messages.stream().map(m -> m.getPeer().getOffset()).toList();
  }

  /** Sends PULL_REQUEST and collects the messages up to the closing PULL_REQUEST signal. */
  static Page pull(TestClient c, String id, String from, String to, long after) {
    c.send(TestClient.ack(AckMethod.PULL_REQUEST, id, from, to, after).build());
    List<Message> messages = new ArrayList<>();
    while (true) {
      Frame f = c.next();
      if (f.getBodyCase() == Frame.BodyCase.MESSAGE) {
        assertEquals(1, f.getMessage().getTransmissionMode(), () -> "pulled: PULL mode " + f);
        messages.add(f.getMessage());
        continue;
      }
      assertEquals(Frame.BodyCase.ACK, f.getBodyCase(), f::toString);
      assertEquals(AckMethod.PULL_REQUEST_VALUE, f.getAck().getMethod(), f::toString);
      assertEquals(id, f.getAck().getMessageId(), f::toString);
      return new Page(messages, f.getAck());
    }
  }
}

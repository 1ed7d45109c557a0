package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DELIVERED and READ ack signals (PROTOCOL.md §6, decisions 18, 20, 21, 24, 25): who gets the
 * forwarded signal and what it carries, that positions are cumulative and never move back, and
 * how bad acks (beyond the head, foreign stream, spoofed sender, offset 0, wrong method) are
 * refused with nothing recorded. RECEIVER notifications are acknowledged without telling the
 * sender.
 */
class AckTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void deliveredIsForwardedToSenderDevicesAndReceiverOtherDevices(Transport t) {
    String a = "alice-" + t + "-fwd";
    String b = "bob-" + t + "-fwd";
    try (TestClient a1 = login(t, a, "phone"); TestClient a2 = login(t, a, "laptop");
         TestClient b1 = login(t, b, "phone"); TestClient b2 = login(t, b, "tablet")) {
      sendStored(a1, b, 3, 1, b1, b2, a2);

      long before = System.currentTimeMillis();
      b1.send(ackFrom(AckMethod.DELIVERED, "m3", a, b, 3).build());
      for (TestClient c : List.of(a1, a2, b2)) {
        MessagePeerAckSignal f = c.nextAck();
        assertEquals(AckMethod.DELIVERED_VALUE, f.getMethod(), f::toString);
        assertEquals(200, f.getStatusCode(), f::toString);
        assertEquals("m3", f.getMessageId());
        assertTrue(f.getTimestamp() >= before && f.getTimestamp() <= System.currentTimeMillis(),
            () -> "server timestamp expected, got " + f.getTimestamp());
        assertEquals(a, f.getTo().getEid());
        assertEquals(b, f.getFrom().getEid());
        assertEquals("phone", f.getFrom().getConnectionResourceId());
        assertPeer(f, a, b, 3, 3);
      }
      assertEquals(List.of(), b1.barrier(), "a good DELIVERED is neither answered nor echoed");
      for (TestClient c : List.of(a1, a2, b2)) {
        assertEquals(List.of(), c.barrier(), "forwarded exactly once");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void readIsForwardedAndImpliesDelivered(Transport t) {
    String a = "alice-" + t + "-read";
    String b = "bob-" + t + "-read";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone");
         TestClient b2 = login(t, b, "tablet")) {
      sendStored(a1, b, 2, 1, b1, b2);

      b1.send(ackFrom(AckMethod.READ, "m2", a, b, 2).build());
      for (TestClient c : List.of(a1, b2)) {
        MessagePeerAckSignal f = c.nextAck();
        assertEquals(AckMethod.READ_VALUE, f.getMethod(), f::toString);
        assertEquals(200, f.getStatusCode(), f::toString);
        assertEquals("m2", f.getMessageId());
        assertPeer(f, a, b, 2, 2);
      }
      assertEquals(List.of(), b1.barrier(), "a good READ is neither answered nor echoed");

      assertEquals(List.of(), b1.sync("sync-after-read"),
          "READ implies DELIVERED: the stream is no longer pending");
      MessagePeerAckSignal accepted = a1.sendAndAwaitAccepted(TestClient.message("m3", b).build());
      assertPeer(accepted, a, b, 3, 2);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void acksAreCumulativeAndNeverMoveBack(Transport t) {
    String a = "alice-" + t + "-cumul";
    String b = "bob-" + t + "-cumul";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      sendStored(a1, b, 3, 1, b1);

      b1.send(ackFrom(AckMethod.DELIVERED, "m3", a, b, 3).build());
      assertPeer(a1.nextAck(), a, b, 3, 3);

      b1.send(ackFrom(AckMethod.DELIVERED, "m2", a, b, 2).build());
      // SYNC goes through the same inbox after the ack: had DELIVERED moved back to 2, the
      // stream would be pending again.
      assertEquals(List.of(), b1.sync("sync-after-lower-ack"));

      a1.send(TestClient.message("m4", b).build());
      MessagePeerAckSignal accepted = a1.nextAck();
      assertEquals(AckMethod.ACCEPTED_VALUE, accepted.getMethod(),
          () -> "the lower ack must not be forwarded, got " + accepted);
      assertEquals(200, accepted.getStatusCode());
      assertPeer(accepted, a, b, 4, 3);
      assertEquals(3, b1.nextMessage().getPeer().getPeerOffset());

      b1.send(ackFrom(AckMethod.DELIVERED, "m4", a, b, 4).build());
      MessagePeerAckSignal next = a1.nextAck();
      assertEquals(AckMethod.DELIVERED_VALUE, next.getMethod(), next::toString);
      assertEquals("m4", next.getMessageId(), "the lower ack must not be forwarded");
      assertPeer(next, a, b, 4, 4);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void ackBeyondHeadIsRefusedAndNotRecorded(Transport t) {
    String a = "alice-" + t + "-beyond";
    String b = "bob-" + t + "-beyond";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      sendStored(a1, b, 2, 1, b1);

      b1.send(ackFrom(AckMethod.DELIVERED, "too-far", a, b, 3).build());
      assertRefused(b1.nextAck(), AckMethod.DELIVERED_VALUE, "too-far", 400);
      b1.send(ackFrom(AckMethod.READ, "no-stream", "nobody-" + t, b, 1).build());
      assertRefused(b1.nextAck(), AckMethod.READ_VALUE, "no-stream", 400);

      List<MessagePeerAckSignal> pending = b1.sync("sync-after-refusal");
      assertEquals(1, pending.size(), pending::toString);
      assertPeer(pending.get(0), a, b, 2, 0);
      assertEquals(List.of(), a1.barrier(), "a refused ack is not forwarded");
      assertPeer(a1.sendAndAwaitAccepted(TestClient.message("m3", b).build()), a, b, 3, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void ackOfAStreamIntoSomeoneElseIsForbidden(Transport t) {
    String a = "alice-" + t + "-foreign";
    String b = "bob-" + t + "-foreign";
    String c = "carol-" + t + "-foreign";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      sendStored(a1, c, 1, 1); // carol is offline

      b1.send(ackFrom(AckMethod.DELIVERED, "not-mine", a, c, 1).setFrom(id(b)).build());
      assertRefused(b1.nextAck(), AckMethod.DELIVERED_VALUE, "not-mine", 403);
      b1.send(ackFrom(AckMethod.READ, "not-mine-read", a, c, 1).setFrom(id(b)).build());
      assertRefused(b1.nextAck(), AckMethod.READ_VALUE, "not-mine-read", 403);

      MessagePeerAckSignal end = pullEnd(a1, "check", a, c, 1);
      assertPeer(end, a, c, 1, 0);
      assertEquals(List.of(), a1.barrier(), "nothing forwarded to the sender");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void ackWithSpoofedFromIsForbidden(Transport t) {
    String a = "alice-" + t + "-spoof";
    String b = "bob-" + t + "-spoof";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      sendStored(a1, b, 1, 1, b1);

      b1.send(ackFrom(AckMethod.DELIVERED, "spoofed", a, b, 1)
          .setFrom(id("mallory-" + t)).build());
      assertRefused(b1.nextAck(), AckMethod.DELIVERED_VALUE, "spoofed", 403);

      assertPeer(pullEnd(a1, "check", a, b, 1), a, b, 1, 0);
      assertEquals(List.of(), a1.barrier(), "nothing forwarded to the sender");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void ackOfOffsetZeroIsMalformed(Transport t) {
    String a = "alice-" + t + "-zero";
    String b = "bob-" + t + "-zero";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      sendStored(a1, b, 1, 1, b1);

      b1.send(ackFrom(AckMethod.DELIVERED, "zero", a, b, 0).build());
      assertRefused(b1.nextAck(), AckMethod.DELIVERED_VALUE, "zero", 400);
      b1.send(ackFrom(AckMethod.READ, "zero-read", a, b, 0).build());
      assertRefused(b1.nextAck(), AckMethod.READ_VALUE, "zero-read", 400);
      assertEquals(List.of(), a1.barrier(), "nothing forwarded to the sender");
    }
  }

  /**
   * The node repeats an ack's names in what it forwards and answers, so names over the bounds
   * of a message's (message_id 128 bytes, eids and resources 256) would let one client make the
   * node send another a frame over max_frame_bytes. Refused 400, the message_id cut to 128
   * bytes and nothing else of the client's repeated; nothing recorded or forwarded.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void acksWithNamesOverTheBoundsAreRefusedInASmallFrame(Transport t) {
    String a = "alice-" + t + "-long";
    String b = "bob-" + t + "-long";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      sendStored(a1, b, 2, 1, b1);
      int max = b1.welcome().getMaxFrameBytes();
      String longId = "é".repeat(max / 2 - 100); // two bytes each: the frame just fits
      b1.send(ackFrom(AckMethod.DELIVERED, longId, a, b, 1).build());
      Frame refusal = b1.next(TestClient.TIMEOUT);
      assertTrue(refusal.getSerializedSize() < 1024, () -> "a small frame: " + refusal);
      assertRefused(refusal.getAck(), AckMethod.DELIVERED_VALUE, "é".repeat(64), 400);
      assertTrue(!refusal.getAck().hasPeer() && !refusal.getAck().hasFrom(), refusal::toString);
      assertEquals(b1.welcome().getIdentity(), refusal.getAck().getTo(), "to: the client itself");

      String longEid = "x".repeat(257);
      b1.send(ackFrom(AckMethod.READ, "long-to", a, b, 1)
          .setTo(Identity.newBuilder().setEid(a).setConnectionResourceId(longEid)).build());
      assertRefused(b1.nextAck(), AckMethod.READ_VALUE, "long-to", 400);
      b1.send(TestClient.ack(AckMethod.PULL_REQUEST, "long-peer", longEid, b, 0).build());
      assertRefused(b1.nextAck(), AckMethod.PULL_REQUEST_VALUE, "long-peer", 400);
      assertEquals(List.of(), a1.barrier(), "nothing forwarded to the sender");
      assertPeer(pullEnd(a1, "check", a, b, 2), a, b, 2, 0);

      // at the bounds: taken
      String id128 = "m".repeat(128);
      b1.send(ackFrom(AckMethod.DELIVERED, id128, a, b, 1).build());
      MessagePeerAckSignal forwarded = a1.nextAck();
      assertEquals(id128, forwarded.getMessageId());
      assertEquals(200, forwarded.getStatusCode(), forwarded::toString);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void unknownOrServerOnlyMethodsAreMalformed(Transport t) {
    String a = "alice-" + t + "-method";
    String b = "bob-" + t + "-method";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      sendStored(a1, b, 1, 1, b1);

      for (int method : new int[] {0, 7, AckMethod.ACCEPTED_VALUE}) {
        String id = "method-" + method;
        b1.send(ackFrom(AckMethod.DELIVERED, id, a, b, 1).setMethod(method).build());
        assertRefused(b1.nextAck(), method, id, 400);
      }
      assertEquals(List.of(), a1.barrier(), "nothing forwarded to the sender");
      assertPeer(pullEnd(a1, "check", a, b, 1), a, b, 1, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void receiverNotificationAcksReachOnlyTheReceiverOtherDevices(Transport t) {
    String a = "alice-" + t + "-notif";
    String b = "bob-" + t + "-notif";
    try (TestClient a1 = login(t, a, "phone"); TestClient a2 = login(t, a, "laptop");
         TestClient b1 = login(t, b, "phone"); TestClient b2 = login(t, b, "tablet")) {
      sendStored(a1, b, 2, 3, b1, b2);
      assertEquals(List.of(), a2.barrier(), "no copy of a RECEIVER message to the sender");

      b1.send(ackFrom(AckMethod.DELIVERED, "m2", a, b, 2).build());
      MessagePeerAckSignal f = b2.nextAck();
      assertEquals(AckMethod.DELIVERED_VALUE, f.getMethod(), f::toString);
      assertEquals(200, f.getStatusCode());
      assertPeer(f, a, b, 2, 2);
      assertEquals(List.of(), b1.barrier(), "not echoed to the acknowledging session");
      assertEquals(List.of(), a1.barrier(), "RECEIVER acks are not forwarded to the sender");
      assertEquals(List.of(), a2.barrier(), "RECEIVER acks are not forwarded to the sender");

      MessagePeerAckSignal accepted = a1.sendAndAwaitAccepted(
          TestClient.message("m3", b).setType(3).build());
      assertEquals(200, accepted.getStatusCode());
      assertPeer(accepted, a, b, 3, 2);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static TestClient login(Transport t, String eid, String resource) {
    return TestClient.login(vertx, t, node, eid, resource);
  }

  private static Identity id(String eid) {
    return Identity.newBuilder().setEid(eid).build();
  }

  /**
   * Sends messages m1..mN of the given type from {@code sender} to {@code to}, checks each
   * ACCEPTED (200, offsets 1..N) and takes the pushed copy from each of {@code receivers}.
   */
  private static void sendStored(TestClient sender, String to, int n, int type,
      TestClient... receivers) {
    for (int i = 1; i <= n; i++) {
      MessagePeerAckSignal ok = sender.sendAndAwaitAccepted(
          TestClient.message("m" + i, to).setType(type).build());
      assertEquals(200, ok.getStatusCode(), ok::toString);
      assertEquals(i, ok.getPeer().getOffset(), ok::toString);
    }
    for (TestClient r : receivers) {
      for (int i = 1; i <= n; i++) {
        Message m = r.nextMessage();
        assertEquals("m" + i, m.getMessageId());
        assertEquals(i, m.getPeer().getOffset());
      }
    }
  }

  /** An ack as a well-behaved receiver {@code to} of S(from → to) builds it. */
  private static MessagePeerAckSignal.Builder ackFrom(AckMethod method, String id, String from,
      String to, long offset) {
    return TestClient.ack(method, id, from, to, offset).setFrom(id(to)).setTo(id(from));
  }

  /**
   * Pulls S(from → to) after its head {@code head}: no messages, just the closing signal
   * (status 200), which is returned.
   */
  private static MessagePeerAckSignal pullEnd(TestClient c, String id, String from, String to,
      long head) {
    c.send(TestClient.ack(AckMethod.PULL_REQUEST, id, from, to, head).build());
    Frame f = c.next();
    assertEquals(Frame.BodyCase.ACK, f.getBodyCase(), f::toString);
    assertEquals(AckMethod.PULL_REQUEST_VALUE, f.getAck().getMethod(), f::toString);
    assertEquals(200, f.getAck().getStatusCode(), f::toString);
    return f.getAck();
  }

  private static void assertRefused(MessagePeerAckSignal s, int method, String id, int status) {
    assertEquals(method, s.getMethod(), s::toString);
    assertEquals(id, s.getMessageId(), s::toString);
    assertEquals(status, s.getStatusCode(), s::toString);
  }

  private static void assertPeer(MessagePeerAckSignal s, String from, String to, long offset,
      long peerOffset) {
    assertTrue(s.hasPeer(), () -> "peer expected: " + s);
    assertEquals(from, s.getPeer().getFrom(), s::toString);
    assertEquals(to, s.getPeer().getTo(), s::toString);
    assertEquals(offset, s.getPeer().getOffset(), s::toString);
    assertEquals(peerOffset, s.getPeer().getPeerOffset(), s::toString);
  }
}

package io.phoenix.router;

import static io.phoenix.testing.TestClient.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The send path of PROTOCOL.md §4–5 over real sockets: the ACCEPTED ack of a SENDER message,
 * PUSH to the recipient's devices (all of them, or the one named) and copies to the sender's
 * other devices, PULL hints, RECEIVER and DEVICE messages, message_id dedupe (208), offsets
 * per stream, an offline recipient catching up with SYNC + PULL_REQUEST, and push order.
 */
class SendPathTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  private static TestClient login(Transport t, String eid, String resource) {
    return TestClient.login(vertx, t, node, eid, resource);
  }

  private static Peer peer(String from, String to, long offset, long peerOffset) {
    return Peer.newBuilder().setFrom(from).setTo(to).setOffset(offset).setPeerOffset(peerOffset)
        .build();
  }

  private static Identity eid(String eid) {
    return Identity.newBuilder().setEid(eid).build();
  }

  /** Asserts a pushed SENDER message: stamped from, to.node set, peer filled, body unchanged. */
  private static void assertPushed(Message sent, TestClient sender, Peer peer, Message got) {
    assertEquals(sent.getMessageId(), got.getMessageId());
    assertEquals(sender.identity(), got.getFrom(), "from is the sender's full identity");
    assertEquals(sent.getTo().getEid(), got.getTo().getEid());
    assertEquals(node.id(), got.getTo().getNode(), "to.node is the node holding the device");
    assertEquals(sent.getPayload(), got.getPayload(), "payload unchanged");
    assertEquals(sent.getType(), got.getType());
    assertEquals(2, got.getTransmissionMode());
    assertTrue(got.hasPeer(), "a stored message is pushed with its peer");
    assertEquals(peer, got.getPeer());
  }

  private static MessagePeerAckSignal.Builder sync(String id) {
    return MessagePeerAckSignal.newBuilder().setMethod(AckMethod.SYNC_VALUE).setMessageId(id);
  }

  /**
   * An empty connection_resource_id in {@code to} names no device (Hello refuses one), so it
   * counts as not set: a SENDER message reaches every device, a DEVICE message is pushed (and
   * arrives in PUSH mode even when sent with PULL).
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void anEmptyResourceInToNamesEveryDevice(Transport t) {
    String a = "alice-" + t + "-empty";
    String b = "bob-" + t + "-empty";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone");
         TestClient b2 = login(t, b, "tablet")) {
      Message sender = message("s1", b).setTo(Identity.newBuilder().setEid(b)
          .setConnectionResourceId("")).build();
      assertEquals(200, a1.sendAndAwaitAccepted(sender).getStatusCode());
      assertEquals("s1", b1.nextMessage().getMessageId());
      assertEquals("s1", b2.nextMessage().getMessageId());

      Message device = message("d1", b).setType(2).setTransmissionMode(1)
          .setTo(Identity.newBuilder().setEid(b).setConnectionResourceId("")).build();
      assertEquals(200, a1.sendAndAwaitAccepted(device).getStatusCode());
      for (TestClient c : List.of(b1, b2)) {
        Message got = c.nextMessage();
        assertEquals("d1", got.getMessageId());
        assertEquals(2, got.getTransmissionMode(), "DEVICE messages are pushed");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void senderPushReachesEveryDeviceAndCopiesToOwnOtherDevices(Transport t) {
    String a = "alice-" + t + "-push";
    String b = "bob-" + t + "-push";
    try (TestClient a1 = login(t, a, "phone"); TestClient a2 = login(t, a, "laptop");
         TestClient b1 = login(t, b, "phone"); TestClient b2 = login(t, b, "tablet")) {
      long before = System.currentTimeMillis();
      Message m1 = message("m1", b).build();
      MessagePeerAckSignal ack = a1.sendAndAwaitAccepted(m1);
      assertEquals(AckMethod.ACCEPTED_VALUE, ack.getMethod());
      assertEquals(200, ack.getStatusCode());
      assertEquals("m1", ack.getMessageId());
      assertEquals(a1.identity(), ack.getTo(), "ACCEPTED goes to the sender's full identity");
      assertEquals(eid(b), ack.getFrom(), "ACCEPTED comes from the recipient as given");
      assertTrue(ack.getTimestamp() >= before - 60_000
          && ack.getTimestamp() <= System.currentTimeMillis() + 60_000, "server timestamp");
      assertEquals(peer(a, b, 1, 0), ack.getPeer());

      assertPushed(m1, a1, peer(a, b, 1, 0), b1.nextMessage());
      assertPushed(m1, a1, peer(a, b, 1, 0), b2.nextMessage());
      assertPushed(m1, a1, peer(a, b, 1, 0), a2.nextMessage());
      assertEquals(List.of(), a1.barrier(), "the sending device gets only the ACCEPTED ack");

      Message m2 = message("m2", b).build();
      assertEquals(peer(a, b, 2, 0), a1.sendAndAwaitAccepted(m2).getPeer());
      assertPushed(m2, a1, peer(a, b, 2, 0), b1.nextMessage());
      assertPushed(m2, a1, peer(a, b, 2, 0), b2.nextMessage());
      assertPushed(m2, a1, peer(a, b, 2, 0), a2.nextMessage());

      // B acknowledges 2: the next ACCEPTED carries B's DELIVERED position as peer_offset.
      b1.send(TestClient.ack(AckMethod.DELIVERED, "m2", a, b, 2).build());
      MessagePeerAckSignal delivered = a1.nextAck();
      assertEquals(AckMethod.DELIVERED_VALUE, delivered.getMethod());
      Message m3 = message("m3", b).build();
      MessagePeerAckSignal ack3 = a1.sendAndAwaitAccepted(m3);
      assertEquals(200, ack3.getStatusCode());
      assertEquals(peer(a, b, 3, 2), ack3.getPeer());
      assertEquals(List.of(), a1.barrier());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void namedResourceReachesOnlyThatDevice(Transport t) {
    String a = "alice-" + t + "-named";
    String b = "bob-" + t + "-named";
    try (TestClient a1 = login(t, a, "phone");
         TestClient b1 = login(t, b, "phone"); TestClient b2 = login(t, b, "tablet")) {
      Message m1 = message("m1", b).setTo(Identity.newBuilder().setEid(b)
          .setConnectionResourceId("phone")).build();
      assertEquals(200, a1.sendAndAwaitAccepted(m1).getStatusCode());
      Message got = b1.nextMessage();
      assertEquals("m1", got.getMessageId());
      assertEquals("phone", got.getTo().getConnectionResourceId());
      assertEquals(node.id(), got.getTo().getNode());
      assertEquals(peer(a, b, 1, 0), got.getPeer());

      Message m2 = message("m2", b).build();
      assertEquals(200, a1.sendAndAwaitAccepted(m2).getStatusCode());
      assertPushed(m2, a1, peer(a, b, 2, 0), b2.nextMessage());
      assertPushed(m2, a1, peer(a, b, 2, 0), b1.nextMessage());
      assertEquals(List.of(), b2.barrier(), "the device not named never got m1");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void pullModeSendsSyncHintsAndPullReturnsTheMessage(Transport t) {
    String a = "alice-" + t + "-pull";
    String b = "bob-" + t + "-pull";
    try (TestClient a1 = login(t, a, "phone"); TestClient a2 = login(t, a, "laptop");
         TestClient b1 = login(t, b, "phone"); TestClient b2 = login(t, b, "tablet")) {
      a1.sendAndAwaitAccepted(message("m0", b).build());
      b1.nextMessage();
      b2.nextMessage();
      a2.nextMessage();

      Message m1 = message("m1", b).setTransmissionMode(1).build();
      MessagePeerAckSignal ack = a1.sendAndAwaitAccepted(m1);
      assertEquals(200, ack.getStatusCode());
      assertEquals(peer(a, b, 2, 0), ack.getPeer());
      for (TestClient device : List.of(b1, b2, a2)) {
        Frame f = device.next();
        assertEquals(Frame.BodyCase.ACK, f.getBodyCase(), () -> "a hint, not the body: " + f);
        MessagePeerAckSignal hint = f.getAck();
        assertEquals(AckMethod.SYNC_VALUE, hint.getMethod());
        assertEquals(200, hint.getStatusCode());
        assertEquals("m1", hint.getMessageId());
        assertEquals(a, hint.getPeer().getFrom());
        assertEquals(b, hint.getPeer().getTo());
        assertEquals(2, hint.getPeer().getOffset(), "peer.offset is the head");
      }

      b1.send(TestClient.ack(AckMethod.PULL_REQUEST, "p1", a, b, 1).build());
      Message pulled = b1.nextMessage();
      assertEquals("m1", pulled.getMessageId());
      assertEquals(m1.getPayload(), pulled.getPayload());
      assertEquals(a1.identity(), pulled.getFrom());
      assertEquals(1, pulled.getTransmissionMode());
      assertEquals(2, pulled.getPeer().getOffset());
      MessagePeerAckSignal done = b1.nextAck();
      assertEquals(AckMethod.PULL_REQUEST_VALUE, done.getMethod());
      assertEquals(200, done.getStatusCode());
      assertEquals(2, done.getPeer().getOffset());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void receiverNotificationHasNoCopyOnSendersOtherDevices(Transport t) {
    String a = "alice-" + t + "-receiver";
    String b = "bob-" + t + "-receiver";
    try (TestClient a1 = login(t, a, "phone"); TestClient a2 = login(t, a, "laptop");
         TestClient b1 = login(t, b, "phone")) {
      Message r1 = message("r1", b).setType(3).build();
      MessagePeerAckSignal ack = a1.sendAndAwaitAccepted(r1);
      assertEquals(200, ack.getStatusCode());
      assertEquals(peer(a, b, 1, 0), ack.getPeer());
      assertPushed(r1, a1, peer(a, b, 1, 0), b1.nextMessage());

      Message s2 = message("s2", b).build();
      assertEquals(200, a1.sendAndAwaitAccepted(s2).getStatusCode());
      assertPushed(s2, a1, peer(a, b, 2, 0), a2.nextMessage());
      assertPushed(s2, a1, peer(a, b, 2, 0), b1.nextMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void deviceMessageIsPushedWithoutPeer(Transport t) {
    String a = "alice-" + t + "-device";
    String b = "bob-" + t + "-device";
    try (TestClient a1 = login(t, a, "phone"); TestClient a2 = login(t, a, "laptop");
         TestClient b1 = login(t, b, "phone")) {
      Message d1 = message("d1", b).setType(2).build();
      MessagePeerAckSignal ack = a1.sendAndAwaitAccepted(d1);
      assertEquals(200, ack.getStatusCode());
      Message got = b1.nextMessage();
      assertEquals("d1", got.getMessageId());
      assertEquals(2, got.getType());
      assertFalse(got.hasPeer(), "a DEVICE message has no offset");
      assertEquals(a1.identity(), got.getFrom());
      assertEquals(node.id(), got.getTo().getNode());
      assertEquals(d1.getPayload(), got.getPayload());

      // A's other device got no copy: its next message is the following SENDER message.
      Message s1 = message("s1", b).build();
      assertEquals(peer(a, b, 1, 0), a1.sendAndAwaitAccepted(s1).getPeer());
      assertPushed(s1, a1, peer(a, b, 1, 0), a2.nextMessage());
      assertPushed(s1, a1, peer(a, b, 1, 0), b1.nextMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void deviceMessageToOfflineRecipientIs404(Transport t) {
    String a = "alice-" + t + "-device404";
    try (TestClient a1 = login(t, a, "phone")) {
      MessagePeerAckSignal ack = a1.sendAndAwaitAccepted(
          message("d1", "nobody-" + t + "-device404").setType(2).build());
      assertEquals(AckMethod.ACCEPTED_VALUE, ack.getMethod());
      assertEquals(404, ack.getStatusCode());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void deviceMessageIsNotStored(Transport t) {
    String a = "alice-" + t + "-ephemeral";
    String b = "bob-" + t + "-ephemeral";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      assertEquals(200, a1.sendAndAwaitAccepted(message("d1", b).setType(2).build())
          .getStatusCode());
      assertEquals("d1", b1.nextMessage().getMessageId());

      b1.send(sync("s1").build());
      MessagePeerAckSignal end = b1.nextAck();
      assertEquals(AckMethod.SYNC_VALUE, end.getMethod());
      assertEquals(204, end.getStatusCode(), () -> "no stream to list, got " + end);

      b1.send(TestClient.ack(AckMethod.PULL_REQUEST, "p1", a, b, 0).build());
      MessagePeerAckSignal pulled = b1.nextAck();
      assertEquals(AckMethod.PULL_REQUEST_VALUE, pulled.getMethod(),
          () -> "no stored message, got " + pulled);
      assertEquals(200, pulled.getStatusCode());
      assertEquals(0, pulled.getPeer().getOffset(), "the stream has no head");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void retriedMessageIdIsAnswered208AndDeliveredOnce(Transport t) {
    String a = "alice-" + t + "-dedupe";
    String b = "bob-" + t + "-dedupe";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      Message m1 = message("m1", b).build();
      assertEquals(200, a1.sendAndAwaitAccepted(m1).getStatusCode());
      assertEquals(peer(a, b, 1, 0), b1.nextMessage().getPeer());

      MessagePeerAckSignal retry = a1.sendAndAwaitAccepted(m1);
      assertEquals(208, retry.getStatusCode());
      assertEquals(1, retry.getPeer().getOffset(), "a retry gets the same offset");

      Message m2 = message("m2", b).build();
      assertEquals(peer(a, b, 2, 0), a1.sendAndAwaitAccepted(m2).getPeer());
      Message next = b1.nextMessage();
      assertEquals("m2", next.getMessageId(), "the retry was not delivered again");
      assertEquals(2, next.getPeer().getOffset());
      assertEquals(List.of(), b1.barrier());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void offsetsArePerStream(Transport t) {
    String a = "alice-" + t + "-streams";
    String b = "bob-" + t + "-streams";
    String c = "carol-" + t + "-streams";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone");
         TestClient c1 = login(t, c, "phone")) {
      assertEquals(peer(a, b, 1, 0), a1.sendAndAwaitAccepted(message("ab1", b).build()).getPeer());
      assertEquals(peer(a, b, 2, 0), a1.sendAndAwaitAccepted(message("ab2", b).build()).getPeer());
      assertEquals(peer(c, b, 1, 0), c1.sendAndAwaitAccepted(message("cb1", b).build()).getPeer());
      List<Peer> atB = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        atB.add(b1.nextMessage().getPeer());
      }
      assertTrue(atB.containsAll(List.of(peer(a, b, 1, 0), peer(a, b, 2, 0), peer(c, b, 1, 0))),
          () -> "B got " + atB);

      MessagePeerAckSignal ba = b1.sendAndAwaitAccepted(message("ba1", a).build());
      assertEquals(peer(b, a, 1, 0), ba.getPeer(), "B→A is a stream of its own");
      assertEquals(peer(b, a, 1, 0), a1.nextMessage().getPeer());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void offlineRecipientCatchesUpWithSyncAndPull(Transport t) {
    String a = "alice-" + t + "-offline";
    String b = "bob-" + t + "-offline";
    try (TestClient a1 = login(t, a, "phone")) {
      List<Message> sent = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        Message m = message("m" + i, b).build();
        sent.add(m);
        assertEquals(peer(a, b, i, 0), a1.sendAndAwaitAccepted(m).getPeer());
      }
      try (TestClient b1 = login(t, b, "phone")) {
        b1.send(sync("s1").build());
        MessagePeerAckSignal listed = b1.nextAck();
        assertEquals(AckMethod.SYNC_VALUE, listed.getMethod());
        assertEquals(200, listed.getStatusCode());
        assertEquals(peer(a, b, 3, 0), listed.getPeer());
        MessagePeerAckSignal end = b1.nextAck();
        assertEquals(204, end.getStatusCode(), () -> "one stream only, got " + end);
        assertFalse(end.hasPeer());

        b1.send(TestClient.ack(AckMethod.PULL_REQUEST, "p1", a, b, 0).build());
        for (int i = 1; i <= 3; i++) {
          Message got = b1.nextMessage();
          assertEquals("m" + i, got.getMessageId());
          assertEquals(sent.get(i - 1).getPayload(), got.getPayload());
          assertEquals(a1.identity(), got.getFrom());
          assertEquals(1, got.getTransmissionMode());
          assertEquals(peer(a, b, i, 0), got.getPeer());
        }
        MessagePeerAckSignal done = b1.nextAck();
        assertEquals(AckMethod.PULL_REQUEST_VALUE, done.getMethod());
        assertEquals(200, done.getStatusCode());
        assertEquals(peer(a, b, 3, 0), done.getPeer());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void fiftyQuickMessagesArriveInOffsetOrderWithoutGap(Transport t) {
    String a = "alice-" + t + "-order";
    String b = "bob-" + t + "-order";
    try (TestClient a1 = login(t, a, "phone"); TestClient b1 = login(t, b, "phone")) {
      for (int i = 1; i <= 50; i++) {
        a1.send(message("m" + i, b).build());
      }
      for (int i = 1; i <= 50; i++) {
        MessagePeerAckSignal ack = a1.nextAck();
        assertEquals(200, ack.getStatusCode(), () -> "refused: " + ack);
      }
      List<String> ids = new ArrayList<>();
      for (int i = 1; i <= 50; i++) {
        Message got = b1.nextMessage();
        assertEquals(i, got.getPeer().getOffset(), "offsets 1..50, strictly increasing, no gap");
        ids.add(got.getMessageId());
      }
      assertEquals(50, ids.stream().distinct().count(), () -> "each message once: " + ids);
      assertEquals(List.of(), b1.barrier());
      assertEquals(List.of(), a1.barrier(), "the sending device gets only its ACCEPTED acks");
    }
  }
}

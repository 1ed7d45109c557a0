package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Jwt;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PhoenixClient against a real node over TCP and WebSocket: exactly-once, in-order delivery,
 * retries that reuse the message_id, gap filling, ticks, PULL mode and DEVICE messages.
 */
class ClientEndToEndTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  private static boolean accepted(Frame f, String messageId) {
    return f.hasAck() && f.getAck().getMethod() == AckMethod.ACCEPTED_VALUE
        && f.getAck().getMessageId().equals(messageId);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void messagesArriveOnceAndInOrder(Transport t) {
    String a = "alice-order-" + t;
    String b = "bob-order-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    List<Future<MessagePeerAckSignal>> sends = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      sends.add(ac.send(b, "m" + i));
    }
    Map<Long, String> byOffset = new TreeMap<>();
    for (int i = 1; i <= 30; i++) {
      MessagePeerAckSignal ack = await(sends.get(i - 1));
      assertEquals(200, ack.getStatusCode());
      byOffset.put(ack.getPeer().getOffset(), "m" + i);
    }
    assertEquals(30, byOffset.size(), "one offset per message");
    for (long o = 1; o <= 30; o++) {
      Message m = bob.nextMessage(byOffset.get(o), o);
      assertEquals(a, m.getFrom().getEid());
    }
    await(ac.send(b, "last"));
    bob.nextMessage("last", 31);
    assertTrue(bob.messages.isEmpty(), "nothing delivered twice");
    await(Future.join(ac.close(), bc.close()));
    assertEquals(ConnectionState.CLOSED, ac.state());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aLostAcceptedIsRetriedWithTheSameMessageId(Transport t) {
    String a = "alice-lost-" + t;
    String b = "bob-lost-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    AtomicBoolean lostOnce = new AtomicBoolean();
    ac.interceptInbound(f -> accepted(f, "m-lost") && lostOnce.compareAndSet(false, true), true);

    MessagePeerAckSignal ack = await(ac.send(Message.newBuilder().setMessageId("m-lost")
        .setTo(Identity.newBuilder().setEid(b)).setPayload(
            com.google.protobuf.ByteString.copyFromUtf8("once"))));
    assertTrue(lostOnce.get(), "the first answer was lost");
    assertEquals(208, ack.getStatusCode(), "the retry found the stored message");
    assertEquals(1, ack.getPeer().getOffset(), "same offset as the first, lost answer");
    alice.nextState(ConnectionState.RECONNECTING);

    bob.nextMessage("once", 1);
    await(ac.send(b, "next"));
    bob.nextMessage("next", 2);
    assertTrue(bob.messages.isEmpty());
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aConnectionClosedRightAfterSendingLosesNothingAndDuplicatesNothing(Transport t) {
    String a = "alice-cut-" + t;
    String b = "bob-cut-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    Future<MessagePeerAckSignal> sent = ac.send(b, "cut");
    ac.dropConnection(); // runs on the client's context right after the send was written
    MessagePeerAckSignal ack = await(sent);
    assertTrue(ack.getStatusCode() == 200 || ack.getStatusCode() == 208, "status " + ack);
    assertEquals(1, ack.getPeer().getOffset());
    alice.nextState(ConnectionState.RECONNECTING);

    bob.nextMessage("cut", 1);
    await(ac.send(b, "after"));
    bob.nextMessage("after", 2);
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aGapInPushesIsPulledAndDeliveredOnce(Transport t) {
    String a = "alice-gap-" + t;
    String b = "bob-gap-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    // The node pushes offsets 2 and 3 but bob never sees them: 4 arrives past a gap.
    bc.interceptInbound(f -> f.hasMessage() && f.getMessage().getTransmissionMode() == 2
        && f.getMessage().getPeer().getOffset() > 1 && f.getMessage().getPeer().getOffset() < 4,
        false);
    for (int i = 1; i <= 5; i++) {
      await(ac.send(b, "g" + i));
    }
    for (int i = 1; i <= 5; i++) {
      Message m = bob.nextMessage("g" + i, i);
      if (i == 2 || i == 3) {
        assertEquals(1, m.getTransmissionMode(), "the gap was pulled");
      }
    }
    await(ac.send(b, "g6"));
    bob.nextMessage("g6", 6);
    assertTrue(bob.messages.isEmpty());
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void whatWasSentWhileTheReceiverWasOfflineArrivesAfterItReconnects(Transport t) {
    String a = "alice-offline-" + t;
    String b = "bob-offline-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    // Bob's reconnects wait for a token the test hands out: he stays offline until then.
    TokenGate gate = new TokenGate(node.token(b));
    PhoenixClient bc = bob.builder(vertx, t, b, node).token(gate::next).build();
    gate.open();
    await(bc.connect());

    await(ac.send(b, "o1"));
    bob.nextMessage("o1", 1);
    bc.dropConnection();
    bob.nextState(ConnectionState.RECONNECTING);
    for (int i = 2; i <= 6; i++) {
      assertEquals(i, await(ac.send(b, "o" + i)).getPeer().getOffset());
    }
    assertTrue(bob.messages.isEmpty(), "bob is offline");
    gate.open();
    for (int i = 2; i <= 6; i++) {
      assertEquals(1, bob.nextMessage("o" + i, i).getTransmissionMode(), "SYNC, then pulled");
    }
    await(ac.send(b, "o7"));
    bob.nextMessage("o7", 7);
    assertTrue(bob.messages.isEmpty());
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSendFromTheStateListenerDoesNotOvertakeSendsWaitingForTheReconnect(Transport t) {
    String a = "alice-overtake-" + t;
    String b = "bob-overtake-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    TokenGate gate = new TokenGate(node.token(a));
    java.util.concurrent.atomic.AtomicReference<PhoenixClient> self =
        new java.util.concurrent.atomic.AtomicReference<>();
    List<Future<MessagePeerAckSignal>> fromListener = new java.util.concurrent.CopyOnWriteArrayList<>();
    PhoenixClient ac = alice.builder(vertx, t, a, node).token(gate::next)
        .onStateChange(change -> {
          alice.states.add(change);
          if (change.state() == ConnectionState.CONNECTED && self.get() != null) {
            fromListener.add(self.get().send(b, "back")); // e.g. an application's "online again"
          }
        })
        .build();
    gate.open();
    await(ac.connect());
    self.set(ac);
    ac.dropConnection();
    alice.nextState(ConnectionState.RECONNECTING);
    Future<MessagePeerAckSignal> first = ac.send(b, "waited-1");
    Future<MessagePeerAckSignal> second = ac.send(b, "waited-2");
    gate.open();
    assertEquals(1, await(first).getPeer().getOffset());
    assertEquals(2, await(second).getPeer().getOffset());
    alice.nextState(ConnectionState.CONNECTED);
    assertEquals(3, await(fromListener.get(0)).getPeer().getOffset());
    bob.nextMessage("waited-1", 1);
    bob.nextMessage("waited-2", 2);
    bob.nextMessage("back", 3);
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void deliveredAndReadTicksReachTheSender(Transport t) {
    String a = "alice-ticks-" + t;
    String b = "bob-ticks-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    await(ac.send(b, "tick"));
    Message m = bob.nextMessage("tick", 1);
    bc.delivered(m);
    MessagePeerAckSignal delivered = alice.nextAck();
    assertEquals(AckMethod.DELIVERED_VALUE, delivered.getMethod());
    assertEquals(1, delivered.getPeer().getOffset());
    assertEquals(1, delivered.getPeer().getPeerOffset());
    assertEquals(b, delivered.getFrom().getEid());
    bc.read(m);
    MessagePeerAckSignal read = alice.nextAck();
    assertEquals(AckMethod.READ_VALUE, read.getMethod());
    assertEquals(m.getMessageId(), read.getMessageId());
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void pullModeHintsArePulledAndDeviceMessagesPassStraightThrough(Transport t) {
    String a = "alice-pull-" + t;
    String b = "bob-pull-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    await(ac.send(Message.newBuilder().setTo(Identity.newBuilder().setEid(b))
        .setTransmissionMode(1).setPayload(com.google.protobuf.ByteString.copyFromUtf8("hint"))));
    Message pulled = bob.nextMessage("hint", 1);
    assertEquals(1, pulled.getTransmissionMode(), "fetched by PULL_REQUEST");

    MessagePeerAckSignal typing = await(ac.send(Message.newBuilder()
        .setTo(Identity.newBuilder().setEid(b)).setType(2)
        .setPayload(com.google.protobuf.ByteString.copyFromUtf8("typing"))));
    assertEquals(200, typing.getStatusCode());
    Message device = bob.nextMessage();
    assertEquals("typing", device.getPayload().toStringUtf8());
    assertFalse(device.hasPeer());
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void refusalsFailTheSendWithTheirStatus(Transport t) {
    NodeRecorder alice = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, "alice-refused-" + t, node);
    SendException empty = (SendException) Recorder.failure(ac.send("", "to nobody"));
    assertEquals(400, empty.status());
    SendException offline = (SendException) Recorder.failure(ac.send(Message.newBuilder()
        .setTo(Identity.newBuilder().setEid("nobody-" + t)).setType(2)));
    assertEquals(404, offline.status(), "DEVICE message with nobody online");
    assertEquals(ConnectionState.CONNECTED, ac.state(), "refusals do not end the session");
    await(ac.close());
    assertEquals(0, ((SendException) Recorder.failure(ac.send("x", "late"))).status());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aMessageOverTheFrameLimitFailsWith413AndTheSessionGoesOn(Transport t) {
    String a = "alice-large-" + t;
    String b = "bob-large-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    alice.states.clear();
    // as a frame it is over max_frame_bytes (65536): the node would end the session (Goodbye
    // 413), and the client would send it again on every new connection
    SendException tooLarge = (SendException) Recorder.failure(
        ac.send(b, com.google.protobuf.ByteString.copyFrom(new byte[65_536])));
    assertEquals(413, tooLarge.status());
    assertTrue(tooLarge.getMessage().contains("max_frame_bytes 65536"), tooLarge.getMessage());
    assertEquals(1, await(ac.send(b, "after")).getPeer().getOffset());
    bob.nextMessage("after", 1);
    assertEquals(ConnectionState.CONNECTED, ac.state());
    assertTrue(alice.states.isEmpty(), "the session was never lost: " + alice.states);
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void nullArgumentsAreRefusedAtTheCallAndHarmNothing(Transport t) {
    String a = "alice-null-" + t;
    String b = "bob-null-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    NullPointerException e = assertThrows(NullPointerException.class,
        () -> ac.history(null, b, 5));
    assertEquals("from", e.getMessage());
    assertEquals("to", assertThrows(NullPointerException.class,
        () -> ac.send((String) null, "x")).getMessage());
    assertEquals("text", assertThrows(NullPointerException.class,
        () -> ac.send(b, (String) null)).getMessage());
    assertThrows(NullPointerException.class, () -> ac.delivered(null));
    assertEquals(400, ((SendException) Recorder.failure(ac.history("", b, 5))).status());
    // a request left half-made must not break what every new session does (SYNC, pulls)
    bc.dropConnection();
    bob.nextState(ConnectionState.CONNECTED);
    ac.dropConnection();
    alice.nextState(ConnectionState.CONNECTED);
    assertEquals(1, await(ac.send(b, "after")).getPeer().getOffset());
    bob.nextMessage("after", 1);
    assertEquals(List.of("after"), await(ac.history(a, b, 5)).stream()
        .map(m -> m.getPayload().toStringUtf8()).toList());
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void sendsMadeBeforeConnectingGoOutOnceConnected(Transport t) {
    String b = "bob-early-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    PhoenixClient ac = alice.builder(vertx, t, "alice-early-" + t, node).build();
    Future<MessagePeerAckSignal> early = ac.send(b, "early");
    assertFalse(early.isComplete());
    await(ac.connect());
    assertEquals(1, await(early).getPeer().getOffset());
    bob.nextMessage("early", 1);
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aTokenThatNeverComesIsGivenUpAfterTheHelloTimeout(Transport t) {
    String a = "alice-no-token-" + t;
    NodeRecorder alice = new NodeRecorder();
    AtomicInteger asked = new AtomicInteger();
    // the first request for a token never completes (an identity provider that never answers)
    PhoenixClient ac = alice.builder(vertx, t, a, node)
        .token(() -> asked.incrementAndGet() == 1 ? io.vertx.core.Promise.<String>promise().future()
            : Future.succeededFuture(node.token(a)))
        .helloTimeout(java.time.Duration.ofMillis(500))
        .build();
    assertEquals(a, await(ac.connect()).getEid());
    StateChange lost = alice.nextState(ConnectionState.RECONNECTING);
    assertEquals("no token within 500 ms", lost.reason());
    assertEquals(2, asked.get());
    await(ac.close());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void anEndpointThatAcceptsButNeverAnswersIsLeftAfterTheHelloTimeout(Transport t) {
    // a host that takes the connection and then says nothing: no Welcome, and for WebSocket
    // not even the answer to the upgrade request
    java.util.concurrent.CountDownLatch silentClosed = new java.util.concurrent.CountDownLatch(1);
    io.vertx.core.net.NetServer silent = vertx.createNetServer()
        .connectHandler(socket -> socket.closeHandler(v -> silentClosed.countDown()));
    int port = await(silent.listen(0, "127.0.0.1")).actualPort();
    String a = "alice-silent-" + t;
    NodeRecorder alice = new NodeRecorder();
    String silentEndpoint = t == Transport.TCP ? "tcp://127.0.0.1:" + port
        : "ws://127.0.0.1:" + port + "/socket";
    PhoenixClient ac = alice.builder(vertx, node.token(a), silentEndpoint,
            NodeRecorder.endpoint(t, node))
        .helloTimeout(java.time.Duration.ofMillis(500))
        .build();
    assertEquals(a, await(ac.connect()).getEid(), "the next endpoint was tried");
    StateChange lost = alice.nextState(ConnectionState.RECONNECTING);
    assertTrue(lost.reason().contains("500 ms"), lost.reason());
    try {
      assertTrue(silentClosed.await(Recorder.TIMEOUT.toMillis(),
          java.util.concurrent.TimeUnit.MILLISECONDS), "the silent connection was closed");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    await(ac.close());
    await(silent.close());
  }

  /**
   * The node ends a session whose token expires (401 "token expired"); the client connects
   * again with a fresh token from its supplier, and goes on sending. With a fixed token, the
   * next Hello is refused and the client stops. Each token here lasts about 2 s (exp 28 s past,
   * the node's clock skew 30 s).
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSessionWhoseTokenExpiresConnectsAgainWithAFreshOne(Transport t) {
    String a = "alice-expiring-" + t;
    AtomicInteger asked = new AtomicInteger();
    NodeRecorder r = new NodeRecorder();
    PhoenixClient c = r.builder(vertx, t, a, node).token(() -> {
      asked.incrementAndGet();
      return Future.succeededFuture(shortLived(a));
    }).build();
    await(c.connect());
    r.nextState(ConnectionState.CONNECTED);
    StateChange lost = r.nextState(s -> s.state() != ConnectionState.CONNECTED);
    assertEquals(ConnectionState.RECONNECTING, lost.state(), lost.toString());
    assertTrue(lost.reason().contains("token expired"), lost.reason());
    r.nextState(ConnectionState.CONNECTED);
    assertTrue(asked.get() >= 2, "a fresh token for the new session");
    assertEquals(200, await(c.send("bob-expiring-" + t, "after")).getStatusCode());
    await(c.close());

    NodeRecorder fixed = new NodeRecorder();
    PhoenixClient f = fixed.builder(vertx, t, a, node).token(shortLived(a)).build();
    await(f.connect());
    StateChange failed = fixed.nextState(ConnectionState.FAILED);
    assertTrue(failed.reason().contains("401"), failed.reason());
    await(f.close());
  }

  /** A token for {@code eid} that the node takes for about 2 s more. */
  private static String shortLived(String eid) {
    long now = Jwt.nowSeconds();
    return Jwt.hs256(TestNode.SECRET, new JsonObject()
        .put("sub", eid).put("iss", "phoenix").put("iat", now - 30).put("exp", now - 28));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aRefusedTokenFailsForGood(Transport t) {
    NodeRecorder r = new NodeRecorder();
    PhoenixClient c = r.builder(vertx, t, "mallory-" + t, node).token("not-a-token").build();
    Future<MessagePeerAckSignal> pending = c.send("bob", "never");
    Throwable e = Recorder.failure(c.connect());
    assertTrue(e.getMessage().contains("401"), e.getMessage());
    StateChange failed = r.nextState(s -> s.state() != ConnectionState.CONNECTING);
    assertEquals(ConnectionState.FAILED, failed.state(), "no reconnect after 401");
    assertEquals(0, ((SendException) Recorder.failure(pending)).status());
    await(c.close());
  }
}

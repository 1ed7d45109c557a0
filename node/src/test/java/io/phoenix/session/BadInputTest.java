package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.protocol.v1.Welcome;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad input on the wire (PROTOCOL.md §2, §3.5; decisions.md 1, 6): unparseable, empty,
 * malformed and oversized frames, WebSocket text messages and wrong paths. Each offending
 * connection gets the listed Goodbye and is closed, and a healthy pair of clients on the same
 * node can still log in and exchange a message afterwards.
 */
class BadInputTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final AtomicInteger SEQ = new AtomicInteger();

  static TestNode node;
  static Vertx vertx;
  static int maxFrameBytes;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
    maxFrameBytes = node.settings().limits().maxFrameBytes();
  }

  // ------------------------------------------------------------------ unparseable

  @ParameterizedTest
  @EnumSource(Transport.class)
  void garbageBytesGetGoodbye400(Transport t) {
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      sendBody(c, garbage());
      assertGoodbye(c, 400);
    }
    assertNodeStillServes(t);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void garbageAfterAGoodFrameIsRefusedAfterTheGoodFrameIsAnswered(Transport t) {
    try (TestClient c = TestClient.login(vertx, t, node, eid("garbage-late", t), "r")) {
      byte[] ping = Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(77)).build()
          .toByteArray();
      if (t == Transport.TCP) { // both in one write
        c.sendRaw(concat(TestClient.delimited(ping), TestClient.delimited(garbage())));
      } else {
        c.sendRaw(ping);
        c.sendRaw(garbage());
      }
      Frame pong = c.next();
      assertEquals(Frame.BodyCase.PONG, pong.getBodyCase(), () -> "expected Pong, got " + pong);
      assertEquals(77, pong.getPong().getTimestamp());
      assertGoodbye(c, 400);
    }
    assertNodeStillServes(t);
  }

  /**
   * A stored message and then garbage (docs/protocol.md item 20: what a session's requests
   * cause leaves in the order they arrived, refusals included): the message's ACCEPTED comes
   * before the Goodbye of the garbage, though the store answers after the garbage was read.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aMessageBeforeGarbageIsAcceptedBeforeTheGoodbye(Transport t) {
    String to = eid("garbage-after-message-to", t);
    try (TestClient c = TestClient.login(vertx, t, node, eid("garbage-after-message", t), "r")) {
      byte[] message = Frame.newBuilder().setMessage(TestClient.message("m1", to)).build()
          .toByteArray();
      if (t == Transport.TCP) { // both in one write
        c.sendRaw(concat(TestClient.delimited(message), TestClient.delimited(garbage())));
      } else {
        c.sendRaw(message);
        c.sendRaw(garbage());
      }
      Frame accepted = c.next();
      assertEquals(Frame.BodyCase.ACK, accepted.getBodyCase(),
          () -> "expected ACCEPTED, got " + accepted);
      assertEquals("m1", accepted.getAck().getMessageId());
      assertEquals(200, accepted.getAck().getStatusCode(), accepted::toString);
      assertGoodbye(c, 400);
    }
    assertNodeStillServes(t);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void emptyFrameGetsGoodbye400(Transport t) {
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      sendBody(c, new byte[0]); // TCP: the single byte 0x00; WS: an empty binary message
      assertGoodbye(c, 400);
    }
    assertNodeStillServes(t);
  }

  /**
   * A session closed as a slow consumer whose client does not read: the node stops reading it
   * and closes the socket ten seconds after its Goodbye, with what is left unsent. Before, the
   * socket stayed open, read, holding what waited to be written, for as long as the client kept
   * it.
   */
  @Test
  @org.junit.jupiter.api.Timeout(90)
  void aSlowConsumerThatNeverReadsIsClosedSecondsAfterItsGoodbye() throws Exception {
    try (java.net.Socket socket = new java.net.Socket();
         TestClient sender = TestClient.login(vertx, Transport.TCP, node, "zombie-sender", "r")) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", node.tcpPort()));
      socket.setSoTimeout(10_000);
      java.io.OutputStream out = socket.getOutputStream();
      out.write(TestClient.delimited(Frame.newBuilder().setHello(io.phoenix.protocol.v1.Hello
          .newBuilder().setToken(node.token("zombie")).setConnectionResourceId("r")).build()
          .toByteArray()));
      Frame welcome = Frame.parseFrom(com.google.protobuf.CodedInputStream
          .newInstance(socket.getInputStream()).readByteArray());
      assertEquals(Frame.BodyCase.WELCOME, welcome.getBodyCase(), welcome::toString);
      // 12 MB of pushes it never reads: past limits.maxOutboundBytes (4 MiB) and the buffers
      // of both sockets, so the node holds some of it when it says Goodbye 503
      com.google.protobuf.ByteString body = com.google.protobuf.ByteString.copyFrom(
          new byte[60_000]);
      for (int i = 0; i < 200; i++) {
        sender.send(TestClient.message("z" + i, "zombie").setPayload(body).build());
      }
      for (int i = 0; i < 200; i++) {
        assertEquals(200, sender.nextAck().getStatusCode());
      }
      Thread.sleep(12_000); // the ten seconds after the Goodbye, and a margin
      byte[] ping = TestClient.delimited(Frame.newBuilder()
          .setPing(io.phoenix.protocol.v1.Ping.newBuilder().setTimestamp(1)).build().toByteArray());
      boolean ended = false;
      for (int i = 0; i < 20 && !ended; i++) {
        try {
          out.write(ping);
          out.flush();
          Thread.sleep(50);
        } catch (java.io.IOException reset) {
          ended = true;
        }
      }
      assertTrue(ended, "the node closed the socket of a client that does not read");
    }
    assertNodeStillServes(Transport.TCP);
  }

  @Test
  void tcpLengthPrefixWithSixContinuationBytesGetsGoodbye400() {
    try (TestClient c = TestClient.connect(vertx, Transport.TCP, node)) {
      c.sendRaw(new byte[] {(byte) 0x81, (byte) 0x82, (byte) 0x83, (byte) 0x84, (byte) 0x85,
          (byte) 0x86});
      assertGoodbye(c, 400);
    }
    assertNodeStillServes(Transport.TCP);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void serverOnlyFrameFromClientGetsGoodbye400(Transport t) {
    try (TestClient c = TestClient.login(vertx, t, node, eid("welcome-back", t), "r")) {
      c.send(Frame.newBuilder().setWelcome(Welcome.newBuilder().setHeartbeatSeconds(1)).build());
      assertGoodbye(c, 400);
    }
    assertNodeStillServes(t);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void clientGoodbyeClosesQuietly(Transport t) {
    try (TestClient c = TestClient.login(vertx, t, node, eid("leaving", t), "r")) {
      c.send(Frame.newBuilder().setGoodbye(Goodbye.newBuilder().setStatusCode(200)).build());
      c.awaitClosed();
      assertEquals(List.of(), c.drain(), "the server answered a client Goodbye");
    }
    assertNodeStillServes(t);
  }

  // ------------------------------------------------------------------ size

  @ParameterizedTest
  @EnumSource(Transport.class)
  void frameOfMaxFrameBytesPlusOneGetsGoodbye413(Transport t) {
    try (TestClient c = TestClient.login(vertx, t, node, eid("too-big", t), "r")) {
      if (t == Transport.TCP) {
        // only the length prefix: the server must refuse without waiting for the body
        c.sendRaw(Arrays.copyOf(TestClient.delimited(new byte[maxFrameBytes + 1]),
            prefixLength(maxFrameBytes + 1)));
      } else {
        c.sendRaw(new byte[maxFrameBytes + 1]);
      }
      assertGoodbye(c, 413);
    }
    assertNodeStillServes(t);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void frameOfExactlyMaxFrameBytesPassesTheSizeCheck(Transport t) {
    long stamp = SEQ.incrementAndGet();
    Frame ping = pingFrameOfExactly(maxFrameBytes, stamp);
    assertEquals(maxFrameBytes, ping.getSerializedSize());
    try (TestClient c = TestClient.login(vertx, t, node, eid("max-ping", t), "r")) {
      c.send(ping);
      Frame pong = c.next();
      assertEquals(Frame.BodyCase.PONG, pong.getBodyCase(), () -> "expected Pong, got " + pong);
      assertEquals(stamp, pong.getPong().getTimestamp());
    }
  }

  /**
   * decisions.md 33: the server never sends a frame over max_frame_bytes, so a message whose
   * delivered form (stamped from, peer, to.node) would be larger is refused with 413 and not
   * stored; one with room for that metadata is accepted.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void messageWithNoRoomForDeliveryMetadataIsRefused413(Transport t) {
    String to = eid("offline", t);
    Frame big = messageFrameOfExactly(maxFrameBytes, "big-" + SEQ.incrementAndGet(), to);
    assertEquals(maxFrameBytes, big.getSerializedSize());
    Frame fits = messageFrameOfExactly(maxFrameBytes - 512, "fits-" + SEQ.incrementAndGet(), to);
    try (TestClient c = TestClient.login(vertx, t, node, eid("big-sender", t), "r")) {
      MessagePeerAckSignal refused = c.sendAndAwaitAccepted(big.getMessage());
      assertEquals(413, refused.getStatusCode());
      MessagePeerAckSignal ack = c.sendAndAwaitAccepted(fits.getMessage());
      assertEquals(200, ack.getStatusCode());
      assertEquals(1, ack.getPeer().getOffset(), "the refused message used no offset");
      assertTrue(c.barrier().isEmpty());
    }
  }

  private static Frame pingFrameOfExactly(int size, long stamp) {
    int padding = size;
    for (int i = 0; i < 10; i++) {
      com.google.protobuf.UnknownFieldSet pad = com.google.protobuf.UnknownFieldSet.newBuilder()
          .addField(15, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
              .addLengthDelimited(ByteString.copyFrom(new byte[padding])).build())
          .build();
      Frame f = Frame.newBuilder().setPing(io.phoenix.protocol.v1.Ping.newBuilder()
          .setTimestamp(stamp).setUnknownFields(pad)).build();
      int diff = f.getSerializedSize() - size;
      if (diff == 0) {
        return f;
      }
      padding -= diff;
    }
    throw new IllegalStateException("no padding gives a frame of " + size + " bytes");
  }

  @Test
  void webSocketMessageFarBeyondTheLimitClosesTheConnection() {
    try (TestClient c = TestClient.login(vertx, Transport.WS, node, eid("huge", Transport.WS),
        "r")) {
      c.sendRaw(new byte[4 * maxFrameBytes + 1]);
      c.awaitClosed();
      // decisions.md 6: past 4 x max_frame_bytes the WebSocket layer closes (1009) itself
      for (Frame f : c.drain()) {
        assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), () -> "unexpected " + f);
        assertEquals(413, f.getGoodbye().getStatusCode());
      }
    }
    assertNodeStillServes(Transport.WS);
  }

  // ------------------------------------------------------------------ WebSocket specifics

  @Test
  void webSocketTextMessageGetsGoodbye400() {
    try (TestClient c = TestClient.connect(vertx, Transport.WS, node)) {
      c.sendText("{\"hello\":{\"token\":\"x\"}}");
      assertGoodbye(c, 400);
    }
    assertNodeStillServes(Transport.WS);
  }

  @Test
  void webSocketUpgradeOnAnotherPathIsRefused() {
    AssertionError e = assertThrows(AssertionError.class, () -> TestClient.connect(vertx,
        Transport.WS, "127.0.0.1", node.tcpPort(), node.httpPort(), "/not-the-socket").close());
    Throwable cause = e;
    while (cause != null && !(cause instanceof UpgradeRejectedException)) {
      cause = cause.getCause();
    }
    if (cause == null) {
      fail("the upgrade failed, but not as a rejected upgrade", e);
    }
    assertEquals(404, ((UpgradeRejectedException) cause).getStatus());
    assertNodeStillServes(Transport.WS);
  }

  // ------------------------------------------------------------------ many bad connections

  @ParameterizedTest
  @EnumSource(Transport.class)
  void fiftyBadConnectionsInARowLeaveTheNodeServing(Transport t) {
    for (int i = 0; i < 50; i++) {
      try (TestClient c = TestClient.connect(vertx, t, node)) {
        switch (i % 5) {
          case 0 -> {
            sendBody(c, garbage());
            assertGoodbye(c, 400);
          }
          case 1 -> {
            sendBody(c, new byte[0]);
            assertGoodbye(c, 400);
          }
          case 2 -> {
            c.send(TestClient.message("m" + i, "x").build());
            assertGoodbye(c, 401);
          }
          case 3 -> {
            c.sendRaw(t == Transport.TCP ? TestClient.delimited(new byte[maxFrameBytes + 1])
                : new byte[maxFrameBytes + 1]);
            assertGoodbye(c, 413);
          }
          default -> c.sendRaw(t == Transport.TCP // cut off mid-frame by the client
              ? Arrays.copyOf(TestClient.delimited(new byte[100]), 10) : garbage());
        }
      }
    }
    assertNodeStillServes(t);
  }

  // ------------------------------------------------------------------ helpers

  /** A healthy pair logs in and exchanges a message: the node still serves everyone else. */
  private static void assertNodeStillServes(Transport t) {
    String a = eid("healthy-a", t);
    String b = eid("healthy-b", t);
    try (TestClient alice = TestClient.login(vertx, t, node, a, "r");
         TestClient bob = TestClient.login(vertx, t, node, b, "r")) {
      String id = "ok-" + SEQ.incrementAndGet();
      MessagePeerAckSignal ack = alice.sendAndAwaitAccepted(TestClient.message(id, b).build());
      assertEquals(200, ack.getStatusCode());
      Message m = bob.nextMessage();
      assertEquals(id, m.getMessageId());
      assertEquals(a, m.getFrom().getEid());
      assertTrue(alice.barrier().isEmpty());
    }
  }

  private static void assertGoodbye(TestClient c, int status) {
    Goodbye bye = c.expectGoodbye();
    assertEquals(status, bye.getStatusCode(), () -> "Goodbye " + bye);
  }

  /** One frame body: length-prefixed on TCP, one binary message on WebSocket. */
  private static void sendBody(TestClient c, byte[] body) {
    c.sendRaw(c.transport() == Transport.TCP ? TestClient.delimited(body) : body);
  }

  /** Ten 0xFF bytes: an unterminated varint tag, not a protobuf message. */
  private static byte[] garbage() {
    byte[] b = new byte[10];
    Arrays.fill(b, (byte) 0xFF);
    return b;
  }

  /** A Message frame whose serialized size is exactly {@code size} bytes. */
  private static Frame messageFrameOfExactly(int size, String id, String to) {
    Message.Builder m = TestClient.message(id, to);
    int payload = size;
    for (int i = 0; i < 10; i++) {
      Frame f = Frame.newBuilder()
          .setMessage(m.setPayload(ByteString.copyFrom(new byte[payload]))).build();
      int diff = f.getSerializedSize() - size;
      if (diff == 0) {
        return f;
      }
      payload -= diff;
    }
    throw new IllegalStateException("no payload size gives a frame of " + size + " bytes");
  }

  private static int prefixLength(int length) {
    return TestClient.delimited(new byte[length]).length - length;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static String eid(String what, Transport t) {
    return "bad-" + what + "-" + t + "-" + SEQ.incrementAndGet();
  }
}

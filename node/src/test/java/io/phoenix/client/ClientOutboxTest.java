package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the outbox takes while sends wait for their answer: a bound in bytes as well as in
 * count, and message_ids told apart per recipient (the node de-duplicates per stream).
 */
class ClientOutboxTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  @Test
  void sendsWaitingForAConnectionAreBoundedInBytesByDefault() {
    String a = "alice-bytes";
    String b = "bob-bytes";
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient bc = bob.connect(vertx, Transport.TCP, b, node);
    PhoenixClient ac = alice.builder(vertx, Transport.TCP, a, node).build(); // not connected
    // 300 sends of 60,000 bytes: 18 MB, over the default 16 MiB (far under 10,000 sends)
    ByteString payload = ByteString.copyFrom(new byte[60_000]);
    List<Future<MessagePeerAckSignal>> sends = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sends.add(ac.send(b, payload));
    }
    SendException over = (SendException) Recorder.failure(sends.get(299));
    assertEquals(0, over.status(), "given up by the client, like a send past the count bound");
    assertTrue(over.getMessage().contains("16777216 bytes"), over.getMessage());
    int waiting = 0;
    for (Future<MessagePeerAckSignal> f : sends) {
      if (!f.failed()) {
        assertFalse(f.isComplete(), "not connected: nothing is answered yet");
        waiting++;
      }
    }
    assertTrue(waiting * 60_000L <= 16L << 20 && (waiting + 1) * 60_100L > 16L << 20,
        "as many as 16 MiB holds wait: " + waiting);
    for (int i = waiting; i < 300; i++) {
      assertTrue(sends.get(i).failed(), "every later send failed at once: " + i);
    }

    await(ac.connect());
    for (int i = 0; i < waiting; i++) {
      assertEquals(i + 1, await(sends.get(i)).getPeer().getOffset());
    }
    // answered: the bytes they held are free again
    assertEquals(waiting + 1, await(ac.send(b, payload)).getPeer().getOffset());
    await(Future.join(ac.close(), bc.close()));
  }

  @Test
  void theBoundInBytesIsSetInTheBuilder() {
    String a = "alice-bytes-set";
    String b = "bob-bytes-set";
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient bc = bob.connect(vertx, Transport.TCP, b, node);
    PhoenixClient ac = alice.builder(vertx, Transport.TCP, a, node).maxPendingBytes(200_000)
        .build();
    ByteString payload = ByteString.copyFrom(new byte[60_000]);
    List<Future<MessagePeerAckSignal>> sends = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sends.add(ac.send(b, payload));
    }
    SendException over = (SendException) Recorder.failure(ac.send(b, payload));
    assertEquals(0, over.status());
    assertTrue(over.getMessage().contains("200000 bytes"), over.getMessage());
    sends.add(ac.send(b, "small")); // still fits beside the three
    await(ac.connect());
    for (int i = 0; i < 4; i++) {
      assertEquals(i + 1, await(sends.get(i)).getPeer().getOffset());
    }
    assertEquals(5, await(ac.send(b, payload)).getPeer().getOffset());
    assertThrows(IllegalArgumentException.class,
        () -> PhoenixClient.builder(vertx).maxPendingBytes(0));
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void oneMessageIdMayGoToTwoRecipientsAtOnce(Transport t) {
    String a = "alice-same-id-" + t;
    String b = "bob-same-id-" + t;
    String c = "carol-same-id-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    NodeRecorder carol = new NodeRecorder();
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    PhoenixClient cc = carol.connect(vertx, t, c, node);
    TokenGate gate = new TokenGate(node.token(a));
    PhoenixClient ac = alice.builder(vertx, t, a, node).token(gate::next).build();
    gate.open();
    // both wait for the connection, under one message_id: two streams, two messages
    Future<MessagePeerAckSignal> toBob = ac.send(message("same-id", b, "for bob"));
    Future<MessagePeerAckSignal> toCarol = ac.send(message("same-id", c, "for carol"));
    await(ac.connect());
    MessagePeerAckSignal bobAck = await(toBob);
    MessagePeerAckSignal carolAck = await(toCarol);
    assertEquals(200, bobAck.getStatusCode());
    assertEquals(b, bobAck.getPeer().getTo(), "each send completes with its own stream's answer");
    assertEquals(1, bobAck.getPeer().getOffset());
    assertEquals(200, carolAck.getStatusCode());
    assertEquals(c, carolAck.getPeer().getTo());
    assertEquals(1, carolAck.getPeer().getOffset());
    bob.nextMessage("for bob", 1);
    carol.nextMessage("for carol", 1);

    // the same again to the same recipient while the first waits is still refused: it would be
    // stored once, and only one of the two futures could have the answer
    ac.dropConnection(); // and no token for the next connection until the gate opens
    alice.nextState(ConnectionState.RECONNECTING);
    Future<MessagePeerAckSignal> again = ac.send(message("other-id", b, "again"));
    SendException twice = (SendException) Recorder.failure(
        ac.send(message("other-id", b, "again, twice")));
    assertEquals(0, twice.status());
    assertTrue(twice.getMessage().contains("already being sent"), twice.getMessage());
    Future<MessagePeerAckSignal> toCarolAgain = ac.send(message("other-id", c, "again"));
    gate.open();
    assertEquals(2, await(again).getPeer().getOffset());
    assertEquals(2, await(toCarolAgain).getPeer().getOffset());
    bob.nextMessage("again", 2);
    carol.nextMessage("again", 2);
    assertTrue(bob.messages.isEmpty() && carol.messages.isEmpty(), "nothing twice");
    await(Future.join(ac.close(), bc.close(), cc.close()));
  }

  private static Message.Builder message(String id, String to, String text) {
    return Message.newBuilder().setMessageId(id).setTo(Identity.newBuilder().setEid(to))
        .setPayload(ByteString.copyFromUtf8(text));
  }
}

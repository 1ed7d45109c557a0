package io.phoenix.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The node's listeners on Netty's handlers ({@link Listener}, {@link ChannelSocket}) for TCP and
 * for WebSocket on the HTTP port, through real sockets: bytes read while a session has paused
 * reading are held and handed over in order, and a stopped node closes its connections and
 * frees its ports.
 */
class ListenerTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  /**
   * 6,000 SENDs written back to back (on TCP in a few large writes): the session pauses reading
   * above 1,024 unanswered, so later chunks arrive while it is paused. Every SEND gets its
   * ACCEPTED, in the order sent, and the recipient gets every message in that order.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aBurstPastThePauseIsAnsweredWholeAndInOrder(Transport transport) {
    int n = 6_000;
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    try (TestNode node = TestNode.start(config);
        TestClient alice = TestClient.login(vertx, transport, node, "burst-alice", "a");
        TestClient bob = TestClient.login(vertx, transport, node, "burst-bob", "b")) {
      ByteArrayOutputStream chunk = new ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        Message m = TestClient.message("m-" + i, "burst-bob").build();
        if (transport == Transport.WS) {
          alice.send(m); // a WebSocket message each
          continue;
        }
        chunk.writeBytes(TestClient.delimited(Frame.newBuilder().setMessage(m).build()
            .toByteArray()));
        if (chunk.size() > 8 * 1024 || i == n - 1) {
          alice.sendRaw(chunk.toByteArray());
          chunk.reset();
        }
      }
      List<String> accepted = new ArrayList<>();
      while (accepted.size() < n) {
        Frame f = alice.next(Duration.ofSeconds(30));
        if (f.hasAck() && f.getAck().getMethod() == AckMethod.ACCEPTED_VALUE) {
          MessagePeerAckSignal a = f.getAck();
          assertEquals(200, a.getStatusCode(), a.toString());
          accepted.add(a.getMessageId());
        }
      }
      List<String> received = new ArrayList<>();
      while (received.size() < n) {
        received.add(bob.nextMessage().getMessageId());
      }
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        expected.add("m-" + i);
      }
      assertEquals(expected, accepted);
      assertEquals(expected, received);
    }
  }

  /**
   * Stopping a node says Goodbye 503 to its sessions and closes them, and the port is free
   * again: a new node binds it.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aStoppedNodeClosesItsConnectionsAndFreesThePort(Transport transport) {
    String server = transport == Transport.TCP ? "tcp" : "http";
    int port = TestNode.freePort();
    JsonObject config = TestNode.config();
    config.getJsonObject(server).put("port", port);
    TestNode first = TestNode.start(config);
    TestClient c = TestClient.login(vertx, transport, first, "stopping-carol", "c");
    try {
      first.close();
      assertEquals(503, c.expectGoodbye().getStatusCode());
      c.awaitClosed();
    } finally {
      c.close();
    }
    JsonObject again = TestNode.config();
    again.getJsonObject(server).put("port", port);
    try (TestNode second = TestNode.start(again);
        TestClient d = TestClient.login(vertx, transport, second, "stopping-dave", "d")) {
      assertEquals(port, transport == Transport.TCP ? second.tcpPort() : second.httpPort());
      assertTrue(d.welcome().hasIdentity());
    }
  }
}

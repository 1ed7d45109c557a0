package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SmokeTest {
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
    node.close();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aliceSendsBobReceives(Transport t) {
    try (TestClient alice = TestClient.login(vertx, t, node, "alice-" + t, "phone");
         TestClient bob = TestClient.login(vertx, t, node, "bob-" + t, "laptop")) {
      MessagePeerAckSignal ack = alice.sendAndAwaitAccepted(
          TestClient.message("m1", "bob-" + t).build());
      assertEquals(200, ack.getStatusCode());
      assertEquals(1, ack.getPeer().getOffset());
      Message m = bob.nextMessage();
      assertEquals("m1", m.getMessageId());
      assertEquals(1, m.getPeer().getOffset());
      assertEquals("alice-" + t, m.getFrom().getEid());
      assertEquals(node.id(), m.getTo().getNode());
    }
  }
}

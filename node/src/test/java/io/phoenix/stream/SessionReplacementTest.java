package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
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
 * Session replacement and node shutdown (PROTOCOL.md §3.4 and §9, decision 8): a second session
 * with the same eid and connection_resource_id replaces the first (Goodbye 409 "replaced",
 * closed) and alone receives what follows; sessions with different resources coexist; stopping
 * a node says Goodbye 503 to every session and closes its connection.
 */
class SessionReplacementTest {
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
  void sameResourceReplacesTheOldSession(Transport t) {
    String a = "alice-" + t + "-replace";
    String b = "bob-" + t + "-replace";
    try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
         TestClient old = TestClient.login(vertx, t, node, b, "phone");
         TestClient fresh = TestClient.login(vertx, t, node, b, "phone")) {
      Goodbye bye = old.expectGoodbye();
      assertEquals(409, bye.getStatusCode(), bye::toString);
      assertEquals("replaced", bye.getReason());
      assertTrue(old.isClosed());
      assertEquals("phone", fresh.identity().getConnectionResourceId());

      MessagePeerAckSignal ok = a1.sendAndAwaitAccepted(TestClient.message("m1", b).build());
      assertEquals(200, ok.getStatusCode(), ok::toString);
      Message got = fresh.nextMessage();
      assertEquals("m1", got.getMessageId());
      assertEquals(node.id(), got.getTo().getNode());
      assertEquals(List.of(), fresh.barrier(), "delivered once, to the new session");
      assertTrue(old.drain().stream().noneMatch(f -> f.getBodyCase() == Frame.BodyCase.MESSAGE),
          "nothing reaches the replaced session");

      ok = fresh.sendAndAwaitAccepted(TestClient.message("r1", a).build());
      assertEquals(200, ok.getStatusCode(), ok::toString);
      Message reply = a1.nextMessage();
      assertEquals("r1", reply.getMessageId());
      assertEquals(fresh.identity(), reply.getFrom(), "stamped with the new session's identity");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void differentResourcesCoexist(Transport t) {
    String a = "alice-" + t + "-coexist";
    String b = "bob-" + t + "-coexist";
    try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
         TestClient phone = TestClient.login(vertx, t, node, b, "phone");
         TestClient laptop = TestClient.login(vertx, t, node, b, "laptop")) {
      assertEquals(List.of(), phone.barrier(), "no Goodbye for the first device");
      assertFalse(phone.isClosed());

      MessagePeerAckSignal ok = a1.sendAndAwaitAccepted(TestClient.message("m1", b).build());
      assertEquals(200, ok.getStatusCode(), ok::toString);
      for (TestClient device : List.of(phone, laptop)) {
        Message m = device.nextMessage();
        assertEquals("m1", m.getMessageId());
        assertEquals(1, m.getPeer().getOffset());
        assertEquals(List.of(), device.barrier(), "exactly one copy per device");
        assertFalse(device.isClosed());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void stoppingTheNodeSaysGoodbye503ToEverySession(Transport t) {
    TestNode dedicated = TestNode.start();
    try (TestClient a1 = TestClient.login(vertx, t, dedicated, "alice-" + t + "-stop", "phone");
         TestClient a2 = TestClient.login(vertx, t, dedicated, "alice-" + t + "-stop", "laptop");
         TestClient b1 = TestClient.login(vertx, t, dedicated, "bob-" + t + "-stop", "phone")) {
      for (TestClient c : List.of(a1, a2, b1)) {
        assertEquals(List.of(), c.barrier(), "online and idle before the stop");
      }
      dedicated.close();
      for (TestClient c : List.of(a1, a2, b1)) {
        Goodbye bye = c.expectGoodbye(); // also waits for the server to close the connection
        assertEquals(503, bye.getStatusCode(), bye::toString);
        assertEquals("node shutting down", bye.getReason());
      }
    } finally {
      dedicated.close(); // no-op once stopped; stops the node if an assertion failed first
    }
  }
}

package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code limits.devicesPerIdentity} through real sockets on a two-node cluster: an identity
 * with as many devices online as allowed, wherever they are connected, gets {@code Goodbye{429}}
 * for the Hello of one more and keeps those it has; a device already online connects again
 * (replacing its session, 409 to the old one); another identity is not counted; once a device
 * leaves, the new one gets in.
 */
class DeviceLimitTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode n1;
  static TestNode n2;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    for (JsonObject c : configs) {
      c.getJsonObject("limits").put("devicesPerIdentity", 2);
    }
    n1 = nodes.start(configs.get(0));
    n2 = nodes.start(configs.get(1));
    vertx = nodes.vertx();
  }

  @Test
  void oneDeviceMoreThanTheLimitIsRefusedAcrossTheCluster() {
    String eid = "devices-alice";
    try (TestClient phone = TestClient.login(vertx, Transport.TCP, n1, eid, "phone");
         TestClient laptop = TestClient.login(vertx, Transport.WS, n2, eid, "laptop")) {
      Goodbye refused = refusedHello(Transport.WS, n1, eid, "tablet");
      assertEquals(429, refused.getStatusCode(), refused::toString);
      assertTrue(refused.getReason().contains("limits.devicesPerIdentity"), refused::toString);

      // the two it has are untouched: a message to the identity reaches both
      try (TestClient bob = TestClient.login(vertx, Transport.TCP, n2, "devices-bob", "tablet")) {
        assertEquals(200, bob.sendAndAwaitAccepted(TestClient.message("hi", eid).build())
            .getStatusCode(), "another identity is not counted");
        assertEquals("hi", phone.nextMessage().getMessageId());
        assertEquals("hi", laptop.nextMessage().getMessageId());
      }

      // a device already online connects again, on the other node
      try (TestClient phoneAgain = TestClient.login(vertx, Transport.TCP, n2, eid, "phone")) {
        assertEquals(409, phone.expectGoodbye().getStatusCode(), "the old session is replaced");
        laptop.close();
        // the laptop's entry goes when its node has seen it close: then the tablet fits
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(100)).until(() -> {
              TestClient tablet = TestClient.connect(vertx, Transport.TCP, n1);
              tablet.hello(n1.token(eid), "tablet");
              Frame f = tablet.next();
              tablet.close();
              if (f.getBodyCase() == Frame.BodyCase.GOODBYE) {
                assertEquals(429, f.getGoodbye().getStatusCode(), f::toString);
                return false;
              }
              assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), f::toString);
              return true;
            });
      }
    }
  }

  private static Goodbye refusedHello(Transport t, TestNode node, String eid, String resource) {
    TestClient c = TestClient.connect(vertx, t, node);
    try {
      c.hello(node.token(eid), resource);
      return c.expectGoodbye();
    } finally {
      c.close();
    }
  }
}

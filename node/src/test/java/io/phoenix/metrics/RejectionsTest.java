package io.phoenix.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code phoenix_rejections_total} counts what the node refuses, not the Goodbyes it sends for
 * its own reasons: the 409 of a session replaced by a newer one of the same device, and the 503
 * every session gets when the node stops.
 */
class RejectionsTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  private static double rejections(TestNode node, int status) {
    Counter c = node.node().metrics().registry().find("phoenix_rejections")
        .tag("status", Integer.toString(status)).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aReplacedSessionIsNotARejection() throws Exception {
    try (TestNode node = TestNode.start();
         TestClient first = TestClient.login(vertx, Transport.TCP, node, "alice-r", "phone");
         TestClient second = TestClient.login(vertx, Transport.WS, node, "alice-r", "phone")) {
      assertEquals(409, first.expectGoodbye().getStatusCode());
      // a refusal of client input still counts
      assertEquals(400, second.sendAndAwaitAccepted(TestClient.message("", "bob-r").build())
          .getStatusCode());
      String text = Http.get("http://127.0.0.1:" + node.httpPort() + "/metrics").body();
      String lines = text.lines().filter(l -> l.startsWith("phoenix_rejections_total"))
          .toList().toString();
      assertTrue(lines.contains("phoenix_rejections_total{status=\"400\"} 1.0"), lines);
      assertFalse(lines.contains("phoenix_rejections_total{status=\"409\"}"), lines);
    }
  }

  @Test
  void sessionsClosedByTheNodeStoppingAreNotRejections() {
    TestNode node = TestNode.start();
    try (TestClient a = TestClient.login(vertx, Transport.TCP, node, "alice-s", "phone");
         TestClient b = TestClient.login(vertx, Transport.WS, node, "bob-s", "phone")) {
      node.close();
      assertEquals(503, a.expectGoodbye().getStatusCode());
      assertEquals(503, b.expectGoodbye().getStatusCode());
      assertEquals(0, rejections(node, 503));
    }
  }
}

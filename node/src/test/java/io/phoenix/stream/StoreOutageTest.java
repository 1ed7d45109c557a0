package io.phoenix.stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, point 5: a node whose PostgreSQL goes away answers 503 to new messages rather than
 * accepting what it cannot keep, keeps its sessions, reports itself not ready, and recovers by
 * itself when the database is back; nothing it ACCEPTED is lost.
 */
class StoreOutageTest {
  @TempDir
  Path dir;

  @Test
  void newMessagesAre503WhileTheDatabaseIsAwayAndTheNodeRecoversByItself() throws Exception {
    int port = TestNode.freePort();
    EmbeddedPostgres pg = TestPostgres.start(dir.resolve("pg"), port);
    JsonObject config = TestNode.config();
    config.put("storage", TestPostgres.ownDatabase(pg, "outage"));
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(config);
         TestClient alice = TestClient.login(vertx, Transport.TCP, node, "alice", "a");
         TestClient bob = TestClient.login(vertx, Transport.WS, node, "bob", "b")) {
      assertEquals(1, accepted(alice, "m1").getPeer().getOffset());
      assertEquals("m1", bob.nextMessage().getMessageId());

      pg.close(); // the database goes away
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertEquals(503, alice.sendAndAwaitAccepted(TestClient.message("m2", "bob").build())
              .getStatusCode()));
      assertEquals(503, Http.get("http://127.0.0.1:" + node.httpPort() + "/health/ready")
          .statusCode(), "not ready while new messages are refused");
      alice.barrier(); // the sessions stay
      bob.barrier();

      pg = TestPostgres.start(dir.resolve("pg"), port); // back, same data
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertEquals(200, alice.sendAndAwaitAccepted(TestClient.message("m2", "bob").build())
              .getStatusCode()));
      assertEquals(200, Http.get("http://127.0.0.1:" + node.httpPort() + "/health/ready")
          .statusCode());
      List<Long> offsets = bob.barrier().stream()
          .filter(f -> f.getBodyCase() == io.phoenix.protocol.v1.Frame.BodyCase.MESSAGE)
          .map(f -> f.getMessage().getPeer().getOffset()).toList();
      assertEquals(List.of(2L), offsets, "m2 stored once, at the next offset, pushed once");
      assertFalse(alice.isClosed() || bob.isClosed());
    } finally {
      vertx.close();
      pg.close();
    }
  }

  private static MessagePeerAckSignal accepted(TestClient c, String id) {
    MessagePeerAckSignal a = c.sendAndAwaitAccepted(TestClient.message(id, "bob").build());
    assertEquals(200, a.getStatusCode(), a::toString);
    return a;
  }
}

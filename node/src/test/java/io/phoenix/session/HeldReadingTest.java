package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While the node itself does not read a session — its answers wait for a database that does
 * not answer — the client's pings go unread, and that is not the client's silence: no
 * {@code Goodbye{408}}. Once the node has held a session's reading back for three heartbeats it
 * ends it with 503, or, when the Goodbye of the client's protocol error was waiting behind those
 * answers, with that Goodbye's own status. Through a real node whose PostgreSQL is stopped
 * (SIGSTOP: its commits neither succeed nor fail).
 */
class HeldReadingTest {
  @TempDir
  Path dir;

  @Test
  void aSessionTheNodeStoppedReadingIsNotTakenForSilent() throws Exception {
    Path data = dir.resolve("pg");
    EmbeddedPostgres pg = TestPostgres.start(data, 0);
    Vertx vertx = Vertx.vertx();
    boolean stopped = false;
    try {
      JsonObject config = TestNode.config();
      config.put("storage", TestPostgres.ownDatabase(pg, "held"));
      config.getJsonObject("limits").put("heartbeatSeconds", 1)
          .put("messagesPerSecond", 1_000_000);
      try (TestNode node = TestNode.start(config);
           TestClient garbled = TestClient.login(vertx, Transport.TCP, node, "garbled", "r");
           TestClient busy = TestClient.login(vertx, Transport.TCP, node, "busy", "r")) {
        for (TestClient c : List.of(garbled, busy)) {
          MessagePeerAckSignal ok = c.sendAndAwaitAccepted(TestClient.message("warm", "bob")
              .build());
          assertEquals(200, ok.getStatusCode(), ok::toString);
        }
        TestPostgres.signal(data, "STOP");
        stopped = true;
        // a message whose answer waits for the database, then a frame that cannot be parsed:
        // its Goodbye waits behind that answer
        garbled.send(TestClient.message("m1", "bob").build());
        byte[] garbage = new byte[10];
        Arrays.fill(garbage, (byte) 0xFF);
        garbled.sendRaw(TestClient.delimited(garbage));
        // more answers waiting than a session may have: the node stops reading
        for (int i = 0; i < 1_100; i++) {
          busy.send(TestClient.message("m" + i, "bob").build());
        }
        // both keep pinging, as live clients do; the node reads neither
        Map<TestClient, Goodbye> goodbyes = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (goodbyes.size() < 2 && System.nanoTime() < deadline) {
          for (TestClient c : List.of(garbled, busy)) {
            if (goodbyes.containsKey(c)) {
              continue;
            }
            c.send(Frame.newBuilder().setPing(Ping.newBuilder()
                .setTimestamp(System.currentTimeMillis())).build());
            Frame f;
            while ((f = c.poll(Duration.ofMillis(100))) != null) {
              if (f.getBodyCase() == Frame.BodyCase.GOODBYE) {
                goodbyes.put(c, f.getGoodbye());
                break;
              }
            }
          }
        }
        Goodbye g = goodbyes.get(garbled);
        assertTrue(g != null, "no Goodbye for the garbled session within 15 s");
        assertEquals(400, g.getStatusCode(), g::toString);
        Goodbye b = goodbyes.get(busy);
        assertTrue(b != null, "no Goodbye for the busy session within 15 s");
        assertEquals(503, b.getStatusCode(), b::toString);
        assertTrue(b.getReason().contains("unanswered"), b::toString);
      }
    } finally {
      if (stopped) {
        TestPostgres.signal(data, "CONT"); // a stopped server would outlive the test
      }
      vertx.close();
      pg.close();
    }
  }
}

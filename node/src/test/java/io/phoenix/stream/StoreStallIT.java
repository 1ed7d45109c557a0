package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database that stalls (PostgreSQL stopped with SIGSTOP: its commits neither succeed nor
 * fail) while clients keep sending large messages: the node, run with {@code -Xmx256m}, holds at
 * most a quarter of its heap in bodies waiting to be stored and answers the rest 503 at once,
 * rather than queueing them until it runs out of memory. Once the database goes on, every
 * message that was not refused is stored, at gapless offsets.
 */
class StoreStallIT {
  private static final int SENDERS = 4;
  /** Per sender: under the 1,024 unanswered replies at which a session stops reading. */
  private static final int MESSAGES = 1_000;
  private static final int PAYLOAD = 60_000;

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aStalledDatabaseHoldsAQuarterOfTheHeapAndTheRestIsRefused() throws Exception {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
    EmbeddedPostgres pg = TestPostgres.start(dir.resolve("pg"), 0);
    Vertx vertx = Vertx.vertx();
    List<TestClient> senders = new ArrayList<>();
    boolean stopped = false;
    try {
      JsonObject config = TestNode.config();
      config.put("storage", TestPostgres.ownDatabase(pg, "stall"));
      config.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
      try (NodeProcess node = NodeProcess.start(Files.createDirectories(dir.resolve("node")),
          config, Map.of(),
          List.of("-Xmx256m", "-Xms256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"))) {
        for (int i = 0; i < SENDERS; i++) {
          senders.add(TestClient.login(vertx, Transport.TCP, node, "s" + i, "p"));
          MessagePeerAckSignal first = senders.get(i).sendAndAwaitAccepted(
              TestClient.message("warm", "bob").build());
          assertEquals(200, first.getStatusCode(), first::toString);
        }

        TestPostgres.signal(dir.resolve("pg"), "STOP");
        stopped = true;
        byte[] body = new byte[PAYLOAD];
        for (int m = 0; m < MESSAGES; m++) {
          for (TestClient s : senders) {
            s.send(TestClient.message("m" + m, "bob")
                .setPayload(com.google.protobuf.ByteString.copyFrom(body)).build());
          }
        }
        // nothing comes back while the database is stopped: a session's answers leave in the
        // order it asked, and the first ones wait for the database
        Thread.sleep(5_000);
        assertTrue(node.isAlive(), "the node died (it exits on OutOfMemoryError)");

        TestPostgres.signal(dir.resolve("pg"), "CONT");
        stopped = false;
        long stored = 0;
        Map<String, Long> answeredHeads = new TreeMap<>();
        for (TestClient s : senders) {
          TreeSet<Long> offsets = new TreeSet<>();
          int answered = 0;
          while (answered < MESSAGES) {
            Frame f = s.next(Duration.ofSeconds(60));
            if (f.getBodyCase() != Frame.BodyCase.ACK) {
              continue;
            }
            answered++;
            if (f.getAck().getStatusCode() == 200) {
              offsets.add(f.getAck().getPeer().getOffset());
            } else {
              assertEquals(503, f.getAck().getStatusCode(), f::toString);
            }
          }
          assertEquals(LongStream.rangeClosed(2, offsets.size() + 1).boxed().toList(),
              List.copyOf(offsets), "gapless after the warm-up message");
          stored += offsets.size();
          answeredHeads.put(s.welcome().getIdentity().getEid(), offsets.size() + 1L);
        }
        // and every message answered 200 is in the database at its offset, no other one
        Map<String, Long> rows = new TreeMap<>();
        try (java.sql.Connection c = pg.getDatabase("postgres", "stall").getConnection();
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT from_eid, "
                 + "count(*), max(msg_offset), min(msg_offset) FROM phoenix_messages WHERE "
                 + "to_eid = 'bob' GROUP BY from_eid")) {
          while (rs.next()) {
            assertEquals(rs.getLong(2), rs.getLong(3), "rows of " + rs.getString(1) + " 1..n");
            assertEquals(1, rs.getLong(4), "rows of " + rs.getString(1) + " from 1");
            rows.put(rs.getString(1), rs.getLong(2));
          }
        }
        assertEquals(answeredHeads, rows, "messages answered 200 (the warm-up one included) "
            + "against rows stored, per sender");
        assertTrue(stored < (long) SENDERS * MESSAGES,
            "all " + SENDERS * MESSAGES + " messages of 60 KB were taken while the database"
                + " was stopped");
        assertTrue(stored * PAYLOAD <= (64L << 20) + PAYLOAD, stored
            + " messages of 60 KB waited for the database: beyond a quarter of the heap");
        assertTrue(node.isAlive());
      }
    } finally {
      if (stopped) {
        // a stopped server would outlive the test (close() cannot stop it)
        TestPostgres.signal(dir.resolve("pg"), "CONT");
      }
      senders.forEach(TestClient::close);
      vertx.close();
      pg.close();
    }
  }
}

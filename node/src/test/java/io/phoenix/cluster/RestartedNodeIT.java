package io.phoenix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with SIGKILL and restarted with the same {@code node.id} before the cluster
 * wrote what it had left unwritten. With {@code acceptAfter replicate} its messages were
 * ACCEPTED once the stream's owner and backup held them; the database took no writes then (a
 * lock held by the test), so they are in the cluster's memory only. The restarted node then
 * appends to the same stream: its write is marked durable up to its own offset, so it must
 * write the previous run's messages below it too, or they are never written (the cluster's
 * own clean-up of a dead node's messages waits {@code 10 x storage.flushMs}, here a minute).
 * Checked in the database itself: every ACCEPTED message at its offset.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RestartedNodeIT {
  private static final int BEFORE = 20;

  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();
  private final List<NodeProcess> started = processes.started();
  private final Vertx vertx = processes.vertx();

  private NodeProcess start(JsonObject config) throws Exception {
    NodeProcess n = NodeProcess.start(dir, config);
    started.add(n);
    return n;
  }

  @Test
  void aNodeRestartedWithItsIdWritesWhatItsPreviousRunAcceptedAndLeftUnwritten()
      throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    String url = TestPostgres.newDatabase();
    for (JsonObject c : configs) {
      c.put("storage", TestPostgres.storage(url).put("acceptAfter", "replicate")
          // what a dead node left is written by the cluster after 10 x flushMs: a minute,
          // long after the restarted node's own write below
          .put("flushMs", 6_000));
    }
    NodeProcess a = start(configs.get(0));
    start(configs.get(1));

    Map<Long, String> accepted = new TreeMap<>();
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> lock = TestPostgres.lockWrites(url, release);
    try {
      TestClient alice = TestClient.login(vertx, Transport.TCP, a, "alice", "phone");
      for (int i = 1; i <= BEFORE; i++) {
        MessagePeerAckSignal ack = alice.sendAndAwaitAccepted(
            TestClient.message("m" + i, "bob").build());
        assertEquals(200, ack.getStatusCode(), ack::toString);
        accepted.put(ack.getPeer().getOffset(), "m" + i);
      }
      a.kill(); // its commits of m1..m20 wait on the lock: none is written
    } finally {
      release.countDown();
    }
    lock.get(30, TimeUnit.SECONDS);
    assertEquals(List.of(), written(url), "nothing was written while the lock was held");

    NodeProcess again = startAgain(configs.get(0));
    TestClient alice = TestClient.login(vertx, Transport.TCP, again, "alice", "laptop");
    MessagePeerAckSignal ack = alice.sendAndAwaitAccepted(
        TestClient.message("after-restart", "bob").build());
    assertEquals(200, ack.getStatusCode(), ack::toString);
    long last = ack.getPeer().getOffset();
    accepted.put(last, "after-restart");
    assertEquals(BEFORE + 1, last, "the stream goes on after the previous run's messages");

    // once the restarted node's message is in the database, everything below it must be too
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<String> rows = written(url);
    while (rows.size() < 1 || !rows.get(rows.size() - 1).startsWith(last + " ")) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("offset " + last + " not written in 30 s: " + rows);
      }
      Thread.sleep(100);
      rows = written(url);
    }
    List<String> expected = new ArrayList<>();
    accepted.forEach((offset, id) -> expected.add(offset + " " + id));
    assertEquals(expected, rows, "every ACCEPTED message in the database, at its offset");
  }

  /** The node with this configuration again; retried while the cluster still lists its past run. */
  private NodeProcess startAgain(JsonObject config) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return start(config);
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  /** "offset message_id" of every stored message of alice→bob, by offset. */
  private static List<String> written(String url) throws Exception {
    String db = url.substring(url.lastIndexOf('/') + 1);
    List<String> out = new ArrayList<>();
    try (Connection c = TestPostgres.server().getDatabase("postgres", db).getConnection();
         PreparedStatement st = c.prepareStatement("SELECT msg_offset, message_id FROM "
             + "phoenix_messages WHERE from_eid = ? AND to_eid = ? ORDER BY msg_offset")) {
      st.setString(1, "alice");
      st.setString(2, "bob");
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1) + " " + rs.getString(2));
        }
      }
    }
    return out;
  }
}

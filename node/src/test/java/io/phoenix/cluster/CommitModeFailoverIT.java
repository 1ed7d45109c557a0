package io.phoenix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.FailoverTraffic;
import io.phoenix.testing.FailoverTraffic.Shape;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The default durability, {@code storage.acceptAfter commit}, on three node processes sharing
 * one PostgreSQL, through three kinds of failure while six senders write back to back to twelve
 * recipients (half of them online, acknowledging what they are pushed), retrying the same
 * message_id after a 503 or a lost connection, and sending again, on a new connection, their
 * last messages that were answered (each must be a 208 at the offset first answered):
 *
 * <ol>
 *   <li>a node killed with SIGKILL while its senders have messages unanswered, and restarted at
 *       once with the same configuration (same {@code node.id}) while they reconnect to it or
 *       elsewhere;
 *   <li>two nodes killed 1.5 s apart, before the cluster noticed the first: with
 *       {@code backupCount} 1, the buckets both held are lost from the cluster's memory (a limit
 *       of Hazelcast), and must be read back from the database, where everything ACCEPTED is;
 *       the survivor serves alone for a while, then both come back;
 *   <li>every node killed at once mid-flight, then all restarted: the senders go on.
 * </ol>
 *
 * <p>Then every message is counted: each ACCEPTED message_id (200 or 208) is stored once, at the
 * offset it was answered with; every stream's offsets are 1..head with no gap and no message_id
 * twice (pulled, and in the database itself); every push during the run showed the message
 * stored at its offset; the pushes of a stream on one connection came at increasing offsets.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CommitModeFailoverIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();

  private FailoverTraffic traffic(Shape shape) {
    return processes.traffic(dir, 3, shape);
  }

  @Test
  void everyAcceptedMessageSurvivesRestartsDoubleKillsAndAKillOfEveryNode() throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(3);
    String url = TestPostgres.newDatabase();
    for (JsonObject c : configs) {
      // the default durability: acceptAfter commit
      c.put("storage", TestPostgres.storage(url));
      c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    }
    FailoverTraffic run = traffic(new Shape().recipients(12).window(8).resentAnswered(8));
    run.start(configs, 0, 1, 2);
    run.phase("three nodes");
    run.startTraffic();
    Thread.sleep(4_000);

    // (a) kill -9 and restart at once with the same node.id
    run.phase("node 3 killed and restarted");
    run.kill(2);
    run.start(configs, 2);
    run.phase("node 3 back");
    Thread.sleep(3_000);

    // (b) two nodes killed before the cluster noticed the first: node 3 serves alone
    run.phase("nodes 1 and 2 killed");
    long loadedBefore = FailoverTraffic.metric(run.nodes[2], "phoenix_store_streams_loaded");
    run.kill(0);
    Thread.sleep(200); // on loopback a dead member is noticed at once: no time to migrate
    run.kill(1);
    Thread.sleep(6_000);
    long readBack = FailoverTraffic.metric(run.nodes[2], "phoenix_store_streams_loaded")
        - loadedBefore;
    run.phase("nodes 1 and 2 restarting");
    run.start(configs, 0, 1);
    run.phase("three nodes again");
    Thread.sleep(3_000);

    // (c) every node killed at once, mid-flight, then all restarted
    run.phase("every node killed");
    run.kill(0, 1, 2);
    run.phase("every node restarting");
    run.start(configs, 0, 1, 2);
    run.phase("after the full restart");
    Thread.sleep(3_000);
    run.stopTraffic(SETTLE, Duration.ofSeconds(1));
    System.out.printf("CommitModeFailoverIT: %d streams read back by the survivor of the "
        + "double kill%n", readBack);
    int total = run.auditAll("CommitModeFailoverIT", url);
    assertTrue(total > 1000, "enough traffic: " + total);
  }

  /**
   * (b) again, with the database slow: a node's commit waits (a lock held by the test) while
   * the two other nodes, owner and backup of some of its streams' buckets, are killed together.
   * Those buckets come back empty (a limit of Hazelcast with {@code backupCount} 1) and their
   * streams are read back from the database, which does not hold the waiting messages yet. A
   * second message on such a stream is given an offset the first one waits to be written at
   * (several of each here, back to back): only one of them can be stored there, and the other
   * must not be answered 200 at it. It is appended again at a free offset: every message is
   * answered 200 once, at the offset the database holds it at, and every stream stays gapless
   * with no message twice once the lock is let go.
   */
  @Test
  void aStreamLostFromMemoryWhileItsCommitWaitsGivesNoOffsetTwice() throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(3);
    String url = TestPostgres.newDatabase();
    for (JsonObject c : configs) {
      c.put("storage", TestPostgres.storage(url));
    }
    FailoverTraffic run = traffic(new Shape());
    run.start(configs, 0, 1, 2);
    int streams = 32;
    int each = 4; // messages per stream before the kill, and as many after
    TestClient alice = TestClient.login(run.vertx(), Transport.TCP, run.nodes[2], "alice",
        "phone");
    run.phase("alice on node 3");
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> lock = TestPostgres.lockWrites(url, release);
    run.phase("writes locked");
    Map<String, MessagePeerAckSignal> answers = new TreeMap<>();
    long loadedBefore = 0;
    try {
      for (int i = 0; i < streams; i++) {
        for (int j = 0; j < each; j++) {
          alice.send(TestClient.message("first-" + i + "-" + j, "b" + i).build());
        }
      }
      run.phase("first messages sent");
      Thread.sleep(1_000); // offsets assigned, the commit waits on the lock
      loadedBefore = FailoverTraffic.metric(run.nodes[2], "phoenix_store_streams_loaded");
      run.phase("nodes 1 and 2 killed");
      run.kill(0, 1); // both at once: no time to copy their buckets to node 3
      Thread.sleep(3_000); // node 3 alone, the buckets the two held empty
      run.phase("second messages sent");
      for (int i = 0; i < streams; i++) {
        for (int j = 0; j < each; j++) {
          alice.send(TestClient.message("second-" + i + "-" + j, "b" + i).build());
        }
      }
      Thread.sleep(2_000);
    } finally {
      release.countDown();
    }
    lock.get(30, TimeUnit.SECONDS);
    run.phase("writes let go");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (answers.size() < 2 * each * streams && System.nanoTime() < deadline) {
      Frame f = alice.poll(Duration.ofMillis(200));
      if (f != null && f.getBodyCase() == Frame.BodyCase.ACK
          && f.getAck().getMethod() == AckMethod.ACCEPTED_VALUE) {
        answers.put(f.getAck().getMessageId(), f.getAck());
      }
    }
    // read once every answer came: node 3 may notice the kill seconds later, and read the
    // streams back only then
    long readBack = FailoverTraffic.metric(run.nodes[2], "phoenix_store_streams_loaded")
        - loadedBefore;
    Map<String, String> stored = new HashMap<>();
    String db = url.substring(url.lastIndexOf('/') + 1);
    try (Connection c = TestPostgres.server().getDatabase("postgres", db).getConnection();
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT to_eid, msg_offset, message_id FROM "
             + "phoenix_messages WHERE from_eid = 'alice'")) {
      while (rs.next()) {
        stored.put(rs.getString(1) + "@" + rs.getLong(2), rs.getString(3));
      }
    }
    List<String> lost = new ArrayList<>();
    int refused = 0;
    for (MessagePeerAckSignal a : answers.values()) {
      int status = a.getStatusCode();
      if (status != 200 && status != 208) {
        refused++;
        continue;
      }
      String at = "b" + a.getMessageId().split("-")[1] + "@" + a.getPeer().getOffset();
      if (!a.getMessageId().equals(stored.get(at))) {
        lost.add(a.getMessageId() + " ACCEPTED " + status + " at " + at + ", stored there: "
            + stored.get(at));
      }
    }
    // the first messages were staged first, so they keep their offsets; the second ones come
    // after them, at once or appended again
    List<String> misplaced = answers.values().stream().filter(a -> {
      String[] id = a.getMessageId().split("-");
      long offset = a.getPeer().getOffset();
      return id[0].equals("first") ? offset != Integer.parseInt(id[2]) + 1 : offset <= each;
    }).map(a -> a.getMessageId() + "@" + a.getPeer().getOffset()).toList();
    System.out.printf("CommitModeFailoverIT (slow database): %d streams read back, %d answers, "
        + "%d refused, %d ACCEPTED and not stored at their offset, %d misplaced; timeline:%s%n",
        readBack, answers.size(), refused, lost.size(), misplaced.size(), run.timeline());
    if (!lost.isEmpty()) {
      System.out.println("answers: " + answers.values().stream().map(a -> a.getMessageId()
          + "=" + a.getStatusCode() + "@" + a.getPeer().getOffset()).toList());
    }
    assertTrue(readBack > 0, "streams of the buckets lost with both nodes were read back");
    assertEquals(List.of(), lost, "every ACCEPTED message is stored at its offset");
    assertEquals(2 * each * streams, answers.size(), "every message answered");
    assertEquals(2L * each * streams, run.database(url), "every message stored, once");
    assertEquals(List.of(), run.problems, "streams gapless, no message twice");
    assertEquals(List.of(), misplaced, "first messages at 1.." + each + ", second ones above");
    assertEquals(List.of(), answers.values().stream().filter(a -> a.getStatusCode() != 200)
        .map(a -> a.getMessageId() + "=" + a.getStatusCode()).toList(),
        "each message was sent once: ACCEPTED 200, neither refused nor a duplicate");
  }

}

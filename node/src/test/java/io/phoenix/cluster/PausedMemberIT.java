package io.phoenix.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.FailoverTraffic;
import io.phoenix.testing.FailoverTraffic.Shape;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that freezes and comes back: three node processes on one PostgreSQL database
 * (commit mode), senders
 * and online recipients on every node, and one node at a time stopped with SIGSTOP for twice the
 * member timeout, then let go with SIGCONT (a long GC pause, a virtual machine frozen by its
 * host). The others remove it and serve its buckets from the backups meanwhile; when it wakes
 * it still believes it owns its buckets and finds frames waiting on its sockets, until it learns
 * it was removed and joins again. A node that is paused is not dead: none of the nodes is
 * killed or restarted by the test.
 *
 * <p>Then every message is counted, as in {@link CommitModeFailoverIT}: each ACCEPTED
 * message_id stored once at the offset it was answered with; every stream's offsets 1..head
 * with no gap and no message_id twice, pulled and in the database itself; every push and pull
 * during the run showed the message stored at its offset; a stream's pushes on one connection
 * at increasing offsets.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PausedMemberIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  /** The member timeout of the test configurations is 4 s: paused for twice that. */
  private static final long PAUSE_MS = 8_000;

  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();

  /**
   * {@code minimumMembers} 2, as the docs advise for three nodes: the node alone refuses until
   * it merges back.
   */
  @Test
  void aMemberPausedPastItsTimeoutLosesAndDuplicatesNothingWhenItWakes() throws Exception {
    pauseTwoNodesInTurn(2);
  }

  /**
   * {@code minimumMembers} 1, the default: the woken node serves its own sessions until it
   * merges back, and offsets both sides gave are settled by the database. (This run once found
   * a message sent again after the merge stored twice: a stream forgotten while a message was
   * on its way to the database; see {@code ForgottenWhileUnwrittenTest}. And once a pull, during
   * the run, that showed a message at an offset the database holds another message at: a
   * DURABLE mark of the other's write reached a bucket that had given the offset to it; see
   * {@code DisplacedOffsetTest}.)
   */
  @Test
  void withoutAMinimumTheWokenNodeServesAndTheDatabaseSettlesItsOffsets() throws Exception {
    pauseTwoNodesInTurn(1);
  }

  private void pauseTwoNodesInTurn(int minimumMembers) throws Exception {
    String url = TestPostgres.newDatabase();
    List<JsonObject> configs = FailoverTraffic.onPostgres(3, url, minimumMembers);
    FailoverTraffic run = processes.traffic(dir, 3, new Shape().recipients(12).window(8)
        .resentAnswered(8).pullEveryMs(500));
    run.start(configs, 0, 1, 2);
    run.phase("three nodes");
    run.startTraffic();
    Thread.sleep(4_000);

    for (int paused : new int[] {2, 0}) {
      run.phase("node " + (paused + 1) + " paused");
      run.pause(paused);
      Thread.sleep(PAUSE_MS);
      run.phase("node " + (paused + 1) + " woken");
      run.resume(paused);
      Thread.sleep(8_000);
    }
    // by now both have rejoined (a merge check runs every few seconds): every online
    // recipient, wherever its session is, is pushed what is sent to it
    String last = "after both pauses";
    run.phase(last);
    Thread.sleep(5_000);
    run.stopOnLiveNodes("PausedMemberIT", SETTLE);
    run.auditAll("PausedMemberIT", url);
    run.everyNodeReachesTheOthers(); // every node's event-bus address known again
    // node 3, which merged back (and got a new Hazelcast uuid), dies: the others still know
    // which sessions were its own and remove them (an ephemeral message to one is then 404)
    try (TestClient gone = TestClient.login(run.vertx(), Transport.TCP, run.nodes[2], "gone",
        "p"); TestClient probe = TestClient.login(run.vertx(), Transport.TCP, run.nodes[0],
        "prober", "p")) {
      run.kill(2);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
          probe.sendAndAwaitAccepted(TestClient.message("probe-" + System.nanoTime(), "gone")
              .setType(2).build()).getStatusCode() == 404);
    }
    for (String r : run.onlineRecipients()) {
      assertTrue(run.pushesIn(last, r) > 0, r + " was pushed nothing " + last + ": "
          + run.figures());
    }
    for (String woken : List.of("node 3 woken", "node 1 woken")) {
      assertTrue(run.answersIn(woken)[0] > 100, "the cluster served after " + woken + ": "
          + run.figures());
    }
  }
}

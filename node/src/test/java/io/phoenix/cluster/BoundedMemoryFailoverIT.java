package io.phoenix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.FailoverTraffic;
import io.phoenix.testing.FailoverTraffic.Shape;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's memory bounds at their extreme, on three node processes sharing one PostgreSQL:
 * {@code storage.maxStreamsInMemory} 64 (one stream per bucket, so streams are forgotten and
 * read back all the time), {@code storage.hotWindowBytes} 64 KiB (one KiB of bodies per bucket,
 * so written bodies are dropped all the time and pulls read the database). Six senders write
 * back to back to 48 recipients, a third of them at a time (each stream idle for two thirds of
 * the run, long enough to be forgotten), retrying the same message_id after a 503 or a lost
 * connection; half the recipients are online, acknowledge what they are pushed and pull recent
 * messages now and then, the others only pull at the end. One node is killed with SIGKILL and
 * restarted (buckets move to it), then the database stops taking writes and another node is
 * killed meanwhile. A sender that lost its connection sends again what was not answered, and
 * also its last messages that were (as a client does that lost its answers): each must be a
 * 208 at the offset first answered.
 *
 * <p>{@code acceptAfter replicate}: ACCEPTED before the message is written, so what the killed
 * node accepted during the stall is, until written, only in the memory of the streams' owners
 * and backups: the hardest case for the in-memory state the bounds keep trimming.
 *
 * <p>Then every message is counted: each ACCEPTED message_id (200 or 208) is stored once, at
 * the offset it was answered with; the offsets of every stream are 1..head with no gap and no
 * message_id twice; every push and every pull during the run showed the message stored at its
 * offset; the pushes of a stream on one connection came at increasing offsets; a message sent
 * again after its answer is a 208. About 90 s.
 */
class BoundedMemoryFailoverIT {
  private static final int RECIPIENTS = 48;
  /** Recipients written to at a time; the groups take turns. */
  private static final int GROUPS = 3;
  private static final long PHASE_MS = 11_000;
  private static final Duration SETTLE = Duration.ofSeconds(90);

  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();

  @Test
  void everyAcceptedMessageIsStoredOnceInOrderWithBothBoundsAtTheirExtreme() throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(3);
    String url = TestPostgres.newDatabase();
    for (JsonObject c : configs) {
      c.put("storage", TestPostgres.storage(url).put("hotWindow", 16)
          .put("hotWindowBytes", 64 * 1024)
          .put("maxStreamsInMemory", 64)
          .put("acceptAfter", "replicate")
          // what a dead node left unwritten is written by the owners after 10 x flushMs: 20 s,
          // after the senders sent again what they had sent through it
          .put("flushMs", 2_000));
      c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    }
    long[] groupsStart = new long[1];
    int perGroup = RECIPIENTS / GROUPS;
    FailoverTraffic run = processes.traffic(dir, 3, new Shape().recipients(RECIPIENTS).window(6)
        .resentAnswered(perGroup).bodies(200, 900).pullEveryMs(2_000)
        .to((sender, n, random) -> {
          int group = (int) ((System.currentTimeMillis() - groupsStart[0]) / PHASE_MS) % GROUPS;
          return "r" + (group * perGroup + n % perGroup);
        }));
    long t0 = System.nanoTime();
    run.start(configs, 0, 1, 2);
    long startedAt = System.nanoTime();

    groupsStart[0] = System.currentTimeMillis();
    run.phase("three nodes");
    run.startTraffic();
    Thread.sleep(14_000);
    run.phase("node 3 killed");
    run.kill(2); // a third of the buckets lose their owner
    Thread.sleep(8_000);
    run.phase("node 3 restarting");
    run.start(configs, 2); // rejoins: buckets move to it (copies of the others')
    run.phase("node 3 back");
    Thread.sleep(6_000);
    // the database stops taking writes and a node dies meanwhile, just before the senders turn
    // to the next group: what they send again is the last their streams get for a while
    long now = System.currentTimeMillis();
    long turn = groupsStart[0] + ((now - groupsStart[0]) / PHASE_MS + 1) * PHASE_MS;
    Thread.sleep(Math.max(0, turn - 1_200 - now));
    CompletableFuture<Void> stall = stallWrites(url, 3_000);
    String stalled = "database stalled, node 1 killed";
    run.phase(stalled);
    Thread.sleep(1_000);
    run.kill(0);
    run.phase("database stalled");
    stall.get(30, TimeUnit.SECONDS);
    run.phase("two nodes");
    Thread.sleep(11_000);
    run.stopTraffic(SETTLE, Duration.ofSeconds(2));
    long runEnd = System.nanoTime();

    int total = run.audit(); // every stream pulled from the start, on a live node
    long loaded = run.metric("phoenix_store_streams_loaded");
    long evicted = run.metric("phoenix_store_streams_evicted");
    long acceptedCount = run.acceptedCount();
    System.out.printf("BoundedMemoryFailoverIT: %d stored (%d accepted while the database "
        + "stalled before the kill), %d streams read back, %d forgotten; nodes up in %d s, run "
        + "%d s, audit %d s; %s%n", total, run.answersIn(stalled)[0], loaded, evicted,
        TimeUnit.NANOSECONDS.toSeconds(startedAt - t0),
        TimeUnit.NANOSECONDS.toSeconds(runEnd - startedAt),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - runEnd), run.figures());
    if (!run.problems.isEmpty()) {
      run.dump(url);
    }
    assertEquals(List.of(), run.problems.subList(0, Math.min(20, run.problems.size())));
    assertEquals(acceptedCount, total, "every stored message was ACCEPTED, none twice");
    assertTrue(acceptedCount > 1000, "enough traffic: " + acceptedCount);
  }

  /**
   * Holds a lock on the message and stream tables that lets reads through (the nodes' id checks
   * and stream loads) but blocks every write for {@code ms}: a stalled database. Returns once
   * the lock is held; the future completes when it is let go.
   */
  private static CompletableFuture<Void> stallWrites(String url, long ms) {
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> done = TestPostgres.lockWrites(url, release);
    CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS).execute(release::countDown);
    return done;
  }
}

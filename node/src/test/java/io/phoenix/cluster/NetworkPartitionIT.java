package io.phoenix.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.testing.FailoverTraffic;
import io.phoenix.testing.FailoverTraffic.Shape;
import io.phoenix.testing.MemberLinks;
import io.phoenix.testing.NetworkSplit;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.Partition;
import io.phoenix.testing.TestPostgres;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on one PostgreSQL, the network between them split while clients keep
 * sending on every node: one node hears nothing from the other two (and they nothing from it)
 * for three times the member timeout, through relays on the membership links
 * ({@link MemberLinks}), then the network heals and the two sides merge. Unlike a paused
 * member ({@link PausedMemberIT}), both sides run through the whole split, each believing the
 * other gone: with {@code minimumMembers} 2 the side alone refuses (503) and the other serves;
 * with 1 both serve, giving offsets of the same streams on their own, and the database settles
 * them. Node 1 starts first, so it is the oldest member, Hazelcast's master: the first case
 * splits it off (the other two choose another master, and it merges back into their cluster),
 * the second node 3.
 *
 * <p>The relays leave the event bus's connections open. Where netfilter rules can be set
 * (Linux, as root: {@link NetworkSplit}), both cases run again with every link between the
 * sides cut by the kernel, the event bus's too, so that pushes across the split wait or fail
 * as on a real network.
 *
 * <p>Then every message is counted, as in {@link CommitModeFailoverIT}: each ACCEPTED
 * message_id stored once at the offset it was answered with; every stream's offsets 1..head
 * with no gap and no message_id twice, pulled and in the database itself; every push and pull
 * during the run showed the message stored at its offset; a stream's pushes on one connection
 * at increasing offsets.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class NetworkPartitionIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  /** The member timeout of the test configurations is 4 s: split for three times that. */
  private static final long SPLIT_MS = 12_000;

  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();

  /** {@code minimumMembers} 2, as the docs advise for three nodes. */
  @Test
  void withAMinimumTheSideAloneRefusesAndTheClusterLosesNothingWhenTheNetworkHeals()
      throws Exception {
    assumeRelayAddresses();
    splitAndHeal(2, 0, configs -> new MemberLinks(configs));
  }

  /** {@code minimumMembers} 1, the default: both sides serve, and the database settles. */
  @Test
  void withoutAMinimumBothSidesServeAndTheDatabaseSettlesTheirOffsets() throws Exception {
    assumeRelayAddresses();
    splitAndHeal(1, 2, configs -> new MemberLinks(configs));
  }

  /**
   * The first case, every link between the sides cut by the kernel ({@link NetworkSplit}),
   * the event bus's too: pushes between the sides wait or fail as they would on a network.
   */
  @Test
  void everyLinkCutWithAMinimumTheSideAloneRefusesAndNothingIsLost() throws Exception {
    assumeNetfilter();
    splitAndHeal(2, 0, configs -> new NetworkSplit(configs, 0, dir));
  }

  /** The second case, every link between the sides cut by the kernel. */
  @Test
  void everyLinkCutWithoutAMinimumBothSidesServeAndNothingIsLost() throws Exception {
    assumeNetfilter();
    splitAndHeal(1, 2, configs -> new NetworkSplit(configs, 2, dir));
  }

  /** How a case splits the network of the three nodes, set up on their configurations. */
  private interface Splitter {
    Partition on(List<JsonObject> configs) throws Exception;
  }

  /** The relays' members bind addresses of their own on loopback. */
  private static void assumeRelayAddresses() {
    for (int i = 0; i < 3; i++) {
      assumeTrue(MemberLinks.bindable(MemberLinks.host(i)), "this machine does not bind "
          + MemberLinks.host(i) + " (on macOS: ifconfig lo0 alias " + MemberLinks.host(i) + ")");
    }
  }

  private static void assumeNetfilter() {
    String missing = NetworkSplit.unavailable();
    assumeTrue(missing == null, () -> "no split by netfilter here: " + missing);
  }

  /**
   * Splits node {@code apart} off from the two others, then heals the network. Once every
   * node sees the split, the two serve; the node alone refuses (with a minimum of 2: it may
   * still accept what was on its way when it found itself alone, no more) or serves its own
   * sessions (without one).
   */
  private void splitAndHeal(int minimumMembers, int apart, Splitter splitter)
      throws Exception {
    String url = TestPostgres.newDatabase();
    List<JsonObject> configs = FailoverTraffic.onPostgres(3, url, minimumMembers);
    FailoverTraffic run = processes.traffic(dir, 3, new Shape().recipients(12).window(8)
        .resentAnswered(8).pullEveryMs(500));
    try (Partition network = splitter.on(configs)) {
      run.startWith(configs, network::launch, 0);
      run.startWith(configs, network::launch, 1, 2);
      awaitMembers(run, 3, 3, 3);
      run.phase("three nodes");
      run.startTraffic();
      Thread.sleep(4_000);

      String splitOff = "node " + (apart + 1) + " split off";
      run.phase(splitOff);
      long split = System.nanoTime();
      network.split(Set.of(apart));
      // each side sees the other gone: the split is real, not a slow link
      int[] counts = {2, 2, 2};
      counts[apart] = 1;
      awaitMembers(run, counts);
      String alone = "node " + (apart + 1) + " alone";
      run.phase(alone);
      // alone for what is left of the split, and never for less than a few seconds
      Thread.sleep(Math.max(4_000, SPLIT_MS - (System.nanoTime() - split) / 1_000_000));
      run.phase("healed");
      network.heal();
      awaitMembers(run, 3, 3, 3); // the merge check runs every 5 s
      String last = "after the split";
      run.phase(last);
      Thread.sleep(5_000);
      run.stopOnLiveNodes("NetworkPartitionIT", SETTLE);
      run.auditAll("NetworkPartitionIT", url);
      run.everyNodeReachesTheOthers(); // across the healed split
      for (String r : run.onlineRecipients()) {
        assertTrue(run.pushesIn(last, r) > 0, r + " was pushed nothing " + last + ": "
            + run.figures());
      }
      long[] lone = run.answersIn(alone, apart);
      long others = run.answersIn(alone)[0] - lone[0];
      assertTrue(others > 100, "the two nodes together served little while split: "
          + run.figures());
      if (minimumMembers > 1) {
        assertTrue(lone[2] > 0, "node " + (apart + 1) + " alone refused nothing: "
            + run.figures());
        assertTrue(lone[0] <= run.mostInFlight(), "node " + (apart + 1) + " alone accepted "
            + lone[0] + " messages, more than were on their way when it found itself alone: "
            + run.figures());
      } else {
        assertTrue(lone[0] > 0, "node " + (apart + 1) + " alone served its sessions nothing: "
            + run.figures());
      }
    }
  }

  /** Waits until node {@code i} counts {@code counts[i]} members. */
  private static void awaitMembers(FailoverTraffic run, int... counts) {
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(250)).until(() -> {
      for (int i = 0; i < counts.length; i++) {
        if (FailoverTraffic.metric(run.nodes[i], "phoenix_cluster_members") != counts[i]) {
          return false;
        }
      }
      return true;
    });
  }
}

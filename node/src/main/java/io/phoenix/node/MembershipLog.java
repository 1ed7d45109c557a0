package io.phoenix.node;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.phoenix.util.KnownNoise;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says what the cluster looks like, in one line each time it changes: at start and whenever a
 * member joins, {@code INFO cluster: 3 members [node-1, node-2, node-3]}; when a member goes
 * (stopped, or declared dead after {@code cluster.memberTimeoutSeconds}),
 * {@code WARN cluster: lost member node-3 (127.0.0.1:5703)} and the new list. Members are named
 * by their {@code node.id}. The failures to reach a lost member's event bus that follow are
 * expected and dropped from the log ({@link KnownNoise}); a member that is still in the cluster
 * five seconds after its event bus could not be reached gets
 * {@code WARN cluster: cannot reach the event bus of member node-3 for 5 s: …}
 * ({@link #reportUnreached}).
 *
 * <p>Hazelcast calls the listener on its event threads, one event at a time; it only logs.
 */
final class MembershipLog implements MembershipListener {
  private static final Logger log = LoggerFactory.getLogger("io.phoenix.cluster");
  /** Member attribute in which vertx-hazelcast keeps the Vert.x node id. */
  private static final String VERTX_NODE_ID = "__vertx.nodeId";

  /** {@code cluster.minimumMembers}: below it the node refuses, which is said once. */
  private final int minimum;

  private MembershipLog(int minimum) {
    this.minimum = minimum;
  }

  /**
   * Logs the members now, and every change from now on; {@code minimum} is
   * {@code cluster.minimumMembers}.
   */
  static void install(HazelcastInstance hazelcast, int minimum) {
    logMembers(hazelcast.getCluster().getMembers());
    hazelcast.getCluster().addMembershipListener(new MembershipLog(minimum));
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    logMembers(event.getMembers());
    if (event.getMembers().size() == minimum && minimum > 1) {
      log.info("cluster: {} members again, as many as cluster.minimumMembers: serving",
          minimum);
    }
    String conflict = HazelcastCluster.layoutConflict(event.getMember());
    if (conflict != null) { // an older build does not check for itself: say so here
      log.error("{}; that member must be stopped", conflict);
    }
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    Member gone = event.getMember();
    KnownNoise.memberGone(gone.getAttribute(VERTX_NODE_ID));
    log.warn("cluster: lost member {} ({})", name(gone), gone.getAddress());
    logMembers(event.getMembers());
    if (event.getMembers().size() == minimum - 1) {
      log.warn("cluster: fewer members than cluster.minimumMembers ({}): sessions and messages "
          + "are refused with 503 until a member joins", minimum);
    }
  }

  /**
   * Warns, once per failure held back by {@link KnownNoise}, of members of the cluster whose
   * event bus could not be reached for {@link KnownNoise#HOLD_NANOS}; call about once a second.
   */
  static void reportUnreached(HazelcastInstance hazelcast) {
    for (KnownNoise.Unreached u : KnownNoise.unreachedMembers(System.nanoTime())) {
      String member = u.vertxNodeId();
      try {
        for (Member m : hazelcast.getCluster().getMembers()) {
          if (u.vertxNodeId().equals(m.getAttribute(VERTX_NODE_ID))) {
            member = name(m);
          }
        }
      } catch (RuntimeException stopping) {
        // Hazelcast is shutting down: the Vert.x node id names the member well enough
      }
      log.warn("cluster: cannot reach the event bus of member {} for {} s: {}", member,
          TimeUnit.NANOSECONDS.toSeconds(KnownNoise.HOLD_NANOS), u.cause());
    }
  }

  private static void logMembers(Collection<Member> members) {
    List<String> names = new ArrayList<>();
    members.forEach(m -> names.add(name(m)));
    log.info("cluster: {} member{} {}", names.size(), names.size() == 1 ? "" : "s", names);
  }

  private static String name(Member m) {
    String id = m.getAttribute(HazelcastCluster.NODE_ID_ATTRIBUTE);
    return id != null ? id : String.valueOf(m.getAddress());
  }
}

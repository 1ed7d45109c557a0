package io.phoenix.util;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Marker;

/**
 * Drops the log events of libraries that say nothing an operator should act on (referenced by
 * conf/logback.xml), each matched by its logger and its words so that nothing else of those
 * loggers is lost:
 *
 * <ul>
 *   <li>Hazelcast's "CP Subsystem is not enabled … UNSAFE mode" at every start: Phoenix uses no
 *       CP data structure (offsets come from entry processors on maps), and neither Vert.x's
 *       cluster-wide locks nor counters, which would.</li>
 *   <li>Micrometer's "This Gauge has been already registered": vertx-micrometer registers its
 *       {@code vertx.eventbus.handlers} gauge again for every event-bus handler; the gauge is
 *       right.</li>
 *   <li>Hazelcast's "Not Member!", from any of its loggers (the operation service, or an
 *       operation logging its own failure, such as a partition table sent while members join):
 *       an operation between a member and one it does not count (yet, or any more); Hazelcast
 *       retries it on the members it has. And its "is suspected
 *       to be dead" just before it removes a member: Phoenix's own "cluster: lost member" WARN
 *       line reports the loss, once.</li>
 *   <li>Hazelcast's "X claims mastership but it is not a member!" (an ERROR with a stack
 *       trace): X, a member the others removed while it was frozen or cut off, wakes still
 *       taking itself for the master of its old view. It then forms a cluster of its own and is
 *       merged back, which Phoenix reports ("cluster: lost member", "this node was apart from
 *       the cluster … has joined it again").</li>
 *   <li>Hazelcast's "Still have pending migration tasks, cannot lock cluster state!" (an
 *       ERROR of the operation that freezes the cluster to merge two): a merge tried while
 *       partitions still move after a member's loss. The joiner says the same in the WARN that
 *       follows ("While changing cluster state to FROZEN!"), and the merge is tried again at
 *       the next check, 5 s later.</li>
 *   <li>Hazelcast's "Ignoring received partition table, startup is not completed yet" when
 *       members start together: the table reached a member that had joined but not finished
 *       starting; the master sends it again, and the member takes it once it has started.</li>
 *   <li>Hazelcast's migration failures when a member dies while partitions move: the
 *       operation that finds the master's partition table newer than its own ("Failure while
 *       executing MigrationInfo", {@code PartitionStateVersionMismatchException}, with a stack
 *       trace), and the master's "Migration failed" within {@link #MIGRATION_AFTER_LOSS_NANOS}
 *       of a member's loss. Hazelcast plans the migrations again for the members it has;
 *       Phoenix's "cluster: lost member" line reports the loss.</li>
 *   <li>Hazelcast's {@code ResponseAlreadySentException} (an ERROR with a stack trace, logged by
 *       the operation): an invocation retried while a member leaves can run its operation twice,
 *       and the second answer finds the first one taken. The caller got exactly one answer, the
 *       first; Hazelcast's retries are at-least-once, and Phoenix's one entry processor
 *       ({@code BucketBatch}) is built to be applied again (an append applied twice gives the same
 *       answer, positions only move forward, a register of the same session changes nothing). Rare (seen once in the project's CI).</li>
 *   <li>Vert.x's "Connection reset" of a connection whose peer went away (a member killed, a
 *       client gone without closing): the node goes on, and a lost member is reported once by
 *       Phoenix's own "cluster: lost member" line.</li>
 *   <li>Vert.x's "Connecting to server X failed", where X is a member's event bus. When X has
 *       left the cluster ({@link #memberGone}) its loss was reported already. Otherwise the
 *       failure is held back for {@link #HOLD_NANOS}: a member killed a moment ago is usually
 *       declared lost within that time, and its failures are then dropped too. One that is
 *       still a member after it is handed out, once, by {@link #unreachedMembers}, for the node
 *       to report (a member that cannot be reached is worth a warning).</li>
 * </ul>
 *
 * <p>Logback creates it from its configuration; thread-safe.
 */
public final class KnownNoise extends TurboFilter {
  /** How long a failure to reach a member's event bus waits for that member's loss. */
  public static final long HOLD_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** How long after a member's loss a failed migration is taken for a consequence of it. */
  public static final long MIGRATION_AFTER_LOSS_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final int REMEMBERED = 64;
  private static volatile long lastLossNanos;
  private static volatile boolean anyLoss;
  private static final String CONNECTING = "Connecting to server ";
  private static final Set<String> GONE = Collections.synchronizedSet(new LinkedHashSet<>());
  /** Held-back failures by Vert.x node id, the first of each; guarded by itself. */
  private static final Map<String, Unreached> HELD = new LinkedHashMap<>();

  /** A failure to reach the event bus of the member whose Vert.x node id is given. */
  public record Unreached(String vertxNodeId, String cause, long atNanos) {}

  /** Records that the member whose Vert.x node id is {@code vertxNodeId} left the cluster. */
  public static void memberGone(String vertxNodeId) {
    lastLossNanos = System.nanoTime();
    anyLoss = true;
    if (vertxNodeId == null) {
      return;
    }
    synchronized (GONE) {
      GONE.add(vertxNodeId);
      if (GONE.size() > REMEMBERED) {
        GONE.remove(GONE.iterator().next());
      }
    }
    synchronized (HELD) {
      HELD.remove(vertxNodeId);
    }
  }

  /** Whether a member was lost less than {@link #MIGRATION_AFTER_LOSS_NANOS} ago. */
  static boolean lostRecently(long nowNanos) {
    return anyLoss && nowNanos - lastLossNanos < MIGRATION_AFTER_LOSS_NANOS;
  }

  private static void hold(String vertxNodeId, Throwable cause, long nowNanos) {
    String why = cause == null ? "" : cause.getMessage() != null ? cause.getMessage()
        : cause.getClass().getSimpleName();
    synchronized (HELD) {
      if (HELD.size() >= REMEMBERED && !HELD.containsKey(vertxNodeId)) {
        HELD.remove(HELD.keySet().iterator().next());
      }
      HELD.putIfAbsent(vertxNodeId, new Unreached(vertxNodeId, why, nowNanos));
    }
  }

  /**
   * The held-back failures at least {@link #HOLD_NANOS} old whose member has not left the
   * cluster: each handed out once (a later failure is held again). Call about once a second.
   */
  public static List<Unreached> unreachedMembers(long nowNanos) {
    List<Unreached> out = new ArrayList<>();
    synchronized (HELD) {
      for (Iterator<Unreached> it = HELD.values().iterator(); it.hasNext(); ) {
        Unreached u = it.next();
        if (nowNanos - u.atNanos() >= HOLD_NANOS) {
          it.remove();
          if (!GONE.contains(u.vertxNodeId())) {
            out.add(u);
          }
        }
      }
    }
    return out;
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format,
      Object[] params, Throwable t) {
    if (format == null || level == null || !level.isGreaterOrEqual(Level.WARN)) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName();
    boolean noise = switch (name) {
      case "com.hazelcast.cp.CPSubsystem" -> format.contains("CP Subsystem is not enabled");
      case "io.micrometer.core.instrument.MeterRegistry" ->
          format.startsWith("This Gauge has been already registered");
      case "com.hazelcast.internal.cluster.impl.MembershipManager",
          "com.hazelcast.internal.cluster.impl.ClusterHeartbeatManager" ->
          format.contains("is suspected to be dead") || format.contains("Suspecting Member");
      case "com.hazelcast.internal.cluster.impl.operations.FetchMembersViewOp" ->
          format.contains("claims mastership but it is not a member");
      case "com.hazelcast.internal.cluster.impl.operations.LockClusterStateOp" ->
          format.contains("Still have pending migration tasks, cannot lock cluster state");
      // named after the interface by Hazelcast (its ...impl.InternalPartitionServiceImpl logs it)
      case "com.hazelcast.internal.partition.InternalPartitionService" ->
          format.startsWith("Ignoring received partition table, startup is not completed yet");
      case "com.hazelcast.internal.partition.operation.MigrationRequestOperation" ->
          format.contains("Failure while executing") && t != null
              && t.getClass().getSimpleName().equals("PartitionStateVersionMismatchException");
      case "com.hazelcast.internal.partition.impl.MigrationManager" ->
          format.contains("Migration failed") && lostRecently(System.nanoTime());
      case "io.vertx.core.net.impl.ConnectionBase" -> format.contains("Connection reset")
          || format.contains("Broken pipe");
      case "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus" -> {
        boolean connecting = format.startsWith(CONNECTING) && format.endsWith(" failed");
        if (connecting) {
          String id = format.substring(CONNECTING.length(), format.length() - 7);
          if (!GONE.contains(id)) {
            hold(id, t, System.nanoTime());
          }
        }
        yield connecting;
      }
      default -> name.startsWith("com.hazelcast.") && (format.contains("Not Member!")
          || t != null && t.getClass().getSimpleName().equals("ResponseAlreadySentException"));
    };
    return noise ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}

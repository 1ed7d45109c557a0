package io.phoenix.util;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
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
 *   <li>Hazelcast's "Ignoring received partition table, startup is not completed yet" when
 *       members start together: the table reached a member that had joined but not finished
 *       starting; the master sends it again, and the member takes it once it has started.</li>
 *   <li>Vert.x's "Connection reset" of a connection whose peer went away (a member killed, a
 *       client gone without closing): the node goes on, and a lost member is reported once by
 *       Phoenix's own "cluster: lost member" line.</li>
 *   <li>Vert.x's "Connecting to server X failed" when X is the event bus of a member that has
 *       left the cluster ({@link #memberGone}): that member's loss was reported already. A
 *       member still in the cluster that cannot be reached keeps its warning.</li>
 * </ul>
 *
 * <p>Logback creates it from its configuration; thread-safe.
 */
public final class KnownNoise extends TurboFilter {
  private static final int GONE_REMEMBERED = 64;
  private static final String CONNECTING = "Connecting to server ";
  private static final Set<String> GONE = Collections.synchronizedSet(new LinkedHashSet<>());

  /** Records that the member whose Vert.x node id is {@code vertxNodeId} left the cluster. */
  public static void memberGone(String vertxNodeId) {
    if (vertxNodeId == null) {
      return;
    }
    synchronized (GONE) {
      GONE.add(vertxNodeId);
      if (GONE.size() > GONE_REMEMBERED) {
        GONE.remove(GONE.iterator().next());
      }
    }
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
      case "com.hazelcast.internal.partition.impl.InternalPartitionServiceImpl" ->
          format.startsWith("Ignoring received partition table, startup is not completed yet");
      case "io.vertx.core.net.impl.ConnectionBase" -> format.contains("Connection reset")
          || format.contains("Broken pipe");
      case "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus" ->
          format.startsWith(CONNECTING) && format.endsWith(" failed")
              && GONE.contains(format.substring(CONNECTING.length(), format.length() - 7));
      default -> name.startsWith("com.hazelcast.") && format.contains("Not Member!");
    };
    return noise ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}

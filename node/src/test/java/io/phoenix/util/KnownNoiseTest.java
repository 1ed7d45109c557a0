package io.phoenix.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which library warnings the filter drops, and that their loggers' other warnings stay. */
class KnownNoiseTest {
  private final LoggerContext context = new LoggerContext();
  private final KnownNoise filter = new KnownNoise();

  private FilterReply decide(String logger, Level level, String message) {
    Logger l = context.getLogger(logger);
    return filter.decide(null, l, level, message, null, null);
  }

  /**
   * The logger is the one Hazelcast names after the service's interface (this rule once named
   * the implementation's class, which logs the line, and so never matched: ClusterLogIT failed
   * on it again).
   */
  @Test
  void aPartitionTableReachingAMemberStillStartingIsDropped() {
    String partitions =
        com.hazelcast.internal.partition.InternalPartitionService.class.getName();
    assertEquals(FilterReply.DENY, decide(partitions, Level.WARN,
        "Ignoring received partition table, startup is not completed yet. Sender: "
            + "[127.0.0.1]:5701"));
    assertEquals(FilterReply.NEUTRAL, decide(partitions, Level.WARN,
        "Partition table update from [127.0.0.1]:5702, which is not master! Current master: "
            + "[127.0.0.1]:5701"));
    assertEquals(FilterReply.NEUTRAL, decide("com.hazelcast.other", Level.WARN,
        "Ignoring received partition table, startup is not completed yet."));
  }

  @Test
  void notMemberIsDroppedFromEveryHazelcastLoggerOnly() {
    String notMember = "[127.0.0.1]:24997 [t] [5.3.8] com.hazelcast.spi.exception."
        + "CallerNotMemberException: Not Member! this: [127.0.0.1]:24997, caller: "
        + "[127.0.0.1]:24996, partitionId: -1";
    assertEquals(FilterReply.DENY, decide(
        "com.hazelcast.internal.partition.operation.PartitionStateOperation", Level.WARN,
        notMember));
    assertEquals(FilterReply.DENY, decide(
        "com.hazelcast.spi.impl.operationservice.OperationService", Level.WARN, notMember));
    assertEquals(FilterReply.NEUTRAL, decide("io.phoenix.cluster", Level.WARN, notMember));
    assertEquals(FilterReply.NEUTRAL, decide(
        "com.hazelcast.internal.partition.operation.PartitionStateOperation", Level.WARN,
        "something else went wrong"));
  }

  /**
   * A member killed while partitions move: the stale-table failure (with its stack trace) is
   * dropped, other failures of that operation stay, and the master's "Migration failed" is
   * dropped only within 30 s of a member's loss.
   */
  @Test
  void migrationFailuresCausedByALostMemberAreDropped() {
    Logger op = context.getLogger(
        "com.hazelcast.internal.partition.operation.MigrationRequestOperation");
    String failure = "[127.0.0.1]:26084 [t] [5.3.8] Failure while executing MigrationInfo{"
        + "partitionId=0}";
    assertEquals(FilterReply.DENY, filter.decide(null, op, Level.WARN, failure, null,
        new com.hazelcast.internal.partition.PartitionStateVersionMismatchException(6, 8)));
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, op, Level.WARN, failure, null,
        new IllegalStateException("disk full")));

    String manager = "com.hazelcast.internal.partition.impl.MigrationManager";
    String failed = "[127.0.0.1]:26084 [t] [5.3.8] Migration failed: MigrationInfo{partitionId=0}";
    long now = System.nanoTime();
    KnownNoise.memberGone("vertx-node-migrating");
    assertEquals(true, KnownNoise.lostRecently(now + 1));
    assertEquals(FilterReply.DENY, decide(manager, Level.WARN, failed));
    assertEquals(false, KnownNoise.lostRecently(
        System.nanoTime() + KnownNoise.MIGRATION_AFTER_LOSS_NANOS));
    assertEquals(FilterReply.NEUTRAL, decide(manager, Level.WARN, "something else"));
  }

  /**
   * An operation that answered twice after a retry (the invocation keeps the first answer):
   * dropped from Hazelcast's loggers with that exception only.
   */
  @Test
  void aSecondAnswerToARetriedOperationIsDropped() {
    Logger op = context.getLogger("com.hazelcast.map.impl.operation.EntryOperation");
    String message = "NormalResponse already responseReceived for callback: Invocation{op="
        + "com.hazelcast.map.impl.operation.EntryOperation{name=phoenix.streams}}";
    assertEquals(FilterReply.DENY, filter.decide(null, op, Level.ERROR, message, null,
        new com.hazelcast.spi.exception.ResponseAlreadySentException(message)));
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, op, Level.ERROR, message, null,
        new IllegalStateException(message)));
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, context.getLogger("io.phoenix.stream"),
        Level.ERROR, message, null,
        new com.hazelcast.spi.exception.ResponseAlreadySentException(message)));
  }

  @Test
  void aWokenMemberClaimingMastershipIsDropped() {
    Logger op = context.getLogger(
        "com.hazelcast.internal.cluster.impl.operations.FetchMembersViewOp");
    String message = "[127.0.0.1]:30306 [t-1] [5.3.8] [127.0.0.1]:30307 claims mastership but it "
        + "is not a member!";
    assertEquals(FilterReply.DENY, filter.decide(null, op, Level.ERROR, message, null,
        new IllegalArgumentException(message)));
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, op, Level.ERROR,
        "something else went wrong", null, new IllegalArgumentException("x")));
  }

  @Test
  void aMergeTriedWhilePartitionsMoveIsDroppedTheJoinersWarningStays() {
    Logger op = context.getLogger(
        "com.hazelcast.internal.cluster.impl.operations.LockClusterStateOp");
    assertEquals(FilterReply.DENY, filter.decide(null, op, Level.ERROR, "[127.0.0.1]:28808 "
        + "[t-1] [5.3.8] Still have pending migration tasks, cannot lock cluster state! New "
        + "state: ClusterStateChange{type=class com.hazelcast.cluster.ClusterState, "
        + "newState=FROZEN}, current state: ACTIVE", null, null));
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, op, Level.ERROR,
        "something else went wrong", null, null));
    assertEquals(FilterReply.NEUTRAL, decide("com.hazelcast.internal.cluster.impl.TcpIpJoiner",
        Level.WARN, "While changing cluster state to FROZEN! java.lang.IllegalStateException: "
        + "Still have pending migration tasks, cannot lock cluster state!"));
  }

  @Test
  void theCpNoticeIsDroppedAndInfoIsNeverTouched() {
    assertEquals(FilterReply.DENY, decide("com.hazelcast.cp.CPSubsystem", Level.WARN,
        "CP Subsystem is not enabled. CP data structures will operate in UNSAFE mode!"));
    assertEquals(FilterReply.NEUTRAL, decide("com.hazelcast.cp.CPSubsystem", Level.INFO,
        "CP Subsystem is not enabled."));
  }

  /**
   * A failure to reach a member's event bus is never logged as it comes. It is forgotten if the
   * member is (or, within the hold, is declared) lost, and handed out once for the node to
   * report if it is still a member when the hold is over.
   */
  @Test
  void aConnectionFailureWaitsForTheMembersLossBeforeItIsReported() {
    String bus = "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus";
    KnownNoise.memberGone("node-gone-1");
    Logger l = context.getLogger(bus);
    long start = System.nanoTime();
    for (String id : List.of("node-gone-1", "node-dying-1", "node-here-1", "node-here-1")) {
      assertEquals(FilterReply.DENY, filter.decide(null, l, Level.WARN,
          "Connecting to server " + id + " failed", null,
          new java.net.ConnectException("Connection refused: /127.0.0.1:1")));
    }
    assertEquals(FilterReply.NEUTRAL, decide(bus, Level.WARN, "something else failed"));
    assertEquals(List.of(), KnownNoise.unreachedMembers(start + KnownNoise.HOLD_NANOS / 2));
    KnownNoise.memberGone("node-dying-1"); // declared lost during the hold
    List<KnownNoise.Unreached> due = KnownNoise.unreachedMembers(start + KnownNoise.HOLD_NANOS
        + 1_000_000_000L);
    assertEquals(List.of("node-here-1"), due.stream().map(KnownNoise.Unreached::vertxNodeId)
        .toList());
    assertEquals("Connection refused: /127.0.0.1:1", due.get(0).cause());
    assertEquals(List.of(), KnownNoise.unreachedMembers(start + 3 * KnownNoise.HOLD_NANOS),
        "each failure is handed out once");
  }
}

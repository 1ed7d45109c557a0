package io.phoenix.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/** Which library warnings the filter drops, and that their loggers' other warnings stay. */
class KnownNoiseTest {
  private final LoggerContext context = new LoggerContext();
  private final KnownNoise filter = new KnownNoise();

  private FilterReply decide(String logger, Level level, String message) {
    Logger l = context.getLogger(logger);
    return filter.decide(null, l, level, message, null, null);
  }

  @Test
  void aPartitionTableReachingAMemberStillStartingIsDropped() {
    String partitions = "com.hazelcast.internal.partition.impl.InternalPartitionServiceImpl";
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

  @Test
  void theCpNoticeIsDroppedAndInfoIsNeverTouched() {
    assertEquals(FilterReply.DENY, decide("com.hazelcast.cp.CPSubsystem", Level.WARN,
        "CP Subsystem is not enabled. CP data structures will operate in UNSAFE mode!"));
    assertEquals(FilterReply.NEUTRAL, decide("com.hazelcast.cp.CPSubsystem", Level.INFO,
        "CP Subsystem is not enabled."));
  }

  @Test
  void aConnectionFailureIsDroppedOnlyForAMemberThatLeft() {
    String bus = "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus";
    String gone = "Connecting to server node-gone-1 failed";
    String present = "Connecting to server node-here-1 failed";
    KnownNoise.memberGone("node-gone-1");
    assertEquals(FilterReply.DENY, decide(bus, Level.WARN, gone));
    assertEquals(FilterReply.NEUTRAL, decide(bus, Level.WARN, present));
  }
}

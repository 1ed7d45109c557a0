package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import io.phoenix.cluster.Directory;
import io.phoenix.protocol.v1.MessageType;
import io.phoenix.stream.log.MessageLog;
import java.util.AbstractMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The operations of a {@link BucketBatch}, run directly on a bucket (as the partition thread
 * would), and the Hazelcast serialization of buckets, batches and results (what crosses to
 * backups and other members).
 */
class BucketBatchTest {
  private static final long RETENTION = 60_000;
  private static final InternalSerializationService SERIALIZATION =
      new DefaultSerializationServiceBuilder()
          .addDataSerializableFactory(StreamSerialization.FACTORY_ID, new StreamSerialization())
          .build();

  /** A mutable map entry, like the one Hazelcast hands a processor. */
  private static final class Entry extends AbstractMap.SimpleEntry<Integer, StreamBucket> {
    Entry(StreamBucket value) {
      super(7, value);
    }
  }

  private long request;
  private static long undeliveredLimit = 100;

  private static BucketBatch batch(boolean keepAll, long now, String node, StreamOp... ops) {
    BucketBatch b = new BucketBatch();
    b.now = now;
    b.node = node;
    b.keepAll = keepAll;
    b.commitMode = !keepAll;
    b.hotWindow = 2;
    b.idHoldMs = 1_000;
    b.maxKept = 100;
    b.retentionMs = RETENTION;
    b.maxUndelivered = undeliveredLimit;
    b.idleMs = 60_000;
    b.staleMs = 5_000;
    b.ops.addAll(List.of(ops));
    return b;
  }

  private OpResult append(Entry e, boolean keepAll, String from, String id, long now) {
    return append(e, keepAll, from, id, now, "n1", ++request);
  }

  private static OpResult append(Entry e, boolean keepAll, String from, String id, long now,
      String node, long request) {
    return batch(keepAll, now, node, StreamOp.append(from, "bob", id, MessageType.SENDER_VALUE,
        id.getBytes(), request)).process(e).results.get(0);
  }

  private static OpResult run(Entry e, boolean keepAll, long now, StreamOp op) {
    return batch(keepAll, now, "n1", op).process(e).results.get(0);
  }

  @Test
  void offsetsAreGaplessPerStreamAndDuplicatesKeepTheirOffset() {
    Entry e = new Entry(null);
    assertEquals(1, append(e, true, "alice", "a", 1000).offset);
    assertEquals(2, append(e, true, "alice", "b", 1000).offset);
    assertEquals(1, append(e, true, "carol", "a", 1000).offset);
    OpResult dup = append(e, true, "alice", "a", 1000);
    assertEquals(OpResult.DUPLICATE, dup.code);
    assertEquals(1, dup.offset);
    assertEquals(3, append(e, true, "alice", "c", 1000).offset);
  }

  @Test
  void aRetriedRequestGetsItsFirstAnswerNotADuplicate() {
    Entry e = new Entry(null);
    OpResult first = append(e, false, "alice", "a", 1000, "n1", 42);
    assertEquals(OpResult.MISSING, first.code, "not loaded yet");
    run(e, false, 1000, StreamOp.load("alice", "bob", 0, 0, 0, null));
    first = append(e, false, "alice", "a", 1000, "n1", 42);
    OpResult again = append(e, false, "alice", "a", 1000, "n1", 42); // Hazelcast's retry
    assertEquals(OpResult.STORED, again.code);
    assertEquals(first.offset, again.offset);
    OpResult client = append(e, false, "alice", "a", 1000, "n1", 43); // the client's retry
    assertEquals(OpResult.DUPLICATE, client.code);
    assertEquals(1, client.entries.size(), "not written yet: the retrier writes it too");
  }

  @Test
  void aForgottenStreamIsReadBackNoLowerThanTheHeadItHadReached() {
    Entry e = new Entry(null);
    run(e, false, 1000, StreamOp.load("alice", "bob", 0, 0, 0, null));
    assertEquals(1, append(e, false, "alice", "a", 1000, "n1", 1).offset);
    assertEquals(2, append(e, false, "alice", "b", 1000, "n2", 2).offset);
    assertEquals(3, append(e, false, "alice", "c", 1000, "n1", 3).offset);
    OpResult forgot = run(e, false, 1000, StreamOp.forget("alice", "bob", null));
    assertEquals(List.of("b"), forgot.entries.stream().map(MessageLog.Entry::messageId).toList(),
        "the other node's unwritten message, for the forgetting node to write");
    assertEquals(OpResult.MISSING, append(e, false, "alice", "d", 1000, "n1", 4).code,
        "forgotten: read back before the next operation");
    Entry copy = new Entry(SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue())));
    run(copy, false, 2000, StreamOp.load("alice", "bob", 1, 0, 0, null)); // the database's head
    assertEquals(4, append(copy, false, "alice", "d", 2000, "n1", 4).offset,
        "above every offset given before, not at the database's head + 1");
    run(copy, false, 2000, StreamOp.forget("alice", "bob", null));
    run(copy, false, 2000, StreamOp.forget("alice", "bob", null)); // again: no stream, no change
    run(copy, false, 2000 + 60_000, StreamOp.maintain());
    run(copy, false, 2000 + 60_000, StreamOp.load("alice", "bob", 4, 0, 0, null));
    assertEquals(5, append(copy, false, "alice", "e", 62_000, "n1", 5).offset);
    assertTrue(copy.getValue().floors.isEmpty());
    OpResult forgotten = run(copy, false, 62_000, StreamOp.forget("alice", "bob", null));
    assertEquals(List.of(), forgotten.entries, "only n1's unwritten message: none to hand");
    run(copy, false, 62_000 + 60_001, StreamOp.maintain());
    assertTrue(copy.getValue().floors.isEmpty(), "a floor goes after idleMs");
    run(copy, false, 200_000, StreamOp.load("alice", "bob", 5, 0, 0, null));
    assertEquals(6, append(copy, false, "alice", "f", 200_000, "n1", 6).offset);
  }

  /**
   * A stream forgotten while messages were on their way to the database: read back, it still
   * holds them (the database may not have them yet), so that a retry is that message, never a
   * second copy; those at the offsets the forgetting commit found taken are not held (they are
   * appended again); and for the id hold an append whose id was checked before the forget is
   * checked again (the ids of what was written just before are not held any more).
   */
  @Test
  void aForgottenStreamReadBackHoldsItsUnwrittenMessagesForRetries() {
    Entry e = new Entry(null);
    run(e, false, 0, StreamOp.load("alice", "bob", 0, 0, 0, null));
    assertEquals(1, append(e, false, "alice", "a", 1000, "n1", 1).offset);
    run(e, false, 1000, StreamOp.durable("alice", "bob", 1, 0, 0));
    assertEquals(2, append(e, false, "alice", "b", 1000, "n2", 2).offset);
    assertEquals(3, append(e, false, "alice", "c", 1000, "n1", 3).offset);
    assertEquals(4, append(e, false, "alice", "d", 1000, "n1", 4).offset);
    // n1's commit of 4 found another message there
    OpResult forgot = run(e, false, 1100, StreamOp.forget("alice", "bob", new long[] {4}));
    assertEquals(List.of(2L), offsets(forgot), "n2's unwritten message, for n1 to write");
    run(e, false, 1200, StreamOp.forget("alice", "bob", new long[] {3})); // then 3, too
    Entry copy = new Entry(SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue())));
    run(copy, false, 1300, StreamOp.load("alice", "bob", 4, 0, 0, null)); // the database's head
    assertEquals(1, copy.getValue().get("alice", "bob").carriedCount());

    // b's commit has not finished: a retry through n1 is b, and n1 writes it too
    OpResult b = append(copy, false, "alice", "b", 1400, "n1", 10);
    assertEquals(OpResult.DUPLICATE, b.code);
    assertEquals(2, b.offset);
    assertEquals(List.of(2L), offsets(b));
    OpResult retried = append(copy, false, "alice", "b", 1400, "n2", 2); // Hazelcast's retry
    assertEquals(OpResult.STORED, retried.code);
    assertEquals(2, retried.offset);
    // a, written before the forget: a retry whose id was checked before is checked again
    OpResult a = append(copy, false, "alice", "a", 1500, "n2", 11);
    assertEquals(OpResult.RECHECK, a.code);
    assertEquals(4, a.offset, "checked after the forget: the ids below the head it had");
    // c and d are not at 3 and 4: appended again, as new messages, once checked again
    BucketBatch again = batch(false, 1600, "n1",
        append("c", 12, 0), append("d", 13, 0), append("e", 14, 4));
    assertEquals(List.of(OpResult.RECHECK, OpResult.RECHECK, OpResult.RECHECK),
        again.process(copy).results.stream().map(r -> r.code).toList(),
        "the appends after one sent back go back too, in their order");
    again = batch(false, 1700, "n1", append("c", 12, 4), append("d", 13, 4));
    assertEquals(List.of(5L, 6L),
        again.process(copy).results.stream().map(r -> r.offset).toList());
    assertEquals(7, append(copy, false, "alice", "f", 2200, "n1", 15).offset,
        "the id hold over: no check again");

    // a DURABLE mark speaks for the window only: whoever answers a retry of b writes it again
    // (2 may yet turn out to hold another message)
    run(copy, false, 2300, StreamOp.durable("alice", "bob", 7, 0, 0));
    OpResult b2 = append(copy, false, "alice", "b", 2400, "n1", 16);
    assertEquals(OpResult.DUPLICATE, b2.code);
    assertEquals(List.of(2L), offsets(b2));
  }

  /** {offset, id hash} pairs: what a commit that wrote these messages marks. */
  private static long[] written(Object... offsetsAndIds) {
    long[] out = new long[offsetsAndIds.length];
    for (int i = 0; i < out.length; i += 2) {
      out[i] = ((Number) offsetsAndIds[i]).longValue();
      out[i + 1] = StreamState.idHash((String) offsetsAndIds[i + 1]);
    }
    return out;
  }

  /**
   * The cluster gave an offset twice (a member apart from the cluster gave it too, or a bucket
   * was lost), and the other message was written there first: the DURABLE mark of that write
   * must not make this stream's unwritten message at that offset look written (a pull would
   * show it at an offset that holds another message). The stream is forgotten instead, as
   * when a commit finds its offset taken: read back no lower than its head, the messages it
   * held unwritten carried but the one at the offset taken, the other nodes' ones handed to
   * the marking node to write. A mark that agrees marks as before.
   */
  @Test
  void aMarkOfOtherMessagesAtItsOffsetsForgetsTheStreamInsteadOfShowingItsOwn() {
    Entry e = new Entry(null);
    run(e, false, 0, StreamOp.load("alice", "bob", 0, 0, 0, null));
    append(e, false, "alice", "a", 1000, "n1", 1);
    run(e, false, 1000, StreamOp.durable("alice", "bob", 1, 0, 0, written(1, "a")));
    assertEquals(1, e.getValue().get("alice", "bob").durableHead, "it agrees: marked");
    append(e, false, "alice", "b", 1000, "n2", 2); // 2, unwritten
    append(e, false, "alice", "c", 1000, "n3", 3); // 3, unwritten, another node's

    // another node's commit wrote "x" at 2
    OpResult r = run(e, false, 1100, StreamOp.durable("alice", "bob", 2, 0, 0,
        written(2, "x")));
    assertArrayEquals(new long[] {2}, r.runs);
    assertEquals(List.of(3L), offsets(r), "n3's unwritten message, for n1 to write");
    assertEquals(null, e.getValue().get("alice", "bob"), "forgotten, not marked");
    OpResult pull = run(e, false, 1100, StreamOp.pull("alice", "bob", 1, 10));
    assertEquals(OpResult.MISSING, pull.code, "read back from the database before a pull");
    run(e, false, 1200, StreamOp.load("alice", "bob", 2, 0, 0, null)); // the database's head
    StreamState s = e.getValue().get("alice", "bob");
    assertEquals(3, s.head, "no lower than the head it had: 3 is not given again");
    assertEquals(1, s.carriedCount(), "c carried; b is not at 2");
    assertEquals(4, append(e, false, "alice", "d", 2300, "n1", 4).offset, "past the id hold");

    // a mark of an offset above the head: the database holds a message this stream would
    // give that offset to
    run(e, false, 2400, StreamOp.durable("alice", "bob", 9, 0, 0, written(9, "y")));
    assertEquals(null, e.getValue().get("alice", "bob"));
  }

  /**
   * A pull of a stream read back after a forget names the offsets of its carried messages
   * below the window, and the database read stops at the first it does not hold: those
   * messages' commits may not have finished, and an answer past one would say it expired.
   */
  @Test
  void aPullNamesTheCarriedOffsetsTheDatabaseMayNotHoldYet() {
    Entry e = new Entry(null);
    run(e, false, 0, StreamOp.load("alice", "bob", 0, 0, 0, null));
    append(e, false, "alice", "a", 1000, "n1", 1);
    run(e, false, 1000, StreamOp.durable("alice", "bob", 1, 0, 0, written(1, "a")));
    append(e, false, "alice", "b", 1000, "n2", 2);
    append(e, false, "alice", "c", 1000, "n1", 3);
    run(e, false, 1100, StreamOp.forget("alice", "bob", new long[] {3})); // c lost 3
    run(e, false, 1200, StreamOp.load("alice", "bob", 1, 0, 0, null));
    append(e, false, "alice", "d", 2300, "n1", 4); // 4, in the window
    run(e, false, 2300, StreamOp.durable("alice", "bob", 4, 0, 0, written(4, "d")));
    OpResult pull = run(e, false, 2400, StreamOp.pull("alice", "bob", 0, 10));
    assertEquals(4, pull.head);
    assertArrayEquals(new long[] {2}, pull.runs, "b, carried; c is not at 3");
    assertEquals(null, run(e, false, 2400, StreamOp.pull("alice", "bob", 2, 10)).runs);

    MessageLog.Entry one = new MessageLog.Entry("alice", "bob", 1, "a", 1, 1, new byte[0]);
    MessageLog.Entry two = new MessageLog.Entry("alice", "bob", 2, "b", 1, 1, new byte[0]);
    assertEquals(2, StreamPipeline.firstMissing(new long[] {2}, List.of(one), 10));
    assertEquals(0, StreamPipeline.firstMissing(new long[] {2}, List.of(one, two), 10));
    assertEquals(0, StreamPipeline.firstMissing(new long[] {2}, List.of(one), 1),
        "read up to 1 only: 2 is for the next pull");
    assertEquals(0, StreamPipeline.firstMissing(null, List.of(), 10));
    assertEquals(5, StreamPipeline.firstMissing(new long[] {2, 5}, List.of(one, two), 10));
  }

  @Test
  void aMessageIdHashIsFixedAcrossRuns() {
    // FNV-1a 64 of "m1": a mark made by one JVM is checked by another
    assertEquals(0x08a98b07b5509b6bL, StreamState.idHash("m1"));
    assertFalse(StreamState.idHash("m1") == StreamState.idHash("m2"));
  }

  /**
   * A carried message left unwritten too long is handed to upkeep once (its node may have
   * died), and let go the id hold after: written by then.
   */
  @Test
  void aCarriedMessageLeftUnwrittenIsHandedBackOnceThenLetGo() {
    Entry e = new Entry(null);
    run(e, false, 0, StreamOp.load("alice", "bob", 0, 0, 0, null));
    assertEquals(1, append(e, false, "alice", "a", 1000, "n2", 1).offset);
    run(e, false, 1000, StreamOp.forget("alice", "bob", new long[0]));
    run(e, false, 1100, StreamOp.load("alice", "bob", 0, 0, 0, null));
    assertEquals(List.of(), offsets(run(e, false, 2000, StreamOp.maintain())));
    assertEquals(List.of(1L), offsets(run(e, false, 6100, StreamOp.maintain())),
        "stale (5 s): its node may have died");
    assertEquals(List.of(), offsets(run(e, false, 6200, StreamOp.maintain())), "once");
    assertFalse(e.getValue().get("alice", "bob").fullySaved(), "not forgotten while carried");
    Entry copy = new Entry(SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue())));
    assertEquals(1, copy.getValue().get("alice", "bob").carriedCount());
    run(copy, false, 7100, StreamOp.maintain());
    assertEquals(0, copy.getValue().get("alice", "bob").carriedCount());
    assertTrue(copy.getValue().get("alice", "bob").fullySaved());
  }

  private static StreamOp append(String id, long request, long heldAfter) {
    StreamOp op = StreamOp.append("alice", "bob", id, MessageType.SENDER_VALUE, id.getBytes(),
        request);
    op.heldAfter = heldAfter;
    return op;
  }

  /**
   * A client that gave up on a connection (no Welcome in time) connects again; if the first
   * session's register arrives after the second's, it must not replace it (the node would tell
   * the live session 409 "replaced"): a session opened later keeps the entry.
   */
  @Test
  void aSessionOpenedEarlierDoesNotReplaceOneOpenedLater() {
    String early = Directory.sessionPrefix("aaaa1111") + Long.toHexString(1_000) + ":u1";
    String late = Directory.sessionPrefix("bbbb2222") + Long.toHexString(11_000) + ":u2";
    String later = Directory.sessionPrefix("bbbb2222") + Long.toHexString(21_000) + ":u3";
    assertEquals(11_000, Directory.openedAt(late));
    assertEquals(0, Directory.openedAt("aaaa1111:s1"), "an id that does not say");
    assertTrue(Directory.openedAt(Directory.newSessionId("cccc3333", 31_000)) == 31_000);
    Entry e = new Entry(null);
    assertTrue(run(e, false, 12_000, StreamOp.register("bob", "phone", "node-2", late))
        .has(OpResult.ADVANCED));
    OpResult stale = run(e, false, 12_000, StreamOp.register("bob", "phone", "node-1", early));
    assertFalse(stale.has(OpResult.ADVANCED), "not put");
    assertEquals(List.of(late), stale.devices.stream().map(d -> d[3]).toList(),
        "answers the session that keeps the entry");
    assertEquals(List.of(late), run(e, false, 12_000, StreamOp.devices("bob")).devices.stream()
        .map(d -> d[3]).toList());
    OpResult next = run(e, false, 22_000, StreamOp.register("bob", "phone", "node-1", later));
    assertTrue(next.has(OpResult.ADVANCED), "a session opened later replaces");
    assertEquals(List.of(late), next.devices.stream().map(d -> d[3]).toList());
    assertTrue(run(e, false, 22_000, StreamOp.register("bob", "phone", "node-1", later))
        .has(OpResult.ADVANCED), "the same session again");
  }

  /**
   * Two members' cluster clocks may disagree by the way of the operation that set one from the
   * other: sessions of one device opened on two nodes less than {@link
   * Directory#CLOCK_MARGIN_MS} apart are not ordered by them (the register that comes last
   * keeps the entry, as a client connecting again expects); on one node, they are.
   */
  @Test
  void sessionsOnTwoNodesCloserThanTheClocksCanTellAreOrderedByTheirRegisters() {
    // opened after "first" in fact, but stamped 9 ms before it by a clock that lags
    String first = Directory.sessionPrefix("aaaa1111") + Long.toHexString(50_009) + ":u1";
    String second = Directory.sessionPrefix("bbbb2222") + Long.toHexString(50_000) + ":u2";
    Entry e = new Entry(null);
    assertTrue(run(e, false, 50_010, StreamOp.register("bob", "phone", "node-1", first))
        .has(OpResult.ADVANCED));
    OpResult replaced = run(e, false, 50_020, StreamOp.register("bob", "phone", "node-2",
        second));
    assertTrue(replaced.has(OpResult.ADVANCED), "the later register keeps the entry");
    assertEquals(List.of(first), replaced.devices.stream().map(d -> d[3]).toList(),
        "answers the session it replaced");
    // the same two times on one node: its clock orders them
    String sameNode = Directory.sessionPrefix("aaaa1111") + Long.toHexString(50_000) + ":u3";
    OpResult stale = run(e, false, 50_030, StreamOp.register("bob", "laptop", "node-1", first));
    assertTrue(stale.has(OpResult.ADVANCED));
    assertFalse(run(e, false, 50_040, StreamOp.register("bob", "laptop", "node-1", sameNode))
        .has(OpResult.ADVANCED), "on one node, a session opened earlier does not replace");
  }

  /**
   * {@code limits.devicesPerIdentity}: a new device of an eid already at the bound is refused
   * and changes nothing; a device already there registers again (a reconnection), other eids
   * are not counted, and a device that leaves makes room.
   */
  @Test
  void aNewDeviceBeyondTheBoundIsRefusedAndChangesNothing() {
    Entry e = new Entry(null);
    assertTrue(run(e, false, 1000, StreamOp.register("bob", "phone", "node-1", "r:s1", 2))
        .has(OpResult.ADVANCED));
    assertTrue(run(e, false, 1000, StreamOp.register("bob", "laptop", "node-2", "r:s2", 2))
        .has(OpResult.ADVANCED));
    OpResult third = run(e, false, 1000, StreamOp.register("bob", "tablet", "node-1", "r:s3", 2));
    assertEquals(OpResult.FULL, third.code);
    assertFalse(third.has(OpResult.ADVANCED));
    assertEquals(List.of("phone", "laptop"), run(e, false, 1000, StreamOp.devices("bob"))
        .devices.stream().map(d -> d[1]).toList(), "nothing changed");
    OpResult again = run(e, false, 1000, StreamOp.register("bob", "phone", "node-2", "r:s4", 2));
    assertTrue(again.has(OpResult.ADVANCED), "a device already there connects again");
    assertEquals(List.of("r:s1"), again.devices.stream().map(d -> d[3]).toList());
    assertTrue(run(e, false, 1000, StreamOp.register("carol", "phone", "node-1", "r:s5", 2))
        .has(OpResult.ADVANCED), "another eid of the same bucket has its own count");
    assertTrue(run(e, false, 1000, StreamOp.unregister("bob", "laptop", "r:s2"))
        .has(OpResult.ADVANCED), "the laptop leaves");
    assertTrue(run(e, false, 1000, StreamOp.register("bob", "tablet", "node-1", "r:s6", 2))
        .has(OpResult.ADVANCED), "room made by a device that left");
    assertTrue(run(e, false, 1000, StreamOp.register("bob", "watch", "node-1", "r:s7", 0))
        .has(OpResult.ADVANCED), "0: no bound");
  }

  @Test
  void aNodeThatLeftLosesTheDevicesOfItsRunOnlyNotThoseOfItsRestart() {
    Entry e = new Entry(null);
    run(e, false, 1000, StreamOp.register("bob", "phone", "node-2", "aaaa1111:s1"));
    run(e, false, 1000, StreamOp.register("bob", "laptop", "node-2", "bbbb2222:s2"));
    run(e, false, 1000, StreamOp.register("carol", "phone", "node-3", "aaaa1111:s3"));
    OpResult removed = run(e, false, 1000, StreamOp.removeNode("node-2", "aaaa1111", ""));
    assertEquals(1, removed.offset, "the devices of node-2's run that left");
    assertEquals(List.of("laptop"), run(e, false, 1000, StreamOp.devices("bob")).devices.stream()
        .map(d -> d[1]).toList(), "node-2 restarted with the same id keeps its device");
    assertEquals(1, run(e, false, 1000, StreamOp.devices("carol")).devices.size(),
        "another node's, whatever its session id");
    StreamBucket copy = SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue()));
    assertEquals(2, copy.devices.values().stream().mapToInt(java.util.Map::size).sum());
    // the owner's decision to keep them (asked by a member its cluster does not have, see
    // RemoveNodeTest) travels with the batch to its backups, which follow it
    StreamOp kept = StreamOp.removeNode("node-3", "aaaa1111", "a-member-apart");
    kept.max = StreamOp.KEEP;
    BucketBatch toBackup = SERIALIZATION.toObject(SERIALIZATION.toData(
        batch(false, 1000, "n1", kept)));
    assertEquals(0, toBackup.process(e).results.get(0).offset);
    assertEquals(1, run(e, false, 1000, StreamOp.devices("carol")).devices.size());
  }

  @Test
  void theBacklogAboveDeliveredIsBoundedNotTheHistory() {
    undeliveredLimit = 5;
    Entry e = new Entry(null);
    for (int i = 1; i <= 5; i++) {
      assertEquals(OpResult.STORED, append(e, true, "alice", "m" + i, 1000).code);
    }
    assertEquals(OpResult.FULL, append(e, true, "alice", "m6", 1000).code);
    run(e, true, 1000, StreamOp.ack("alice", "bob", 5, false));
    assertEquals(6, append(e, true, "alice", "m6", 1000).offset, "room again, no offset skipped");
    undeliveredLimit = 100;
  }

  @Test
  void acknowledgementsAreCumulativeAndBoundedByTheHead() {
    Entry e = new Entry(null);
    for (int i = 0; i < 5; i++) {
      append(e, true, "alice", "m" + i, 1000);
    }
    assertFalse(run(e, true, 1000, StreamOp.ack("alice", "bob", 6, false)).has(OpResult.ACCEPTED));
    OpResult three = run(e, true, 1000, StreamOp.ack("alice", "bob", 3, false));
    assertTrue(three.has(OpResult.ACCEPTED) && three.has(OpResult.ADVANCED));
    assertEquals(3, three.delivered);
    OpResult two = run(e, true, 1000, StreamOp.ack("alice", "bob", 2, true));
    assertEquals(3, two.delivered, "DELIVERED stays");
    assertEquals(2, two.read);
    assertFalse(run(e, true, 1000, StreamOp.ack("alice", "bob", 2, true)).has(OpResult.ADVANCED));
    assertFalse(run(e, true, 1000, StreamOp.ack("nobody", "bob", 1, false))
        .has(OpResult.ACCEPTED));
  }

  @Test
  void notificationsStayUnforwardedAfterTheyLeaveTheWindow() {
    Entry e = new Entry(null);
    int[] types = {1, 3, 3, 1, 3, 1};
    for (int i = 0; i < types.length; i++) {
      run(e, true, 1000 + i, StreamOp.append("alice", "bob", "m" + i, types[i], new byte[] {1},
          ++request));
    }
    run(e, true, 1000 + RETENTION + 10, StreamOp.maintain()); // every message expired
    assertEquals(0, e.getValue().get("alice", "bob").size());
    StreamBucket copy = SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue()));
    for (Entry on : new Entry[] {e, new Entry(copy)}) {
      assertFalse(run(on, true, 9, StreamOp.ack("alice", "bob", 2, false)).has(OpResult.FORWARD));
      assertTrue(run(on, true, 9, StreamOp.ack("alice", "bob", 4, false)).has(OpResult.FORWARD));
      assertFalse(run(on, true, 9, StreamOp.ack("alice", "bob", 5, true)).has(OpResult.FORWARD));
      assertTrue(run(on, true, 9, StreamOp.ack("alice", "bob", 6, true)).has(OpResult.FORWARD));
    }
  }

  @Test
  void withADatabaseAWindowKeepsWhatIsUnwrittenAndHandsItToTheNextWriter() {
    Entry e = new Entry(null);
    run(e, false, 1000, StreamOp.load("alice", "bob", 10, 10, 10, null)); // read back: head 10
    assertEquals(11, append(e, false, "alice", "a", 1000, "n1", 1).offset);
    OpResult second = append(e, false, "alice", "b", 1000, "n2", 1); // another node, same stream
    assertEquals(12, second.offset);
    assertEquals(List.of(11L), second.entries.stream().map(x -> x.offset()).toList(),
        "n1's unwritten 11 is written with n2's 12: nothing written has a hole below it");
    OpResult third = append(e, false, "alice", "c", 1000, "n2", 2);
    assertEquals(List.of(11L), third.entries.stream().map(x -> x.offset()).toList());
    // a pull sees only what is written (commit mode), then everything once written
    OpResult pulled = run(e, false, 1000, StreamOp.pull("alice", "bob", 10, 10));
    assertEquals(10, pulled.head);
    assertTrue(pulled.entries.isEmpty());
    run(e, false, 1100, StreamOp.durable("alice", "bob", 13, 10, 10));
    pulled = run(e, false, 1100, StreamOp.pull("alice", "bob", 10, 10));
    assertEquals(13, pulled.head);
    assertEquals(12, pulled.offset, "only the hot window (2) keeps its bodies: 12 and 13");
    assertEquals(List.of(12L, 13L), pulled.entries.stream().map(x -> x.offset()).toList());
    // ids stay held for idHoldMs after they are written: a retry whose database check missed
    // the first copy is sent back to check again, and is a duplicate once it has
    OpResult late = append(e, false, "alice", "a", 1500, "n1", 9);
    assertEquals(OpResult.RECHECK, late.code);
    assertEquals(11, late.offset, "ids held up to 11 (12 and 13 are in the window)");
    StreamOp checked = StreamOp.append("alice", "bob", "a", MessageType.SENDER_VALUE,
        new byte[] {1}, 9);
    checked.offset = 11; // what the database answers now
    checked.heldAfter = late.offset;
    OpResult dup = run(e, false, 1500, checked);
    assertEquals(OpResult.DUPLICATE, dup.code);
    assertEquals(11, dup.offset);
    StreamState s = e.getValue().get("alice", "bob");
    assertEquals(1, s.heldCount());
    run(e, false, 5000, StreamOp.maintain());
    assertEquals(2, s.size(), "after the hold only the hot window remains");
    assertEquals(0, s.heldCount());
    assertEquals(null, s.offsetOf("a"));
    assertEquals(14, append(e, false, "alice", "a2", 5000, "n1", 10).offset);
  }

  @Test
  void pastItsBoundABucketForgetsSavedStreamsOnceTheirIdsAreNoLongerNeeded() {
    Entry e = new Entry(null);
    for (int i = 1; i <= 6; i++) {
      run(e, false, 0, StreamOp.load("s" + i, "bob", 0, 0, 0, null));
      append(e, false, "s" + i, "m" + i, 1000 + i, "n1", i);
      run(e, false, 1000 + i, StreamOp.durable("s" + i, "bob", 1, 0, 0));
    }
    run(e, false, 0, StreamOp.load("x", "bob", 0, 0, 0, null));
    append(e, false, "x", "unwritten", 900, "n1", 99); // the oldest, but not written
    BucketBatch upkeep = batch(false, 1_500, "n1", StreamOp.maintain());
    upkeep.maxStreams = 3;
    upkeep.process(e);
    assertEquals(7, e.getValue().streamCount(), "written under idHoldMs (1 s) ago: ids needed");
    upkeep = batch(false, 1_005 + 1_000, "n1", StreamOp.maintain());
    upkeep.maxStreams = 3;
    OpResult r = upkeep.process(e).results.get(0);
    assertEquals(4, r.offset, "s1 … s4 forgotten, the least recently used first");
    assertEquals(3, e.getValue().streamCount());
    for (String kept : new String[] {"s5", "s6", "x"}) {
      assertTrue(e.getValue().get(kept, "bob") != null, kept);
    }
    // a forgotten stream is read back from the database when used again: its offsets go on
    assertEquals(OpResult.MISSING, append(e, false, "s1", "again", 3000, "n1", 100).code);
    run(e, false, 3000, StreamOp.load("s1", "bob", 1, 0, 0, null));
    assertEquals(2, append(e, false, "s1", "again", 3000, "n1", 100).offset);
  }

  private static List<Long> offsets(OpResult r) {
    return r.entries.stream().map(MessageLog.Entry::offset).toList();
  }

  @Test
  void aRetryOfAnUnwrittenMessageIsWrittenWithTheOtherNodesUnwrittenOnesBelowIt() {
    Entry e = new Entry(null);
    run(e, false, 0, StreamOp.load("alice", "bob", 10, 10, 10, null));
    for (int i = 1; i <= 3; i++) { // accepted by n1, which dies before writing them
      assertEquals(10 + i, append(e, false, "alice", "m" + i, 1000, "n1", i).offset);
    }
    // the client retries m3 through n2: its write is marked DURABLE up to 13, so it must hold
    // 11 and 12 too (written alone, 11 and 12 would be marked written and never be)
    OpResult retry = append(e, false, "alice", "m3", 1100, "n2", 50);
    assertEquals(OpResult.DUPLICATE, retry.code);
    assertEquals(13, retry.offset);
    assertEquals(List.of(11L, 12L, 13L), offsets(retry));
    // n2 appends m4, and Hazelcast applies that batch again (its owner died after applying
    // it; the promoted backup had applied it too): the same answer, unwritten ones included
    BucketBatch batch = batch(false, 1200, "n2", StreamOp.append("alice", "bob", "m4",
        MessageType.SENDER_VALUE, new byte[] {4}, 51));
    OpResult first = batch.process(e).results.get(0);
    OpResult again = batch.process(e).results.get(0);
    assertEquals(OpResult.STORED, again.code);
    assertEquals(14, again.offset);
    assertEquals(offsets(first), offsets(again));
    assertEquals(List.of(11L, 12L, 13L), offsets(again));
    // what n2 wrote itself goes with its own writes: a retry through n2 carries only n1's
    run(e, false, 1300, StreamOp.durable("alice", "bob", 12, 10, 10));
    OpResult m4 = append(e, false, "alice", "m4", 1300, "n2", 52);
    assertEquals(List.of(13L, 14L), offsets(m4), "13 (n1's) below, then 14 itself");
  }

  @Test
  void messagesLeftUnwrittenAreHandedBackWithEveryUnwrittenOneBelowThem() {
    Entry e = new Entry(null);
    run(e, false, 0, StreamOp.load("alice", "bob", 0, 0, 0, null));
    append(e, false, "alice", "a", 2000, "n1", 1); // n1's clock is ahead of n2's
    append(e, false, "alice", "b", 1500, "n2", 1);
    OpResult r = run(e, false, 6800, StreamOp.maintain()); // b is stale (5 s), a not yet
    assertEquals(List.of(1L, 2L), offsets(r), "the write of 2 is marked up to 2: 1 goes too");
  }

  /**
   * Owner and backup forget the same streams, also when the backup got its copy by migration
   * (maps of other capacities, which iterate in another order) and every stream was used by
   * the same batch: a backup without a stream its owner keeps would skip its appends.
   */
  @Test
  void ownerAndBackupForgetTheSameStreams() {
    Entry owner = new Entry(null);
    BucketBatch writes = batch(false, 1000, "n1");
    for (int i = 0; i < 40; i++) {
      writes.ops.add(StreamOp.load("s" + i, "bob", 0, 0, 0, null));
      writes.ops.add(StreamOp.append("s" + i, "bob", "m" + i,
          MessageType.SENDER_VALUE, new byte[] {1}, i));
      writes.ops.add(StreamOp.durable("s" + i, "bob", 1, 0, 0));
    }
    writes.process(owner);
    Entry backup = new Entry(SERIALIZATION.toObject(SERIALIZATION.toData(owner.getValue())));
    for (Entry e : List.of(owner, backup)) {
      BucketBatch upkeep = batch(false, 5_000, "n1", StreamOp.maintain());
      upkeep.maxStreams = 25;
      upkeep.process(e);
      assertEquals(25, e.getValue().streamCount());
    }
    for (int i = 0; i < 40; i++) {
      assertEquals(owner.getValue().get("s" + i, "bob") == null,
          backup.getValue().get("s" + i, "bob") == null, "s" + i);
    }
  }

  @Test
  void inCommitModeAnOffsetAssignedButNotWrittenCannotBeAcknowledged() {
    Entry e = new Entry(null);
    run(e, false, 1000, StreamOp.load("alice", "bob", 0, 0, 0, null));
    assertEquals(1, append(e, false, "alice", "a", 1000, "n1", 1).offset);
    OpResult early = run(e, false, 1000, StreamOp.ack("alice", "bob", 1, true));
    assertFalse(early.has(OpResult.ACCEPTED), "1 is not written: no client was shown it");
    assertEquals(0, early.head);
    run(e, false, 1100, StreamOp.durable("alice", "bob", 1, 0, 0));
    OpResult acked = run(e, false, 1100, StreamOp.ack("alice", "bob", 1, true));
    assertTrue(acked.has(OpResult.ACCEPTED));
    assertTrue(acked.has(OpResult.ADVANCED));
    assertEquals(1, acked.read);
  }

  /** Loads alice→bob and writes m1 … m{n}: with a hot window of 2, the rest are held ids. */
  private static StreamState writtenAndHeld(Entry e, int n, long now) {
    run(e, false, now, StreamOp.load("alice", "bob", 0, 0, 0, null));
    for (int i = 1; i <= n; i++) {
      append(e, false, "alice", "m" + i, now, "n1", 100 + i);
    }
    run(e, false, now, StreamOp.durable("alice", "bob", n, 0, 0));
    StreamState s = e.getValue().get("alice", "bob");
    assertEquals(n - 2, s.heldCount());
    return s;
  }

  @Test
  void anAppendSentBackForARecheckIsNotOvertakenByTheNextOneOfItsStream() {
    Entry e = new Entry(null);
    StreamState s = writtenAndHeld(e, 5, 1000);
    // a retry of m2 (its check ran before m2 was written), then a new message, in one batch
    BucketBatch b = batch(false, 1100, "n2",
        StreamOp.append("alice", "bob", "m2", MessageType.SENDER_VALUE, new byte[] {1}, 1),
        StreamOp.append("alice", "bob", "new", MessageType.SENDER_VALUE, new byte[] {1}, 2),
        StreamOp.append("carol", "bob", "m2", MessageType.SENDER_VALUE, new byte[] {1}, 3));
    run(e, false, 1100, StreamOp.load("carol", "bob", 0, 0, 0, null));
    List<OpResult> r = b.process(e).results;
    assertEquals(OpResult.RECHECK, r.get(0).code);
    assertEquals(3, r.get(0).offset);
    assertEquals(OpResult.RECHECK, r.get(1).code, "held back behind the retry");
    assertEquals(OpResult.STORED, r.get(2).code, "another stream goes on");
    assertEquals(5, s.head, "nothing appended to alice→bob");
    // both again, in order, after the database was asked: m2 is there at 2, "new" is not
    StreamOp retry = StreamOp.append("alice", "bob", "m2", MessageType.SENDER_VALUE,
        new byte[] {1}, 1);
    retry.offset = 2;
    retry.heldAfter = 3;
    StreamOp next = StreamOp.append("alice", "bob", "new", MessageType.SENDER_VALUE,
        new byte[] {1}, 2);
    r = batch(false, 1200, "n2", retry, next).process(e).results;
    assertEquals(OpResult.DUPLICATE, r.get(0).code);
    assertEquals(2, r.get(0).offset);
    assertEquals(OpResult.STORED, r.get(1).code);
    assertEquals(6, r.get(1).offset);
  }

  @Test
  void aHashThatOnlyLooksHeldIsStoredOnceTheDatabaseSaysNo() {
    Entry e = new Entry(null);
    StreamState s = writtenAndHeld(e, 5, 1000);
    // the held ids are only hashes: an id the database does not hold and that matched one
    // (as a colliding hash would) comes back with heldAfter and is stored
    StreamOp op = StreamOp.append("alice", "bob", "m1", MessageType.SENDER_VALUE, new byte[] {1},
        7);
    op.heldAfter = s.lastHeld();
    OpResult stored = run(e, false, 1100, op);
    assertEquals(OpResult.STORED, stored.code);
    assertEquals(6, stored.offset);
    // held ids above heldAfter still count
    assertEquals(3, s.heldMatch("m3", 2));
    assertEquals(0, s.heldMatch("m3", 3));
    assertEquals(0, s.heldMatch("nowhere", 0));
  }

  @Test
  void aHazelcastRetryOfAHeldAppendGetsItsFirstAnswer() {
    Entry e = new Entry(null);
    writtenAndHeld(e, 5, 1000);
    OpResult again = append(e, false, "alice", "m2", 1100, "n1", 102);
    assertEquals(OpResult.STORED, again.code);
    assertEquals(2, again.offset);
    assertEquals(OpResult.RECHECK, append(e, false, "alice", "m2", 1100, "n2", 102).code,
        "the same number from another node is another request");
  }

  @Test
  void heldIdsSurviveHazelcastSerialization() {
    Entry e = new Entry(null);
    StreamState s = writtenAndHeld(e, 40, 1000);
    StreamBucket copy = SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue()));
    StreamState c = copy.get("alice", "bob");
    assertEquals(s.heldCount(), c.heldCount());
    assertEquals(s.lastHeld(), c.lastHeld());
    for (int i = 1; i <= 38; i++) {
      assertEquals(i, c.heldMatch("m" + i, 0));
    }
    assertEquals(OpResult.STORED, run(new Entry(copy), false, 1100,
        StreamOp.append("alice", "bob", "m7", 1, new byte[] {1}, 107)).code,
        "n1's request 107 is recognised on the copy");
    run(new Entry(copy), false, 1000 + 1_000, StreamOp.maintain());
    assertEquals(0, c.heldCount(), "the hold (1 s here) is over");
  }

  @Test
  void upkeepOfABucketThatHoldsNothingLeavesItAbsent() {
    Entry e = new Entry(null);
    OpResult r = run(e, false, 1000, StreamOp.maintain());
    assertTrue(r.entries.isEmpty());
    assertEquals(null, e.getValue(), "no empty bucket stored");
    run(e, false, 1000, StreamOp.load("alice", "bob", 0, 0, 0, null));
    append(e, false, "alice", "a", 1000);
    run(e, false, 2000, StreamOp.maintain());
    assertTrue(e.getValue() != null && e.getValue().get("alice", "bob") != null);
  }

  @Test
  void messagesLeftUnwrittenTooLongAreHandedToTheOwnerAndIdleSavedStreamsForgotten() {
    Entry e = new Entry(null);
    run(e, false, 0, StreamOp.load("alice", "bob", 0, 0, 0, null));
    run(e, false, 0, StreamOp.load("carol", "bob", 3, 3, 3, null));
    append(e, false, "alice", "a", 1000, "dead-node", 1);
    OpResult early = run(e, false, 2000, StreamOp.maintain());
    assertTrue(early.entries.isEmpty(), "not stale yet");
    OpResult late = run(e, false, 7000, StreamOp.maintain());
    assertEquals(1, late.entries.size());
    assertEquals("alice", late.entries.get(0).from());
    OpResult idle = run(e, false, 70_000, StreamOp.maintain());
    assertEquals(1, idle.offset, "carol->bob, saved and idle, is forgotten; alice->bob is not");
    assertEquals(null, e.getValue().get("carol", "bob"));
  }

  @Test
  void aStreamReadBackEmptyIsForgottenOnceUnusedForAMoment() {
    Entry e = new Entry(null);
    // acknowledged and pulled by a client, but no such stream: read back with nothing in it
    for (int i = 0; i < 50; i++) {
      run(e, false, 1000, StreamOp.load("s" + i, "bob", 0, 0, 0, null));
      run(e, false, 1000, StreamOp.ack("s" + i, "bob", 5, false));
      run(e, false, 1000, StreamOp.pull("s" + i, "bob", 0, 10));
    }
    run(e, false, 1000, StreamOp.load("alice", "bob", 0, 0, 0, null));
    append(e, false, "alice", "a", 1000);
    run(e, false, 1000, StreamOp.load("carol", "bob", 0, 0, 0, null)); // about to be appended
    OpResult soon = run(e, false, 1000 + StreamOp.EMPTY_STREAM_MS, StreamOp.maintain());
    assertEquals(0, soon.offset, "not before a moment unused");
    run(e, false, 1500, StreamOp.load("dave", "bob", 0, 0, 0, null));
    OpResult later = run(e, false, 1001 + StreamOp.EMPTY_STREAM_MS, StreamOp.maintain());
    assertEquals(51, later.offset, "the 50 empty streams and carol's");
    assertEquals(2, e.getValue().streamCount(), "alice's, with a message, and dave's, new");
    assertTrue(e.getValue().get("alice", "bob") != null && e.getValue().get("dave", "bob") != null);
  }

  /** Appends a body of {@code size} bytes to {@code from → bob} and, if {@code write}, writes it. */
  private static void appendBody(Entry e, String from, int size, long now, boolean write,
      long request) {
    BucketBatch b = batch(false, now, "n1", StreamOp.append(from, "bob", from + "-" + request,
        MessageType.SENDER_VALUE, new byte[size], request));
    b.hotBytes = 1_000;
    OpResult r = b.process(e).results.get(0);
    assertEquals(OpResult.STORED, r.code);
    if (write) {
      BucketBatch d = batch(false, now, "n1", StreamOp.durable(from, "bob", r.offset, 0, 0));
      d.hotBytes = 1_000;
      d.process(e);
    }
  }

  private static long counted(StreamBucket bucket) {
    long kept = bucket.bodyBytes;
    bucket.recountBodies();
    assertEquals(bucket.bodyBytes, kept, "the running count matches the bodies held");
    return kept;
  }

  @Test
  void aBucketKeepsAtMostItsHotBytesOfWrittenBodiesTheLeastRecentlyUsedGoFirst() {
    Entry e = new Entry(null);
    for (int i = 1; i <= 10; i++) {
      run(e, false, 0, StreamOp.load("s" + i, "bob", 0, 0, 0, null));
    }
    for (int i = 1; i <= 10; i++) {
      appendBody(e, "s" + i, 300, 1000 + i, true, i);
      assertTrue(counted(e.getValue()) <= 1_000, "after s" + i + ": " + e.getValue().bodyBytes);
    }
    // 4 bodies made 1,200 > 1,000: trimmed to 750 by dropping s1, s2; then s3, s4 at s7; ...
    OpResult oldest = run(e, false, 2000, StreamOp.pull("s1", "bob", 0, 10));
    assertEquals(1, oldest.head);
    assertEquals(2, oldest.offset, "s1's body is no longer in memory: read from the database");
    assertTrue(oldest.entries.isEmpty());
    OpResult newest = run(e, false, 2000, StreamOp.pull("s10", "bob", 0, 10));
    assertEquals(1, newest.offset, "s10, used last, keeps its body");
    assertEquals(300, newest.entries.get(0).body().length);
    // what is not written yet stays, whatever the bound: it is the only copy
    run(e, false, 3000, StreamOp.load("x", "bob", 0, 0, 0, null));
    for (int i = 1; i <= 5; i++) {
      appendBody(e, "x", 300, 3000 + i, false, 100 + i);
    }
    assertTrue(counted(e.getValue()) >= 1_500);
    BucketBatch other = batch(false, 3100, "n2", StreamOp.append("x", "bob", "x-n2",
        MessageType.SENDER_VALUE, new byte[1], 1));
    List<MessageLog.Entry> unwritten = other.process(e).results.get(0).entries;
    assertEquals(5, unwritten.size(), "n1's five unwritten messages go with n2's");
    unwritten.forEach(x -> assertEquals(300, x.body().length));
    StreamBucket copy = SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue()));
    assertEquals(e.getValue().bodyBytes, copy.bodyBytes, "counted again on a backup's copy");
    run(e, false, 4000, StreamOp.maintain());
    counted(e.getValue());
  }

  @Test
  void bucketsBatchesAndResultsSurviveHazelcastSerialization() {
    Entry e = new Entry(null);
    for (int i = 1; i <= 20; i++) {
      append(e, true, i % 2 == 0 ? "alice" : "carol", "m" + i, i * 1000L);
      if (i % 2 == 0) {
        run(e, true, i * 1000L, StreamOp.ack("alice", "bob", i / 2, false));
      }
    }
    StreamBucket copy = SERIALIZATION.toObject(SERIALIZATION.toData(e.getValue()));
    for (String from : new String[] {"alice", "carol"}) {
      StreamState a = e.getValue().get(from, "bob");
      StreamState b = copy.get(from, "bob");
      assertEquals(a.head, b.head);
      assertEquals(a.delivered, b.delivered);
      assertEquals(a.size(), b.size());
      for (long o = a.firstKept(); o <= a.head; o++) {
        assertArrayEquals(a.at(o).body, b.at(o).body);
        assertEquals(o, b.offsetOf(a.at(o).messageId));
      }
    }
    // a batch round-trips and behaves the same on the copy (as on a backup)
    BucketBatch sent = batch(true, 30_000, "n1", StreamOp.append("alice", "bob", "new", 1,
        new byte[] {1, 2}, 99));
    BucketBatch received = SERIALIZATION.toObject(SERIALIZATION.toData(sent));
    BucketBatch.Results onOwner = sent.process(e);
    BucketBatch.Results onBackup = received.process(new Entry(copy));
    assertEquals(onOwner.results.get(0).offset, onBackup.results.get(0).offset);
    BucketBatch.Results back = SERIALIZATION.toObject(SERIALIZATION.toData(onOwner));
    assertEquals(11, back.results.get(0).offset);
    assertEquals(OpResult.STORED, back.results.get(0).code);
  }
}

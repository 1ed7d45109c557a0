package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import io.phoenix.protocol.v1.MessageType;
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
    // ids stay for idHoldMs after they are written: a late retry is still a duplicate
    assertEquals(OpResult.DUPLICATE, append(e, false, "alice", "a", 1500, "n1", 9).code);
    run(e, false, 5000, StreamOp.maintain());
    StreamState s = e.getValue().get("alice", "bob");
    assertEquals(2, s.size(), "after the hold only the hot window remains");
    assertEquals(null, s.offsetOf("a"));
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

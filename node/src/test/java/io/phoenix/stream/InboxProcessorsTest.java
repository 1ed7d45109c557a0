package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The entry processors on an inbox, run directly (as the partition thread would), and the
 * Hazelcast serialization of values and processors (what crosses to backups and other members).
 */
class InboxProcessorsTest {
  private static final long RETENTION = 60_000;

  /** A mutable map entry, like the one Hazelcast hands a processor. */
  private static final class Entry extends AbstractMap.SimpleEntry<String, Inbox> {
    Entry(Inbox value) {
      super("bob", value);
    }
  }

  private static long[] append(Entry e, String from, String id, long now, int maxKept) {
    return new InboxProcessors.Append(from, id, 1, id.getBytes(StandardCharsets.UTF_8), now,
        RETENTION, maxKept).process(e);
  }

  @Test
  void offsetsAreGaplessPerStreamAndDuplicatesKeepTheirOffset() {
    Entry e = new Entry(null);
    assertArrayEquals(new long[] {InboxProcessors.STORED, 1, 0}, append(e, "alice", "a", 1000, 10));
    assertArrayEquals(new long[] {InboxProcessors.STORED, 2, 0}, append(e, "alice", "b", 1000, 10));
    assertArrayEquals(new long[] {InboxProcessors.STORED, 1, 0}, append(e, "carol", "a", 1000, 10));
    assertArrayEquals(new long[] {InboxProcessors.DUPLICATE, 1, 0}, append(e, "alice", "a", 1000, 10));
    assertArrayEquals(new long[] {InboxProcessors.STORED, 3, 0}, append(e, "alice", "c", 1000, 10));
  }

  @Test
  void aFullStreamRefusesWithoutConsumingAnOffset() {
    Entry e = new Entry(null);
    append(e, "alice", "a", 1000, 2);
    append(e, "alice", "b", 1000, 2);
    assertEquals(InboxProcessors.FULL, append(e, "alice", "c", 1000, 2)[0]);
    // once the old ones expire there is room again, and the offset continues
    long later = 1000 + RETENTION + 1;
    assertArrayEquals(new long[] {InboxProcessors.STORED, 3, 0}, append(e, "alice", "c", later, 2));
  }

  @Test
  void acknowledgementsAreCumulativeAndBoundedByTheHead() {
    Entry e = new Entry(null);
    for (int i = 0; i < 5; i++) {
      append(e, "alice", "m" + i, 1000, 100);
    }
    long[] beyond = new InboxProcessors.Ack("alice", 6, false).process(e);
    assertEquals(0, beyond[0]);
    long[] three = new InboxProcessors.Ack("alice", 3, false).process(e);
    assertArrayEquals(new long[] {1, 3, 0, 5, 1, 1}, three);
    long[] two = new InboxProcessors.Ack("alice", 2, true).process(e);
    assertArrayEquals(new long[] {1, 3, 2, 5, 1, 1}, two); // READ moved, DELIVERED stayed
    long[] again = new InboxProcessors.Ack("alice", 2, true).process(e);
    assertEquals(0, again[4]); // nothing advanced
    assertEquals(0, new InboxProcessors.Ack("nobody", 1, false).process(e)[0]);
  }

  @Test
  void notificationsStayUnforwardedAfterTheyAreTrimmed() {
    Entry e = new Entry(null);
    int[] types = {1, 3, 3, 1, 3, 1};
    for (int i = 0; i < types.length; i++) {
      new InboxProcessors.Append("alice", "m" + i, types[i], new byte[] {1}, 1000 + i, RETENTION,
          100).process(e);
    }
    new InboxProcessors.Trim(1000 + types.length).process(e); // every message trimmed
    Inbox copy = new DefaultSerializationServiceBuilder()
        .addDataSerializableFactory(StreamSerialization.FACTORY_ID, new StreamSerialization())
        .build().toObject(new DefaultSerializationServiceBuilder()
            .addDataSerializableFactory(StreamSerialization.FACTORY_ID, new StreamSerialization())
            .build().toData(e.getValue()));
    for (Entry on : new Entry[] {e, new Entry(copy)}) {
      // {accepted, delivered, read, head, advanced, forwardToSender}
      assertEquals(0, new InboxProcessors.Ack("alice", 2, false).process(on)[5], "RECEIVER 2");
      assertEquals(1, new InboxProcessors.Ack("alice", 4, false).process(on)[5], "SENDER 4");
      assertEquals(0, new InboxProcessors.Ack("alice", 5, true).process(on)[5], "RECEIVER 5");
      assertEquals(1, new InboxProcessors.Ack("alice", 6, true).process(on)[5], "SENDER 6");
    }
  }

  @Test
  void pullReturnsBatchesAndSkipsTrimmedOffsets() {
    Entry e = new Entry(null);
    for (int i = 1; i <= 7; i++) {
      append(e, "alice", "m" + i, i * 1000L, 100);
    }
    InboxProcessors.PullBatch first = new InboxProcessors.Pull("alice", 0, 3, 0).process(e);
    assertEquals(3, first.offsets.size());
    assertEquals(1L, first.offsets.get(0));
    assertTrue(first.more);
    assertEquals(7, first.head);
    InboxProcessors.PullBatch last = new InboxProcessors.Pull("alice", 6, 3, 0).process(e);
    assertEquals(1, last.offsets.size());
    assertFalse(last.more);
    // trim messages accepted before t=4000: offsets 1..3 go, 4 is the oldest kept
    long dropped = new InboxProcessors.Trim(4000).process(e);
    assertEquals(3, dropped);
    InboxProcessors.PullBatch below = new InboxProcessors.Pull("alice", 0, 2, 0).process(e);
    assertEquals(4L, below.offsets.get(0));
    assertEquals(7, below.head);
    // a new message after trimming continues the offsets
    assertEquals(8, append(e, "alice", "m8", 8000, 100)[1]);
    // an expired but not yet trimmed message is never returned
    InboxProcessors.PullBatch fresh = new InboxProcessors.Pull("alice", 0, 10, 6000).process(e);
    assertEquals(6L, fresh.offsets.get(0));
  }

  @Test
  void positionsListOnlyStreamsWithUnacknowledgedMessages() {
    Entry e = new Entry(null);
    append(e, "alice", "a", 1000, 10);
    append(e, "carol", "c", 1000, 10);
    new InboxProcessors.Ack("carol", 1, false).process(e);
    InboxProcessors.PositionList list = new InboxProcessors.Positions().process(e);
    assertEquals(java.util.List.of("alice"), list.from);
    assertArrayEquals(new long[] {1, 0, 0}, list.positions.get(0));
  }

  @Test
  void valuesAndProcessorsSurviveHazelcastSerialization() {
    InternalSerializationService ss = new DefaultSerializationServiceBuilder()
        .addDataSerializableFactory(StreamSerialization.FACTORY_ID, new StreamSerialization())
        .build();
    Entry e = new Entry(null);
    for (int i = 1; i <= 20; i++) {
      append(e, i % 2 == 0 ? "alice" : "carol", "m" + i, i * 1000L, 100);
    }
    new InboxProcessors.Trim(5000).process(e); // leave a ring that does not start at slot 0
    new InboxProcessors.Ack("alice", 8, true).process(e);
    Data data = ss.toData(e.getValue());
    Inbox copy = ss.toObject(data);
    for (String from : new String[] {"alice", "carol"}) {
      StreamState a = e.getValue().streams.get(from);
      StreamState b = copy.streams.get(from);
      assertEquals(a.head, b.head);
      assertEquals(a.delivered, b.delivered);
      assertEquals(a.read, b.read);
      assertEquals(a.size(), b.size());
      assertEquals(a.firstKeptOffset(), b.firstKeptOffset());
      for (long o = a.firstKeptOffset(); o <= a.head; o++) {
        assertArrayEquals(a.at(o).message(), b.at(o).message());
        assertEquals(a.at(o).messageId(), b.at(o).messageId());
        assertEquals(o, b.offsetOf(a.at(o).messageId()));
      }
    }
    // a processor round-trips and behaves the same on the copy (as on a backup)
    InboxProcessors.Append p = ss.toObject(ss.toData(new InboxProcessors.Append("alice", "new", 1,
        new byte[] {1, 2}, 30_000, RETENTION, 100)));
    Entry onCopy = new Entry(copy);
    assertArrayEquals(new long[] {InboxProcessors.STORED, 11, 8}, p.process(onCopy)); // alice had 10
    assertNull(new Entry(null).getValue());
    Map<String, StreamState> streams = copy.streams;
    assertEquals(2, streams.size());
  }
}

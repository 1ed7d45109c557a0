package io.phoenix.stream.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.phoenix.stream.log.MessageLog.Entry;
import io.phoenix.stream.log.MessageLog.IdKey;
import io.phoenix.stream.log.MessageLog.StreamRow;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link MessageLog}, written once and run against every engine (RocksDB,
 * PostgreSQL) by a subclass that says how to open a fresh database and reopen it.
 */
abstract class MessageLogContract {
  MessageLog log;

  /** A fresh, empty database. */
  abstract MessageLog create() throws Exception;

  /** The same database again, after {@link MessageLog#close()}. */
  abstract MessageLog reopen() throws Exception;

  @BeforeEach
  void open() throws Exception {
    log = create();
  }

  @AfterEach
  void close() {
    log.close();
  }

  static Entry entry(String from, String to, long offset, long at) {
    return new Entry(from, to, offset, "id-" + offset, 1, at,
        ("body " + from + "->" + to + " #" + offset).getBytes(StandardCharsets.UTF_8));
  }

  static List<Entry> entries(String from, String to, long first, long last, long at) {
    List<Entry> out = new ArrayList<>();
    for (long o = first; o <= last; o++) {
      out.add(entry(from, to, o, at));
    }
    return out;
  }

  static StreamRow row(String from, String to, long head, long delivered, long read) {
    return new StreamRow(from, to, head, delivered, read, null);
  }

  @Test
  void whatIsCommittedIsReadBackInOffsetOrderAndSurvivesAReopen() throws Exception {
    String epoch = log.epoch();
    log.commit(entries("alice", "bob", 1, 5, 1000), List.of(row("alice", "bob", 5, 0, 0)));
    log.commit(entries("carol", "bob", 1, 2, 1000), List.of(row("carol", "bob", 2, 0, 0)));
    log.close();
    log = reopen();
    assertEquals(epoch, log.epoch(), "the epoch is the database's, kept in it");
    List<Entry> read = log.read("alice", "bob", 0, Long.MAX_VALUE, 100, 0);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), read.stream().map(Entry::offset).toList());
    for (Entry e : read) {
      Entry expected = entry("alice", "bob", e.offset(), 1000);
      assertArrayEquals(expected.body(), e.body());
      assertEquals(expected.messageId(), e.messageId());
      assertEquals(1000, e.acceptedAt());
      assertEquals(1, e.type());
    }
    assertEquals(List.of(3L, 4L), log.read("alice", "bob", 2, 5, 100, 0).stream()
        .map(Entry::offset).toList(), "after 2, before 5");
    assertEquals(List.of(1L, 2L), log.read("alice", "bob", 0, Long.MAX_VALUE, 2, 0).stream()
        .map(Entry::offset).toList(), "at most max");
    assertEquals(2, log.stream("carol", "bob").head());
    assertNull(log.stream("nobody", "bob"));
    assertEquals(List.of(), log.read("bob", "alice", 0, Long.MAX_VALUE, 10, 0));
  }

  @Test
  void writingAnOffsetAgainKeepsOneCopyAndRowsOnlyMoveForward() throws Exception {
    log.commit(entries("alice", "bob", 1, 3, 1000), List.of(row("alice", "bob", 3, 2, 1)));
    log.commit(List.of(entry("alice", "bob", 2, 1000)), List.of(row("alice", "bob", 1, 1, 0)));
    List<Entry> read = log.read("alice", "bob", 0, Long.MAX_VALUE, 10, 0);
    assertEquals(List.of(1L, 2L, 3L), read.stream().map(Entry::offset).toList());
    assertArrayEquals(entry("alice", "bob", 2, 1000).body(), read.get(1).body());
    StreamRow r = log.stream("alice", "bob");
    assertEquals(3, r.head());
    assertEquals(2, r.delivered());
    assertEquals(1, r.read());
    log.commit(List.of(), List.of(new StreamRow("alice", "bob", 0, 3, 3, new long[] {7, 9})));
    r = log.stream("alice", "bob");
    assertEquals(3, r.head(), "0 leaves the head as it is");
    assertEquals(3, r.delivered());
    assertArrayEquals(new long[] {7, 9}, r.runs());
    log.commit(List.of(), List.of(row("alice", "bob", 0, 3, 3)));
    assertArrayEquals(new long[] {7, 9}, log.stream("alice", "bob").runs(),
        "runs not given: left as stored");
  }

  @Test
  void anOffsetHoldingAnotherMessageIsNotWrittenAndTheEntryIsReturned() throws Exception {
    assertEquals(List.of(), log.commit(entries("alice", "bob", 1, 2, 1000),
        List.of(row("alice", "bob", 2, 0, 0))));
    Entry other = new Entry("alice", "bob", 2, "other", 1, 2000, new byte[] {7});
    Entry again = entry("alice", "bob", 1, 1000); // the same message again: no conflict
    Entry third = entry("alice", "bob", 3, 2000);
    Entry carol = entry("carol", "bob", 1, 2000);
    Entry twice = new Entry("carol", "bob", 1, "twice", 1, 2000, new byte[] {8});
    assertEquals(List.of(other, twice), log.commit(List.of(again, other, third, carol, twice),
        List.of(row("alice", "bob", 3, 0, 0), row("carol", "bob", 1, 0, 0))),
        "the entry whose offset holds another message, and the second of one offset");
    List<Entry> read = log.read("alice", "bob", 0, Long.MAX_VALUE, 10, 0);
    assertEquals(List.of("id-1", "id-2", "id-3"), read.stream().map(Entry::messageId).toList(),
        "the first message written at an offset keeps it; the rest of the commit is written");
    assertArrayEquals(entry("alice", "bob", 2, 1000).body(), read.get(1).body());
    assertEquals(3, log.stream("alice", "bob").head());
    assertEquals(List.of("id-1"), log.read("carol", "bob", 0, Long.MAX_VALUE, 10, 0).stream()
        .map(Entry::messageId).toList());
    assertArrayEquals(new long[] {2, 0, 1},
        log.offsetsOf(List.of(new IdKey("alice", "bob", "id-2"),
            new IdKey("alice", "bob", "other"), new IdKey("carol", "bob", "id-1"))),
        "no id of an entry not written is found");
  }

  @Test
  void severalRowsOfOneStreamInOneCommitRaiseEachPosition() throws Exception {
    log.commit(entries("alice", "bob", 1, 5, 1000), List.of(row("alice", "bob", 5, 0, 0),
        row("alice", "bob", 0, 3, 2), row("alice", "bob", 4, 1, 0)));
    StreamRow r = log.stream("alice", "bob");
    assertEquals(5, r.head());
    assertEquals(3, r.delivered());
    assertEquals(2, r.read());
  }

  @Test
  void idsAreFoundWhereStored() throws Exception {
    log.commit(entries("alice", "bob", 1, 3, 1000), List.of(row("alice", "bob", 3, 0, 0)));
    long[] found = log.offsetsOf(List.of(new IdKey("alice", "bob", "id-2"),
        new IdKey("alice", "bob", "id-9"), new IdKey("carol", "bob", "id-2"),
        new IdKey("alice", "bob", "id-3"), new IdKey("alice", "bob", "id-2")));
    assertArrayEquals(new long[] {2, 0, 0, 3, 2}, found);
    long[] many = log.offsetsOf(java.util.stream.LongStream.rangeClosed(1, 250)
        .mapToObj(i -> new IdKey("alice", "bob", "id-" + i)).toList());
    assertEquals(3, java.util.Arrays.stream(many).filter(x -> x > 0).count());
  }

  @Test
  void theBacklogListsStreamsWithUndeliveredMessages() throws Exception {
    log.commit(List.of(), List.of(row("alice", "bob", 5, 5, 5), row("carol", "bob", 4, 1, 0),
        row("dave", "bob", 2, 0, 0), row("alice", "bobby", 9, 0, 0)));
    assertEquals(List.of("carol", "dave"), log.backlogInto("bob").stream()
        .map(StreamRow::from).sorted().toList());
    assertEquals(List.of(), log.backlogInto("nobody"));
  }

  @Test
  void expiredMessagesAreDeletedWithTheirIds() throws Exception {
    List<Entry> all = new ArrayList<>(entries("alice", "bob", 1, 3, 1000));
    all.addAll(entries("alice", "bob", 4, 6, 5000));
    all.addAll(entries("carol", "dave", 1, 2, 1000));
    log.commit(all, List.of(row("alice", "bob", 6, 0, 0), row("carol", "dave", 2, 0, 0)));
    int deleted = 0;
    for (int n; (n = log.trimExpired(2000, 2)) > 0; ) {
      deleted += n;
    }
    assertEquals(5, deleted);
    assertEquals(List.of(4L, 5L, 6L), log.read("alice", "bob", 0, Long.MAX_VALUE, 10, 0)
        .stream().map(Entry::offset).toList());
    assertArrayEquals(new long[] {0, 5}, log.offsetsOf(List.of(new IdKey("alice", "bob", "id-2"),
        new IdKey("alice", "bob", "id-5"))));
    assertEquals(6, log.stream("alice", "bob").head(), "heads are never trimmed");
    assertEquals(List.of(5L), log.read("alice", "bob", 0, Long.MAX_VALUE, 10, 4000).stream()
        .filter(e -> e.offset() == 5).map(Entry::offset).toList());
  }

  @Test
  void commitsFromSeveralThreadsAllLand() throws Exception {
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      String from = "w" + w;
      writers.add(CompletableFuture.runAsync(() -> {
        try {
          for (long o = 1; o <= 50; o += 10) {
            log.commit(entries(from, "bob", o, o + 9, 1000),
                List.of(row(from, "bob", o + 9, 0, 0)));
          }
        } catch (LogException e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (CompletableFuture<Void> w : writers) {
      w.get(60, TimeUnit.SECONDS);
    }
    for (int w = 0; w < 4; w++) {
      assertEquals(50, log.read("w" + w, "bob", 0, Long.MAX_VALUE, 100, 0).size());
      assertEquals(50, log.stream("w" + w, "bob").head());
    }
  }

  @Test
  void eachStreamVisitsEveryRowOnceWithItsPositions() throws Exception {
    java.util.Set<String> expected = new java.util.HashSet<>();
    List<StreamRow> rows = new ArrayList<>();
    for (int i = 0; i < 2_345; i++) { // past a page of rows; eids of several lengths and scripts
      String from = "s" + i + (i % 7 == 0 ? "-\u00e9\u4e16" : "");
      String to = "r" + (i % 13) + (i % 5 == 0 ? "-\u00fc" : "");
      rows.add(new StreamRow(from, to, i + 1, i / 2, i / 3, i % 11 == 0 ? new long[] {i + 3L,
          i + 4L} : null));
      expected.add(from + "|" + to + "|" + (i + 1) + "|" + (i / 2) + "|" + (i / 3) + "|"
          + (i % 11 == 0 ? (i + 3) + "," + (i + 4) : ""));
    }
    log.commit(List.of(), rows);
    List<String> seen = new ArrayList<>();
    log.eachStream(r -> seen.add(r.from() + "|" + r.to() + "|" + r.head() + "|" + r.delivered()
        + "|" + r.read() + "|" + (r.runs() == null || r.runs().length == 0 ? ""
        : r.runs()[0] + "," + r.runs()[1])));
    assertEquals(expected.size(), seen.size(), "each row once");
    assertEquals(expected, new java.util.HashSet<>(seen));
  }

  @Test
  void anEmptyStoreTakesAnEpochAndOneWithStreamsKeepsItsOwn() throws Exception {
    org.junit.jupiter.api.Assertions.assertTrue(log.isEmpty());
    log.adoptEpoch("copied-epoch");
    assertEquals("copied-epoch", log.epoch());
    log.commit(entries("alice", "bob", 1, 1, 1000), List.of());
    org.junit.jupiter.api.Assertions.assertFalse(log.isEmpty(), "a message without its row");
    org.junit.jupiter.api.Assertions.assertThrows(LogException.class,
        () -> log.adoptEpoch("another"));
    log.close();
    log = reopen();
    assertEquals("copied-epoch", log.epoch(), "kept in the database");
  }
}

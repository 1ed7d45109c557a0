package io.phoenix.stream.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.stream.log.MessageLog.Entry;
import io.phoenix.stream.log.MessageLog.StreamRow;
import io.phoenix.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StoreCopy} from an embedded RocksDB into a real PostgreSQL and back: every message at
 * its offset byte for byte, every row with its positions and runs, the epoch; a stream longer than
 * a batch and more streams than a batch of rows; an interrupted copy completed by a second
 * run; another store's streams refused, and an offset holding another message stopping it.
 */
class StoreCopyTest {
  @TempDir
  Path dir;

  /** 1,200 streams into 3 recipients, the first with 2,500 messages, the others with a few. */
  private static void fill(MessageLog log) throws LogException {
    List<Entry> entries = new ArrayList<>();
    for (long o = 1; o <= 2_500; o++) {
      entries.add(entry("alice", "bob", o));
    }
    log.commit(entries, List.of(new StreamRow("alice", "bob", 2_500, 2_000, 1_500,
        new long[] {1_502, 1_510})));
    for (int s = 0; s < 1_200; s++) {
      String from = "sender-" + s;
      String to = "r" + (s % 3) + (s % 2 == 0 ? "-\u00e9" : "");
      int n = s % 4; // some streams hold no message any more (expired), their head stays
      List<Entry> some = new ArrayList<>();
      for (long o = 1; o <= n; o++) {
        some.add(entry(from, to, o));
      }
      log.commit(some, List.of(new StreamRow(from, to, n + 2, n, 0, null)));
    }
  }

  private static Entry entry(String from, String to, long offset) {
    return new Entry(from, to, offset, from + "-" + offset, (int) (offset % 3) + 1,
        1_000_000 + offset, (from + "->" + to + " #" + offset).getBytes(StandardCharsets.UTF_8));
  }

  /** Every stream of a store: its row and its messages, as text to compare. */
  private static Map<String, String> contents(MessageLog log) throws LogException {
    Map<String, String> out = new TreeMap<>();
    log.eachStream(r -> {
      StringBuilder b = new StringBuilder().append(r.head()).append('/').append(r.delivered())
          .append('/').append(r.read()).append('/').append(r.runs() == null ? ""
              : java.util.Arrays.toString(r.runs()));
      long after = 0;
      while (true) {
        List<Entry> page = log.read(r.from(), r.to(), after, Long.MAX_VALUE, 700, 0);
        if (page.isEmpty()) {
          break;
        }
        for (Entry e : page) {
          b.append(' ').append(e.offset()).append(':').append(e.messageId()).append(':')
              .append(e.type()).append(':').append(e.acceptedAt()).append(':')
              .append(new String(e.body(), StandardCharsets.UTF_8));
        }
        after = page.get(page.size() - 1).offset();
      }
      out.put(r.from() + "->" + r.to(), b.toString());
    });
    return out;
  }

  /** The same streams with the same contents; a failure names the first stream that differs. */
  private static void assertSame(Map<String, String> expected, Map<String, String> copy) {
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertEquals(e.getValue(), copy.get(e.getKey()), "stream " + e.getKey());
    }
    assertEquals(expected.size(), copy.size(), "no other stream");
  }

  private static MessageLog postgres(String url) throws LogException {
    return PostgresMessageLog.open(url, TestPostgres.USER, TestPostgres.PASSWORD, 4);
  }

  @Test
  void everyStreamIsCopiedWithItsMessagesPositionsAndTheEpoch() throws Exception {
    String url = TestPostgres.newDatabase();
    try (MessageLog from = RocksDbMessageLog.open(dir.resolve("db"));
         MessageLog to = postgres(url)) {
      fill(from);
      List<long[]> progress = new ArrayList<>();
      StoreCopy.Copied copied = StoreCopy.copy(from, to,
          (streams, messages) -> progress.add(new long[] {streams, messages}));
      assertEquals(1_201, copied.streams());
      assertEquals(2_500 + 1_800, copied.messages());
      assertFalse(copied.resumed());
      assertTrue(progress.size() > 3, "several commits");
      assertEquals(from.epoch(), to.epoch());
      Map<String, String> original = contents(from);
      assertEquals(1_201, original.size());
      assertSame(original, contents(to));
      assertArrayEquals(new long[] {1_502, 1_510}, to.stream("alice", "bob").runs());
      assertEquals(3, to.offsetsOf(List.of(new MessageLog.IdKey("alice", "bob",
          "alice-3")))[0], "a late retry of an old id is found");
    }
    try (MessageLog reopened = postgres(url);
         MessageLog back = RocksDbMessageLog.open(dir.resolve("back"));
         MessageLog original = RocksDbMessageLog.open(dir.resolve("db"))) {
      assertEquals(2_500, reopened.stream("alice", "bob").head());
      // and back from PostgreSQL into an embedded database: the same again
      StoreCopy.Copied back2 = StoreCopy.copy(reopened, back, (streams, messages) -> { });
      assertEquals(1_201, back2.streams());
      assertEquals(original.epoch(), back.epoch());
      assertSame(contents(original), contents(back));
    }
  }

  @Test
  void anInterruptedCopyIsCompletedAndAnotherStoreIsRefused() throws Exception {
    String url = TestPostgres.newDatabase();
    try (MessageLog from = RocksDbMessageLog.open(dir.resolve("db"));
         MessageLog to = postgres(url)) {
      fill(from);
      // the first copy stopped after its first commits
      int[] commits = {0};
      assertThrows(IllegalStateException.class, () -> StoreCopy.copy(from, to, (s, m) -> {
        if (++commits[0] == 2) {
          throw new IllegalStateException("stopped");
        }
      }));
      assertFalse(to.isEmpty());
      StoreCopy.Copied again = StoreCopy.copy(from, to, (s, m) -> { });
      assertTrue(again.resumed());
      assertSame(contents(from), contents(to));

      try (MessageLog other = RocksDbMessageLog.open(dir.resolve("other"))) {
        other.commit(List.of(entry("erin", "bob", 1)),
            List.of(new StreamRow("erin", "bob", 1, 0, 0, null)));
        LogException refused = assertThrows(LogException.class,
            () -> StoreCopy.copy(other, to, (s, m) -> { }));
        assertTrue(refused.getMessage().contains("holds streams of another store"),
            refused.getMessage());
        assertEquals(null, to.stream("erin", "bob"), "nothing written");
      }

      // the copy written to after it was made: an offset holding another message stops it
      to.commit(List.of(new Entry("alice", "bob", 2_501, "new-1", 1, 5, new byte[] {1})),
          List.of(new StreamRow("alice", "bob", 2_501, 0, 0, null)));
      from.commit(List.of(new Entry("alice", "bob", 2_501, "late-1", 1, 5, new byte[] {2})),
          List.of(new StreamRow("alice", "bob", 2_501, 0, 0, null)));
      LogException conflict = assertThrows(LogException.class,
          () -> StoreCopy.copy(from, to, (s, m) -> { }));
      assertTrue(conflict.getMessage().contains("offset 2501 of alice->bob holds another "
          + "message"), conflict.getMessage());
    }
  }
}

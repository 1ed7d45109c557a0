package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.phoenix.stream.StreamStore.AppendResult;
import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import io.phoenix.stream.log.RocksDbMessageLog;
import io.phoenix.testing.LoneMember;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The race the held ids exist for, made to happen: a retry whose check of the database ran
 * just before its first copy was written (the database is made to miss that id once), reaching
 * the stream's owner after the first copy left the window. The owner sends it back, the
 * pipeline asks the database again, and the retry is a 208 with the first offset; what the
 * same sender asked for next is stored after it, in order. Through a real Hazelcast member
 * and RocksDB.
 */
class RecheckTest {
  @TempDir
  Path dir;

  /** RocksDB, except that the next lookup of an id named in {@link #blind} finds nothing. */
  private static final class Blinded extends DelegatingLog {
    final boolean blocking;
    final Set<String> blind = ConcurrentHashMap.newKeySet();

    Blinded(MessageLog db, boolean blocking) {
      super(db);
      this.blocking = blocking;
    }

    /** As PostgreSQL says: lookups then run on a thread of their own. */
    @Override
    public boolean lookupsBlock() {
      return blocking;
    }

    @Override
    public long[] offsetsOf(List<IdKey> keys) throws LogException {
      long[] found = db.offsetsOf(keys);
      for (int i = 0; i < keys.size(); i++) {
        if (blind.remove(keys.get(i).messageId())) {
          found[i] = 0;
        }
      }
      return found;
    }
  }

  @ParameterizedTest(name = "lookups on their own thread: {0}")
  @ValueSource(booleans = {false, true})
  void aRetryWhoseCheckMissedItsWrittenFirstCopyIsA208InItsOrder(boolean blocking)
      throws Exception {
    HazelcastInstance hz = LoneMember.start("n1", "embedded");
    Vertx vertx = Vertx.vertx();
    Blinded db = new Blinded(RocksDbMessageLog.open(dir.resolve("db" + blocking)), blocking);
    LoneMember.CountingMeter meter = new LoneMember.CountingMeter();
    StreamPipeline store = new StreamPipeline(vertx, hz.getMap(StreamPipeline.MAP_NAME),
        hz.getPartitionService(), db,
        new StreamPipeline.Settings("n1", true, 1, Long.MAX_VALUE,
            Integer.MAX_VALUE, 60_000, 1_000_000, 3_600_000, 10_000,
            120_000, 5_000, 64),
        meter, db.epoch());
    try {
      for (int i = 1; i <= 4; i++) {
        AppendResult r = LoneMember.append(vertx, store, "m" + i).get();
        assertEquals(AppendResult.Outcome.STORED, r.outcome());
        assertEquals(i, r.offset());
      }
      // m1 is written and out of the one-message hot window: only its id is held
      db.blind.add("m1");
      @SuppressWarnings("unchecked")
      Future<AppendResult>[] next = new Future[2];
      vertx.getOrCreateContext().runOnContext(v -> {
        next[0] = store.append("alice", "bob", "m1", 1, new byte[] {1}, now());
        next[1] = store.append("alice", "bob", "m5", 1, new byte[] {5}, now());
      });
      while (next[1] == null) {
        Thread.sleep(5);
      }
      AppendResult retry = next[0].toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      AppendResult fifth = next[1].toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      assertEquals(AppendResult.Outcome.DUPLICATE, retry.outcome());
      assertEquals(1, retry.offset());
      assertEquals(AppendResult.Outcome.STORED, fifth.outcome());
      assertEquals(5, fifth.offset(), "no offset taken by the retry");
      assertTrue(meter.rechecked.get() >= 1, "the owner sent the retry back");
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), db.read("alice", "bob", 0, 6, 10, 0).stream()
          .map(MessageLog.Entry::offset).toList());
    } finally {
      store.close();
      vertx.close().await(10, TimeUnit.SECONDS);
      hz.shutdown();
    }
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}

package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.hazelcast.core.HazelcastInstance;
import io.phoenix.stream.StreamStore.AppendResult;
import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import io.phoenix.stream.log.RocksDbMessageLog;
import io.phoenix.testing.LoneMember;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database layer that throws what it should not (a RuntimeException instead of a
 * LogException) once, in a read of a pull and in a check of ids: the request is answered 503
 * (UnavailableException), never left unanswered, and the store goes on serving. Through a
 * real Hazelcast member and RocksDB, the lookups on a thread of their own as with PostgreSQL.
 */
class UnexpectedDatabaseErrorTest {
  @TempDir
  Path dir;

  private static final class Faulty extends DelegatingLog {
    final AtomicBoolean failRead = new AtomicBoolean();
    final AtomicBoolean failLookup = new AtomicBoolean();

    Faulty(MessageLog db) {
      super(db);
    }

    @Override
    public boolean lookupsBlock() {
      return true;
    }

    @Override
    public long[] offsetsOf(List<IdKey> keys) throws LogException {
      if (failLookup.getAndSet(false)) {
        throw new IllegalStateException("a bug in the database layer");
      }
      return db.offsetsOf(keys);
    }

    @Override
    public List<Entry> read(String from, String to, long after, long before, int max,
        long notBefore) throws LogException {
      if (failRead.getAndSet(false)) {
        throw new IllegalStateException("a bug in the database layer");
      }
      return db.read(from, to, after, before, max, notBefore);
    }
  }

  @Test
  void anUnexpectedExceptionOfTheDatabaseIsA503AndTheStoreGoesOn() throws Exception {
    HazelcastInstance hz = LoneMember.start("n1", "embedded");
    Vertx vertx = Vertx.vertx();
    Faulty db = new Faulty(RocksDbMessageLog.open(dir.resolve("db")));
    StreamPipeline store = new StreamPipeline(vertx, hz.getMap(StreamPipeline.MAP_NAME),
        hz.getPartitionService(), db,
        new StreamPipeline.Settings("n1", true, 1, Long.MAX_VALUE,
            Integer.MAX_VALUE, 60_000, 1_000_000, 3_600_000, 10_000,
            120_000, 5_000, 64),
        new LoneMember.CountingMeter(), db.epoch());
    try {
      for (int i = 1; i <= 3; i++) {
        assertEquals(i, LoneMember.append(vertx, store, "m" + i).get(30, TimeUnit.SECONDS)
            .offset());
      }
      // a pull below the one-message hot window reads the database
      db.failRead.set(true);
      ExecutionException pullFailed = assertThrows(ExecutionException.class,
          () -> LoneMember.pull(vertx, store, 0, 10).get(10, TimeUnit.SECONDS));
      assertInstanceOf(StreamStore.UnavailableException.class, pullFailed.getCause());
      assertEquals(List.of(1L, 2L, 3L), LoneMember.pull(vertx, store, 0, 10).get(10, TimeUnit.SECONDS)
          .messages().stream().map(StreamStore.StoredMessage::offset).toList());

      db.failLookup.set(true);
      ExecutionException appendFailed = assertThrows(ExecutionException.class,
          () -> LoneMember.append(vertx, store, "m4").get(10, TimeUnit.SECONDS));
      assertInstanceOf(StreamStore.UnavailableException.class, appendFailed.getCause());
      // the store takes appends again (once its probe of the database succeeds)
      AppendResult again = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (again == null) {
        try {
          again = LoneMember.append(vertx, store, "m4").get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertInstanceOf(StreamStore.UnavailableException.class, e.getCause());
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(200);
        }
      }
      assertEquals(AppendResult.Outcome.STORED, again.outcome());
      assertEquals(4, again.offset());
    } finally {
      store.close();
      vertx.close().await(10, TimeUnit.SECONDS);
      hz.shutdown();
    }
  }
}

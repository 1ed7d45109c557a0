package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.phoenix.stream.StreamStore.AppendResult;
import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import io.phoenix.stream.log.RocksDbMessageLog;
import io.phoenix.testing.LoneMember;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * storage.maxStreamsInMemory and a retry of a stream's last message: past the bound, upkeep
 * forgets a saved stream once unused for idHoldMs, and a retry is still a 208 at its first
 * offset, never a new message. A retry whose check of the database ran before its first copy
 * was written (made to happen: the check answers "absent" and is held) reaches the owner while
 * upkeep runs; the stream, written within idHoldMs, is not forgotten under it. Once the hold is
 * over the stream is forgotten, and a retry then is found in the database and the stream read
 * back, its offsets going on. Through a real Hazelcast member and RocksDB; one bucket holds at
 * most one stream here.
 *
 * <p>A check that ran before the write and reaches the owner more than idHoldMs after it finds
 * the stream forgotten: the stream is read back from the database, and the ids of the appends
 * that found it missing are checked again with it, so that retry is a 208 too.
 */
class ForgottenStreamRetryTest {
  private static final long ID_HOLD_MS = 3_000;

  @TempDir
  Path dir;

  /** RocksDB, except that the next lookup of {@link #gatedId} answers "absent", once let go. */
  private static final class Gated extends DelegatingLog {
    volatile String gatedId;
    final CountDownLatch checking = new CountDownLatch(1);
    final CountDownLatch letGo = new CountDownLatch(1);

    Gated(MessageLog db) {
      super(db);
    }

    @Override
    public boolean lookupsBlock() {
      return true; // on a thread of their own, as with PostgreSQL: the store goes on meanwhile
    }

    @Override
    public long[] offsetsOf(List<IdKey> keys) throws LogException {
      long[] found = db.offsetsOf(keys);
      for (int i = 0; i < keys.size(); i++) {
        if (keys.get(i).messageId().equals(gatedId)) {
          gatedId = null;
          found[i] = 0; // what it answered before the first copy was written
          checking.countDown();
          try {
            letGo.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
      return found;
    }
  }

  private static AppendResult get(CompletableFuture<AppendResult> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private HazelcastInstance hz;
  private Vertx vertx;
  private Gated db;
  private final LoneMember.CountingMeter meter = new LoneMember.CountingMeter();
  private StreamPipeline store;

  @BeforeEach
  void setUp() throws Exception {
    hz = LoneMember.start("n1", "embedded");
    vertx = Vertx.vertx();
    db = new Gated(RocksDbMessageLog.open(dir.resolve("db")));
    store = new StreamPipeline(vertx, hz.getMap(StreamPipeline.MAP_NAME),
        hz.getPartitionService(), db,
        new StreamPipeline.Settings("n1", true, 16, Long.MAX_VALUE,
            1, ID_HOLD_MS, 1_000_000, 3_600_000, 10_000,
            120_000, 5_000, 64),
        meter, db.epoch());
  }

  @AfterEach
  void tearDown() throws Exception {
    db.letGo.countDown(); // a test that failed while a lookup was held
    store.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    hz.shutdown();
  }

  /** Waits past idHoldMs, running upkeep until alice->bob is forgotten (past the bound). */
  private void awaitAliceForgotten() throws InterruptedException {
    Thread.sleep(ID_HOLD_MS + 200);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (meter.forgotten.get() == 0 && System.nanoTime() < deadline) {
      store.maintain();
      Thread.sleep(50);
    }
    assertEquals(1, meter.forgotten.get());
  }

  @Test
  void aRetryOfTheLastMessageIsA208WhetherItsStreamIsHeldOrForgotten() throws Exception {
    assertEquals(1, get(LoneMember.append(vertx, store, "alice", "m1")).offset());
    assertEquals(2, get(LoneMember.append(vertx, store, "alice", "m2")).offset());
    assertEquals(1, get(LoneMember.append(vertx, store, "carol", "c1")).offset());
    // the client, which never got m2's answer, sends it again; the check of that retry ran
    // before m2 was written, and answers only now, while upkeep keeps running
    db.gatedId = "m2";
    CompletableFuture<AppendResult> retry = LoneMember.append(vertx, store, "alice", "m2");
    assertTrue(db.checking.await(10, TimeUnit.SECONDS));
    for (int i = 0; i < 5; i++) {
      store.maintain();
      Thread.sleep(ID_HOLD_MS / 10);
    }
    db.letGo.countDown();
    AppendResult late = get(retry);
    assertEquals(AppendResult.Outcome.DUPLICATE, late.outcome());
    assertEquals(2, late.offset());
    assertEquals(0, meter.forgotten.get(), "written within idHoldMs: not forgotten");

    // unused for longer than idHoldMs: past the bound (one stream), alice->bob is forgotten
    assertEquals(2, get(LoneMember.append(vertx, store, "carol", "c2")).offset());
    awaitAliceForgotten();
    long loaded = meter.loaded.get();
    AppendResult again = get(LoneMember.append(vertx, store, "alice", "m2"));
    assertEquals(AppendResult.Outcome.DUPLICATE, again.outcome(), "found in the database");
    assertEquals(2, again.offset());
    assertEquals(3, get(LoneMember.append(vertx, store, "alice", "m3")).offset(),
        "read back from the database, the stream goes on");
    assertTrue(meter.loaded.get() > loaded);
    assertEquals(List.of(1L, 2L, 3L), db.read("alice", "bob", 0, 4, 10, 0).stream()
        .map(MessageLog.Entry::offset).toList());
  }

  @Test
  void aRetryWhoseCheckRanBeforeTheWriteIsA208AfterItsStreamWasForgotten() throws Exception {
    assertEquals(1, get(LoneMember.append(vertx, store, "alice", "m1")).offset());
    assertEquals(2, get(LoneMember.append(vertx, store, "alice", "m2")).offset());
    assertEquals(1, get(LoneMember.append(vertx, store, "carol", "c1")).offset());
    // the retry of m2 checked the database before m2 was written, and reaches the owner
    // only after alice->bob, unused for longer than idHoldMs, was forgotten (past the bound
    // of one stream, carol->bob being used later)
    db.gatedId = "m2";
    CompletableFuture<AppendResult> retry = LoneMember.append(vertx, store, "alice", "m2");
    assertTrue(db.checking.await(10, TimeUnit.SECONDS));
    awaitAliceForgotten();
    long loaded = meter.loaded.get();
    db.letGo.countDown();
    AppendResult late = get(retry);
    assertEquals(AppendResult.Outcome.DUPLICATE, late.outcome(),
        "read back without its ids, the stream's retry is checked in the database again");
    assertEquals(2, late.offset());
    assertTrue(meter.loaded.get() > loaded, "alice->bob was read back");
    assertEquals(3, get(LoneMember.append(vertx, store, "alice", "m3")).offset());
    assertEquals(List.of(1L, 2L, 3L), db.read("alice", "bob", 0, 4, 10, 0).stream()
        .map(MessageLog.Entry::offset).toList());
  }
}

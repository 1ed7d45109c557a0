package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit that fails, and what is staged behind it. The commit is retried until the database
 * takes it, and nothing staged after it is written first; meanwhile its waiters, and those of
 * everything staged behind it, are answered 503 at once (their clients retry), not once the
 * database is back. Through a real Hazelcast member and RocksDB whose commits fail on demand.
 */
class FailedCommitTest {
  @TempDir
  Path dir;

  /** RocksDB whose commits fail while {@link #failing}; the first holds until {@link #letGo}. */
  private static final class Failing extends DelegatingLog {
    volatile boolean failing = true;
    final CountDownLatch gated = new CountDownLatch(1);
    final CountDownLatch letGo = new CountDownLatch(1);

    Failing(MessageLog db) {
      super(db);
    }

    @Override
    public List<Entry> commit(List<Entry> entries, List<StreamRow> rows) throws LogException {
      if (gated.getCount() > 0) {
        gated.countDown();
        try {
          letGo.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (failing) {
        throw new LogException("the disk is full (a test)");
      }
      return db.commit(entries, rows);
    }

    @Override
    public void check() throws LogException {
      if (failing) {
        throw new LogException("the disk is full (a test)");
      }
    }
  }

  private HazelcastInstance hz;
  private Vertx vertx;
  private Failing db;
  private StreamPipeline store;

  @BeforeEach
  void setUp() throws Exception {
    hz = LoneMember.start("n1", "embedded");
    vertx = Vertx.vertx();
    db = new Failing(RocksDbMessageLog.open(dir.resolve("db")));
    store = LoneMember.pipeline(vertx, hz, db, true, new LoneMember.CountingMeter());
  }

  @AfterEach
  void tearDown() throws Exception {
    db.failing = false;
    db.letGo.countDown();
    store.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    hz.shutdown();
  }

  private static Throwable refusal(CompletableFuture<AppendResult> f) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> f.get(30, TimeUnit.SECONDS), "not answered 503 while the database fails");
    return e.getCause();
  }

  @Test
  void whatWaitsBehindAFailingCommitIsAnswered503BeforeTheDatabaseIsBack() throws Exception {
    CompletableFuture<AppendResult> a = LoneMember.append(vertx, store, "a");
    assertTrue(db.gated.await(30, TimeUnit.SECONDS)); // a's commit is under way
    CompletableFuture<AppendResult> b = LoneMember.append(vertx, store, "b");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!assigned(2) && System.nanoTime() < deadline) {
      Thread.sleep(10); // b given offset 2, staged behind a's commit
    }
    db.letGo.countDown(); // a's commit fails, and its retries while the database fails
    assertInstanceOf(StreamStore.UnavailableException.class, refusal(a));
    assertInstanceOf(StreamStore.UnavailableException.class, refusal(b),
        "b waits for a's commit: answered 503 with it, not left waiting for the database");
    assertTrue(!store.healthy(), "new messages are refused meanwhile");

    db.failing = false; // back: a is written by the retry, then b
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!store.healthy() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    AppendResult retried = LoneMember.append(vertx, store, "b").get(30, TimeUnit.SECONDS);
    assertEquals(AppendResult.Outcome.DUPLICATE, retried.outcome(), "b was stored, once");
    assertEquals(2, retried.offset());
    assertEquals(List.of("a", "b"), db.read("alice", "bob", 0, Long.MAX_VALUE, 10, 0).stream()
        .map(MessageLog.Entry::messageId).toList());
    assertEquals(3, LoneMember.append(vertx, store, "c").get(30, TimeUnit.SECONDS).offset());
  }

  /** Whether the cluster has given offset {@code head} on alice->bob. */
  private boolean assigned(long head) {
    StreamBucket bucket = (StreamBucket) hz.getMap(StreamPipeline.MAP_NAME)
        .get(StreamBucket.of("bob"));
    StreamState s = bucket == null ? null : bucket.get("alice", "bob");
    return s != null && s.head >= head;
  }
}

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream forgotten while one of its messages is on its way to the database. A commit that
 * finds an offset holding another message makes the cluster forget the stream and read it back
 * from the database; a message the same node accepted meanwhile, whose commit comes next, is not
 * in the database yet, so its id is in neither place. Its sender's retry through another node
 * must still be that message (208 at its offset), not a second copy at a new offset: what a run
 * of {@code PausedMemberIT} with {@code minimumMembers} 1 found after a merge. Two nodes here
 * are two pipelines of one Hazelcast member sharing one RocksDB; the races are made to happen
 * by the database.
 */
class ForgottenWhileUnwrittenTest {
  @TempDir
  Path dir;

  /**
   * RocksDB where another message takes offset 2 of alice->bob just before the first commit
   * holding "x", which then waits until {@link #letGoX}; the first commit holding "m1" waits
   * until {@link #letGoM1}.
   */
  private static final class Raced extends DelegatingLog {
    final CountDownLatch gatedX = new CountDownLatch(1);
    final CountDownLatch letGoX = new CountDownLatch(1);
    final CountDownLatch gatedM1 = new CountDownLatch(1);
    final CountDownLatch letGoM1 = new CountDownLatch(1);
    private boolean raced;
    private boolean held;

    Raced(MessageLog db) {
      super(db);
    }

    @Override
    public List<Entry> commit(List<Entry> entries, List<StreamRow> rows) throws LogException {
      boolean race;
      boolean hold;
      synchronized (this) { // two commit threads
        race = !raced && entries.stream().anyMatch(e -> e.messageId().equals("x"));
        raced |= race;
        hold = !held && entries.stream().anyMatch(e -> e.messageId().equals("m1"));
        held |= hold;
      }
      if (race) {
        db.commit(List.of(new Entry("alice", "bob", 2, "other", 1,
            System.currentTimeMillis(), new byte[] {9})),
            List.of(new StreamRow("alice", "bob", 2, 0, 0, null)));
        await(gatedX, letGoX);
      }
      if (hold) {
        await(gatedM1, letGoM1);
      }
      return db.commit(entries, rows);
    }

    private static void await(CountDownLatch gated, CountDownLatch letGo) {
      gated.countDown();
      try {
        letGo.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The same database for the second node, which leaves closing it to the first. */
  private static final class Shared extends DelegatingLog {
    Shared(MessageLog db) {
      super(db);
    }

    @Override
    public void close() {}
  }

  private HazelcastInstance hz;
  private Vertx vertx;
  private Raced db;
  private StreamPipeline n1;
  private StreamPipeline n2;
  private final LoneMember.CountingMeter meter = new LoneMember.CountingMeter();

  @AfterEach
  void tearDown() throws Exception {
    if (db != null) {
      db.letGoX.countDown();
      db.letGoM1.countDown();
    }
    if (n2 != null) {
      n2.close();
    }
    if (n1 != null) {
      n1.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (hz != null) {
      hz.shutdown();
    }
  }

  private List<String> stored() throws Exception {
    return db.read("alice", "bob", 0, Long.MAX_VALUE, 100, 0).stream()
        .map(e -> e.offset() + "=" + e.messageId()).toList();
  }

  private StreamStore.PullResult pull(StreamStore store, long after) throws Exception {
    return LoneMember.pull(vertx, store, after, 100).get(30, TimeUnit.SECONDS);
  }

  private static List<Long> offsets(StreamStore.PullResult r) {
    return r.messages().stream().map(StreamStore.StoredMessage::offset).toList();
  }

  @Test
  void aRetryOfAMessageWhoseCommitWaitsIsTheSameMessageAfterTheStreamIsForgotten()
      throws Exception {
    hz = LoneMember.start("n1", "embedded");
    vertx = Vertx.vertx();
    db = new Raced(RocksDbMessageLog.open(dir.resolve("db")));
    n1 = LoneMember.pipeline(vertx, hz, db, true, meter, "n1");
    n2 = LoneMember.pipeline(vertx, hz, new Shared(db), true, new LoneMember.CountingMeter(),
        "n2");

    assertEquals(1, LoneMember.append(vertx, n1, "m0").get(30, TimeUnit.SECONDS).offset());
    // n1 gives x offset 2, which another message takes while x's commit runs
    CompletableFuture<AppendResult> x = LoneMember.append(vertx, n1, "x");
    assertTrue(db.gatedX.await(30, TimeUnit.SECONDS));
    // meanwhile n1 accepts m1 (offset 3), for its next commit
    CompletableFuture<AppendResult> m1 = LoneMember.append(vertx, n1, "m1");
    StreamProbe.awaitAliceHead(hz, 3);
    // x's commit finds its offset taken: the stream is forgotten and read back, x appended
    // again (offset 4), while m1's commit waits
    db.letGoX.countDown();
    assertTrue(db.gatedM1.await(30, TimeUnit.SECONDS));
    StreamProbe.awaitAliceHead(hz, 4);
    assertEquals(1, meter.displaced.get());
    // a pull meanwhile stops before m1, not written yet: a 200 going on past offset 3 would
    // tell the client that 3 expired
    StreamStore.PullResult early = pull(n2, 0);
    assertEquals(List.of(1L, 2L), offsets(early));
    assertTrue(early.more(), "more remain: 206");
    assertEquals(3, early.head());
    StreamStore.PullResult none = pull(n2, 2);
    assertEquals(List.of(), offsets(none));
    assertTrue(none.more());
    // the client, given no answer for m1 yet, sends it again through n2
    AppendResult again = LoneMember.append(vertx, n2, "m1").get(30, TimeUnit.SECONDS);
    assertEquals(AppendResult.Outcome.DUPLICATE, again.outcome(),
        "the message n1 accepted, not a new one");
    assertEquals(3, again.offset());
    db.letGoM1.countDown();
    AppendResult first = m1.get(30, TimeUnit.SECONDS);
    assertEquals(AppendResult.Outcome.STORED, first.outcome());
    assertEquals(3, first.offset());
    assertEquals(AppendResult.Outcome.STORED, x.get(30, TimeUnit.SECONDS).outcome());
    assertEquals(4, x.get().offset());
    assertEquals(List.of("1=m0", "2=other", "3=m1", "4=x"), stored());
    StreamStore.PullResult late = pull(n2, 2);
    assertEquals(List.of(3L, 4L), offsets(late), "written now");
    assertEquals(false, late.more());
    assertEquals(5, LoneMember.append(vertx, n1, "m5").get(30, TimeUnit.SECONDS).offset(),
        "the stream goes on from there");
  }
}

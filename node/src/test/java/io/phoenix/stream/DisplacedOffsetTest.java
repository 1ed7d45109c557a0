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
 * An offset the cluster gives twice. When both copies of a bucket are lost while a node's
 * commit of one of its offsets waits, the stream is read back from the database without that
 * offset, and the next message is given it again. Made to happen here: the bucket is removed
 * from the map, and the first commit of the next message finds its offset written meanwhile
 * with another message (as the waiting commit of another node would). That message must not be
 * answered at an offset that holds another one: it is appended again, at the next free offset,
 * and the stream goes on from there. Through a real Hazelcast member and RocksDB.
 */
class DisplacedOffsetTest {
  @TempDir
  Path dir;

  /**
   * RocksDB, where (if {@link #race}) another message takes offset 2 of alice->bob just before
   * "m2" is written, and a commit of a message "gate" waits until {@link #letGo}.
   */
  private static final class Raced extends DelegatingLog {
    volatile boolean race = true;
    boolean raced;
    /** The pipeline the other message's DURABLE mark is sent through, if any. */
    volatile StreamPipeline markOther;
    final CountDownLatch marked = new CountDownLatch(1);
    final CountDownLatch pulled = new CountDownLatch(1);
    final CountDownLatch gated = new CountDownLatch(1);
    final CountDownLatch letGo = new CountDownLatch(1);

    Raced(MessageLog db) {
      super(db);
    }

    @Override
    public List<Entry> commit(List<Entry> entries, List<StreamRow> rows) throws LogException {
      if (race && !raced && entries.stream().anyMatch(e -> e.messageId().equals("m2"))) {
        raced = true;
        db.commit(List.of(new Entry("alice", "bob", 2, "other", 1,
            System.currentTimeMillis(), new byte[] {9})),
            List.of(new StreamRow("alice", "bob", 2, 0, 0, null)));
        if (markOther != null) {
          // the other node marks its write, while this commit has not found 2 taken yet
          try {
            markOther.submit(StreamOp.durable("alice", "bob", 2, 0, 0,
                new long[] {2, StreamState.idHash("other")}))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            marked.countDown();
            pulled.await(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new LogException("the other node's mark failed: " + e, e);
          }
        }
      }
      if (entries.stream().anyMatch(e -> e.messageId().equals("gate"))) {
        gated.countDown();
        try {
          letGo.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return db.commit(entries, rows);
    }
  }

  private HazelcastInstance hz;
  private Vertx vertx;
  private Raced db;
  private final LoneMember.CountingMeter meter = new LoneMember.CountingMeter();
  private StreamPipeline store;

  private void start(boolean commitMode) throws Exception {
    hz = LoneMember.start("n1", "embedded");
    vertx = Vertx.vertx();
    db = new Raced(RocksDbMessageLog.open(dir.resolve("db")));
    store = LoneMember.pipeline(vertx, hz, db, commitMode, meter);
  }

  @AfterEach
  void tearDown() throws Exception {
    db.letGo.countDown();
    store.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    hz.shutdown();
  }

  private AppendResult append(String id) throws Exception {
    return LoneMember.append(vertx, store, id).get(30, TimeUnit.SECONDS);
  }

  /** The bucket of alice->bob, both copies, gone. */
  private void loseTheBucket() {
    hz.getMap(StreamPipeline.MAP_NAME).remove(StreamBucket.of("bob"));
  }

  private void awaitStored(int messages) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (stored().size() < messages && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private List<String> stored() throws Exception {
    return db.read("alice", "bob", 0, Long.MAX_VALUE, 100, 0).stream()
        .map(e -> e.offset() + "=" + e.messageId()).toList();
  }

  @Test
  void commitModeAnswersTheMessageAtTheOffsetItIsStoredAt() throws Exception {
    start(true);
    assertEquals(1, append("m1").offset());
    loseTheBucket();
    AppendResult m2 = append("m2");
    assertEquals(AppendResult.Outcome.STORED, m2.outcome());
    assertEquals(3, m2.offset(), "offset 2 holds another message");
    assertEquals(List.of("1=m1", "2=other", "3=m2"), stored());
    assertEquals(1, meter.displaced.get());
    assertEquals(4, append("m3").offset(), "the stream goes on from there");
    AppendResult retry = append("m2");
    assertEquals(AppendResult.Outcome.DUPLICATE, retry.outcome());
    assertEquals(3, retry.offset());
    assertEquals(List.of("1=m1", "2=other", "3=m2", "4=m3"), stored());
  }

  /**
   * The other message's node marks offset 2 written while the stream still holds m2 there,
   * unwritten (the commit of m2 has not found 2 taken yet): a pull meanwhile shows the message
   * the database holds at 2, never m2, which is then answered at 3.
   */
  @Test
  void aPullNeverShowsTheMessageAtAnOffsetTheOtherNodesMarkWrote() throws Exception {
    start(true);
    db.markOther = store;
    assertEquals(1, append("m1").offset());
    loseTheBucket();
    CompletableFuture<AppendResult> m2 = LoneMember.append(vertx, store, "m2");
    assertTrue(db.marked.await(30, TimeUnit.SECONDS));
    List<String> shown = LoneMember.pull(vertx, store, 1, 10).get(30, TimeUnit.SECONDS)
        .messages().stream()
        .map(m -> m.offset() + "=" + m.message()[0]).toList();
    db.pulled.countDown();
    assertEquals(List.of("2=9"), shown, "offset 2 holds the other message (body 9), not m2");
    assertEquals(AppendResult.Outcome.STORED, m2.get(30, TimeUnit.SECONDS).outcome());
    assertEquals(3, m2.get().offset());
    assertEquals(List.of("1=m1", "2=other", "3=m2"), stored());
  }

  /**
   * Both messages given offset 1 in one commit (the commit thread was busy while both waited):
   * the first keeps it and is answered as stored there, the second is appended again.
   */
  @Test
  void theMessageThatKeepsItsOffsetIsAnsweredAsStored() throws Exception {
    start(true);
    db.race = false;
    CompletableFuture<AppendResult> gate = LoneMember.append(vertx, store, "carol", "gate");
    assertTrue(db.gated.await(30, TimeUnit.SECONDS));
    CompletableFuture<AppendResult> m1 = LoneMember.append(vertx, store, "m1");
    StreamProbe.awaitAliceHead(hz, 1); // m1 given offset 1, its commit waiting behind the gate
    loseTheBucket();
    CompletableFuture<AppendResult> m2 = LoneMember.append(vertx, store, "m2");
    StreamProbe.awaitAliceHead(hz, 1); // m2 read back from the database, given offset 1 too
    db.letGo.countDown();
    assertEquals(1, gate.get(30, TimeUnit.SECONDS).offset());
    assertEquals(AppendResult.Outcome.STORED, m1.get(30, TimeUnit.SECONDS).outcome());
    assertEquals(1, m1.get().offset());
    assertEquals(AppendResult.Outcome.STORED, m2.get(30, TimeUnit.SECONDS).outcome());
    assertEquals(2, m2.get().offset());
    assertEquals(List.of("1=m1", "2=m2"), stored());
    assertEquals(1, meter.displaced.get());
  }

  @Test
  void replicateModeStoresTheMessageAnsweredAlreadyAtANewOffset() throws Exception {
    start(false);
    assertEquals(1, append("m1").offset());
    awaitStored(1); // answered before it is written: lost with the bucket otherwise
    loseTheBucket();
    assertEquals(2, append("m2").offset(), "answered before it is written");
    awaitStored(3);
    assertEquals(List.of("1=m1", "2=other", "3=m2"), stored());
    assertEquals(1, meter.displaced.get());
    AppendResult retry = append("m2");
    assertEquals(AppendResult.Outcome.DUPLICATE, retry.outcome());
    assertEquals(3, retry.offset(), "where it is stored");
    assertEquals(4, append("m3").offset());
  }
}

package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.phoenix.protocol.v1.MessageType;
import io.phoenix.stream.log.MessageLog;
import io.phoenix.stream.log.RocksDbMessageLog;
import io.phoenix.testing.LoneMember;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's upkeep ({@link StreamPipeline#maintain}) reaches the buckets this member owns,
 * found from its partition table: a message another node stored in the cluster and never wrote
 * (the node died) is written by this one, and buckets that hold nothing are not created by the
 * upkeep. Through a real Hazelcast member and RocksDB.
 */
class UpkeepTest {
  @TempDir
  Path dir;

  @Test
  void upkeepWritesWhatADeadNodeLeftUnwrittenAndAddsNoEmptyBuckets() throws Exception {
    HazelcastInstance hz = LoneMember.start("n1", "embedded");
    Vertx vertx = Vertx.vertx();
    MessageLog db = RocksDbMessageLog.open(dir.resolve("db"));
    IMap<Integer, StreamBucket> buckets = hz.getMap(StreamPipeline.MAP_NAME);
    StreamPipeline store = new StreamPipeline(vertx, buckets, hz.getPartitionService(), db,
        new StreamPipeline.Settings("n1", true, 1, Long.MAX_VALUE,
            Integer.MAX_VALUE, 60_000, 1_000_000, 3_600_000, 10_000,
            120_000, 50, 64),
        new LoneMember.CountingMeter(), db.epoch());
    try {
      int bucket = StreamBucket.of("bob");
      long now = System.currentTimeMillis();
      // What a node that died after storing m1 in the cluster, before writing it, leaves.
      buckets.executeOnKey(bucket, batch("dead-node", now,
          StreamOp.load("alice", "bob", 0, 0, 0, null)));
      buckets.executeOnKey(bucket, batch("dead-node", now,
          StreamOp.append("alice", "bob", "m1", MessageType.SENDER_VALUE, new byte[] {1}, 1)));
      assertEquals(1, buckets.size());
      assertEquals(0, db.read("alice", "bob", 0, 2, 10, 0).size(), "not written yet");

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      List<MessageLog.Entry> written = List.of();
      while (written.isEmpty() && System.nanoTime() < deadline) {
        store.maintain(); // stale after 50 ms here
        Thread.sleep(100);
        written = db.read("alice", "bob", 0, 2, 10, 0);
      }
      assertEquals(1, written.size(), "the upkeep wrote the dead node's message");
      assertEquals("m1", written.get(0).messageId());
      assertEquals(1, written.get(0).offset());
      MessageLog.StreamRow row = db.stream("alice", "bob");
      assertNotNull(row);
      assertEquals(1, row.head());
      assertEquals(1, buckets.size(), "the upkeep of the other 63 buckets created none");
      assertTrue(buckets.get(bucket).get("alice", "bob") != null);
    } finally {
      store.close();
      vertx.close().await(10, TimeUnit.SECONDS);
      hz.shutdown();
    }
  }

  private static BucketBatch batch(String node, long now, StreamOp op) {
    BucketBatch b = new BucketBatch();
    b.now = now;
    b.node = node;
    b.keepAll = false;
    b.commitMode = true;
    b.hotWindow = 1;
    b.idHoldMs = 60_000;
    b.maxKept = 1_000_000;
    b.retentionMs = 3_600_000;
    b.maxUndelivered = 10_000;
    b.idleMs = 120_000;
    b.staleMs = 50;
    b.ops.add(op);
    return b;
  }
}

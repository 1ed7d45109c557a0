package io.phoenix.testing;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.phoenix.config.ClusterOptions;
import io.phoenix.config.ConfigLoader;
import io.phoenix.node.HazelcastCluster;
import io.phoenix.stream.StreamPipeline;
import io.phoenix.stream.StreamStore;
import io.phoenix.stream.StreamStore.AppendResult;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * For tests and benchmarks of the stream pipeline without a whole node: one Hazelcast member
 * configured as a node configures it (a cluster of its own on a free loopback port), and a
 * {@link StreamPipeline.Meter} that counts what it is told.
 */
public final class LoneMember {
  private LoneMember() {}

  /** Starts a member alone in a new cluster, as node {@code nodeId} with that store type. */
  public static HazelcastInstance start(String nodeId, String storageType) {
    int port = TestNode.freePort();
    JsonObject json = new JsonObject()
        .put("auth", new JsonObject().put("jwtSecret", "lone-secret-0123456789abcdef0123456789"))
        .put("cluster", new JsonObject().put("name", "lone-" + UUID.randomUUID())
            .put("host", "127.0.0.1").put("port", port)
            .put("members", new JsonArray().add("127.0.0.1:" + port)));
    ClusterOptions cluster = ConfigLoader.fromJson(json).cluster();
    return Hazelcast.newHazelcastInstance(
        HazelcastCluster.hazelcastConfig(cluster, nodeId, storageType, null));
  }

  /**
   * A pipeline on {@code hz} and {@code log} as node "n1", with the node's usual settings where
   * a test does not need others (hot window 16, 1,000 streams, ids held 10 s, upkeep's times).
   */
  public static StreamPipeline pipeline(Vertx vertx, HazelcastInstance hz,
      io.phoenix.stream.log.MessageLog log, boolean commitMode, StreamPipeline.Meter meter) {
    return pipeline(vertx, hz, log, commitMode, meter, "n1");
  }

  /**
   * The same as node {@code node}: two pipelines of one member, as two nodes, share its
   * buckets (each operation names the node that sent it).
   */
  public static StreamPipeline pipeline(Vertx vertx, HazelcastInstance hz,
      io.phoenix.stream.log.MessageLog log, boolean commitMode, StreamPipeline.Meter meter,
      String node) {
    return new StreamPipeline(vertx, hz.getMap(StreamPipeline.MAP_NAME),
        hz.getPartitionService(), log,
        new StreamPipeline.Settings(node, commitMode, 16, Long.MAX_VALUE, 1_000, 10_000,
            1_000_000, 3_600_000, 10_000, 120_000, 5_000, 64),
        meter, log.epoch());
  }

  /**
   * Appends message {@code id} of alice to bob (type 1, a one-byte body) from an event-loop
   * context of {@code vertx}, as a session does; completes with the store's answer.
   */
  public static CompletableFuture<AppendResult> append(Vertx vertx, StreamStore store,
      String id) {
    return append(vertx, store, "alice", id);
  }

  /** The same, from {@code from} to bob. */
  public static CompletableFuture<AppendResult> append(Vertx vertx, StreamStore store,
      String from, String id) {
    return onContext(vertx, () -> store.append(from, "bob", id, 1, new byte[] {1},
        System.currentTimeMillis()));
  }

  /**
   * Pulls alice to bob after {@code after}, at most {@code max} messages, from an event-loop
   * context of {@code vertx}, as a session does; completes with the store's answer.
   */
  public static CompletableFuture<StreamStore.PullResult> pull(Vertx vertx, StreamStore store,
      long after, int max) {
    return onContext(vertx, () -> store.pull("alice", "bob", after, max,
        System.currentTimeMillis()));
  }

  private static <T> CompletableFuture<T> onContext(Vertx vertx,
      java.util.function.Supplier<io.vertx.core.Future<T>> call) {
    CompletableFuture<T> out = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        out.complete(ar.result());
      } else {
        out.completeExceptionally(ar.cause());
      }
    }));
    return out;
  }

  /** Counts what the pipeline reports. */
  public static final class CountingMeter implements StreamPipeline.Meter {
    public final AtomicLong committed = new AtomicLong();
    public final AtomicLong loaded = new AtomicLong();
    public final AtomicLong forgotten = new AtomicLong();
    public final AtomicLong rechecked = new AtomicLong();
    public final AtomicLong displaced = new AtomicLong();
    /**
     * The stage times of each sampled append, in the order told (a queue: a copy-on-write list
     * copied itself at each of them, quadratic in a long run).
     */
    public final java.util.Queue<long[]> stages =
        new java.util.concurrent.ConcurrentLinkedQueue<>();

    @Override
    public void committed(int messages, long nanos) {
      committed.addAndGet(messages);
    }

    @Override
    public void appendStages(long[] nanos) {
      stages.add(nanos.clone());
    }

    @Override
    public void loaded() {
      loaded.incrementAndGet();
    }

    @Override
    public void forgotten(int streams) {
      forgotten.addAndGet(streams);
    }

    @Override
    public void rechecked(int appends) {
      rechecked.addAndGet(appends);
    }

    @Override
    public void displaced(int messages) {
      displaced.addAndGet(messages);
    }
  }
}

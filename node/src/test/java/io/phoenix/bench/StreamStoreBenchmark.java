package io.phoenix.bench;

import com.hazelcast.core.HazelcastInstance;
import io.phoenix.config.StorageOptions;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.stream.StreamPipeline;
import io.phoenix.stream.StreamStore;
import io.phoenix.stream.log.RocksDbMessageLog;
import io.phoenix.testing.LoneMember;
import io.phoenix.testing.TempTree;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: {@link StreamPipeline#append} (batched bucket entry processors: dedupe, offset, keep;
 * with {@code embedded}, the RocksDB group commit too) on a single Hazelcast member configured
 * exactly like a node's
 * ({@link HazelcastCluster#hazelcastConfig}), called from a Vert.x event loop as the router
 * does. {@code pipelined}: 1,000 appends in flight over {@code streams} streams, the node's
 * situation under load (time per message = the inverse of the store's throughput);
 * {@code oneAtATime}: a single append's round trip (event loop → partition thread → event loop).
 *
 * <p>Messages expire after 2 s, so the inboxes stay the size they have in a steady state.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "java.se",
    "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.management/sun.management=ALL-UNNAMED",
    "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
    "-Dhazelcast.phone.home.enabled=false"})
public class StreamStoreBenchmark {
  private static final int IN_FLIGHT = 1000;

  /** Streams the appends are spread over (one recipient each). */
  @Param({"100", "10000"})
  public int streams;

  /** memory: the cluster's memory only; embedded: RocksDB, ACCEPTED after the commit. */
  @Param({"memory", "embedded"})
  public String storage;

  private HazelcastInstance hazelcast;
  private Vertx vertx;
  private Context context;
  private Path dir;
  private StreamStore store;
  private byte[] message;
  private long seq;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    hazelcast = LoneMember.start("jmh", "memory");
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    boolean embedded = storage.equals("embedded");
    dir = Files.createTempDirectory("phoenix-jmh");
    store = new StreamPipeline(vertx, hazelcast.getMap(StreamPipeline.MAP_NAME),
        hazelcast.getPartitionService(),
        embedded ? RocksDbMessageLog.open(dir.resolve("db")) : null,
        new StreamPipeline.Settings("jmh", embedded, 16,
            StorageOptions.DEFAULT_HOT_WINDOW_BYTES, Integer.MAX_VALUE, 10_000, 1_000_000, 2_000,
            Long.MAX_VALUE, 120_000, 5_000, 1024),
        new QuietMeter(), "jmh");
    message = Message.newBuilder().setMessageId(UUID.randomUUID().toString())
        .setFrom(Identity.newBuilder().setEid("alice").setConnectionResourceId("a1")
            .setNode("node-1"))
        .setTo(Identity.newBuilder().setEid("bob")).setPayload(com.google.protobuf.ByteString
            .copyFrom(new byte[100])).setType(1).setTransmissionMode(2).build().toByteArray();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    store.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    hazelcast.shutdown();
    TempTree.delete(dir); // hundreds of MB of RocksDB files per trial
  }

  /** 1,000 appends in flight from one event loop; the time is per append. */
  @Benchmark
  @OperationsPerInvocation(IN_FLIGHT)
  public void pipelined() throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      int[] left = {IN_FLIGHT};
      long now = System.currentTimeMillis();
      for (int i = 0; i < IN_FLIGHT; i++) {
        long n = seq++;
        int stream = (int) (n % streams);
        store.append("alice-" + stream, "bob-" + stream, Long.toString(n), 1, message, now)
            .onComplete(ar -> {
              if (ar.failed()) {
                done.completeExceptionally(ar.cause());
              } else if (--left[0] == 0) {
                done.complete(null);
              }
            });
      }
    });
    done.get(60, TimeUnit.SECONDS);
  }

  /** A single append's round trip from an event loop. */
  @Benchmark
  public void oneAtATime() throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      long n = seq++;
      int stream = (int) (n % streams);
      store.append("alice-" + stream, "bob-" + stream, Long.toString(n), 1, message,
          System.currentTimeMillis()).onComplete(ar -> done.complete(null));
    });
    done.get(60, TimeUnit.SECONDS);
  }

  /**
   * Counts nothing: what the node's meter does per append is a few counter increments, and a
   * meter keeping every sampled append's stages would add its own growing cost to each trial.
   */
  private static final class QuietMeter implements StreamPipeline.Meter {
    @Override
    public void committed(int messages, long nanos) {}

    @Override
    public void loaded() {}

    @Override
    public void forgotten(int streams) {}

    @Override
    public void rechecked(int appends) {}
  }
}

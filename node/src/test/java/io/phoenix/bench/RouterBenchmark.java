package io.phoenix.bench;

import com.google.protobuf.ByteString;
import io.phoenix.cluster.Directory;
import io.phoenix.cluster.NodeBus;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.router.Fanout;
import io.phoenix.router.LocalHub;
import io.phoenix.router.Reply;
import io.phoenix.router.Router;
import io.phoenix.router.StreamId;
import io.phoenix.router.Subscriber;
import io.phoenix.stream.StreamStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the node's own CPU work for one chat message, with storage and I/O taken out: the
 * {@link Router} stamps it, "stores" it in an in-memory {@link StreamStore}, answers ACCEPTED,
 * looks the devices up in an in-memory {@link Directory} and fans the encoded message out
 * through the {@link Fanout} and {@link LocalHub} to subscribers that only count bytes. What
 * the real node adds on top (Hazelcast hand-offs, socket writes) is measured by the
 * StreamStoreBenchmark and by {@code phoenix bench}.
 *
 * <p>Single-threaded: every future here is already complete, so the whole path runs inline.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RouterBenchmark {
  private static final String NODE = "node-1";

  /** Online devices of the recipient (the sender has one more, which gets a copy). */
  @Param({"1", "3"})
  public int recipientDevices;

  private Vertx vertx;
  private Router router;
  private CountingSubscriber sender;
  private Message message;
  private long bytes;

  @Setup
  public void setup() {
    vertx = Vertx.vertx();
    NodeMetrics metrics = NodeMetrics.inMemory();
    LocalHub hub = new LocalHub();
    MemoryDirectory directory = new MemoryDirectory();
    sender = new CountingSubscriber("alice", "a1");
    List<CountingSubscriber> online = new ArrayList<>(List.of(sender,
        new CountingSubscriber("alice", "a2")));
    for (int i = 0; i < recipientDevices; i++) {
      online.add(new CountingSubscriber("bob", "b" + i));
    }
    for (CountingSubscriber s : online) {
      hub.add(s);
      directory.devices.computeIfAbsent(s.id.getEid(), k -> new ArrayList<>())
          .add(new Directory.Device(s.id.getEid(), s.id.getConnectionResourceId(), NODE,
              s.sessionId()));
    }
    NodeBus bus = new NodeBus(vertx, NODE, metrics, node -> true, NodeBus.MIN_RETRY_FOR_MS);
    Fanout fanout = new Fanout(NODE, hub, bus, metrics);
    router = new Router(new MemoryStore(directory), fanout, 100, 1L << 20, metrics);
    message = Message.newBuilder().setMessageId("2f9c0b7e-1d2a-4c3b-8e4f-5a6b7c8d9e0f")
        .setTo(Identity.newBuilder().setEid("bob")).setPayload(ByteString.copyFrom(new byte[100]))
        .setType(1).setTransmissionMode(2).build();
  }

  @TearDown
  public void tearDown() {
    vertx.close();
  }

  /** One message: stamp, store, ACCEPTED, lookups, encode once, push to every device. */
  @Benchmark
  public long send() {
    router.send(sender, message, sender.reserve(), System.nanoTime());
    return bytes;
  }

  /** A session that counts what it is given. */
  private final class CountingSubscriber implements Subscriber {
    final Identity id;

    CountingSubscriber(String eid, String resource) {
      id = Identity.newBuilder().setEid(eid).setConnectionResourceId(resource).setNode(NODE)
          .build();
    }

    @Override
    public Identity identity() {
      return id;
    }

    @Override
    public String sessionId() {
      return id.getConnectionResourceId();
    }

    @Override
    public void push(EncodedFrame frame, PushKind kind, StreamId stream, long offset,
        long delivered) {
      bytes += frame.delimitedLength();
    }

    @Override
    public void send(EncodedFrame frame) {
      bytes += frame.delimitedLength();
    }

    @Override
    public Reply reserve() {
      return Runnable::run; // everything completes at once here: no order to keep
    }

    @Override
    public void close(int status, String reason) {
    }
  }

  /** Offsets only: every append is a new message; devices from a fixed directory. */
  private static final class MemoryStore implements StreamStore {
    private final Map<String, long[]> heads = new HashMap<>();
    private final MemoryDirectory directory;

    MemoryStore(MemoryDirectory directory) {
      this.directory = directory;
    }

    @Override
    public Future<List<Directory.Device>> devices(String eid) {
      return directory.lookup(eid);
    }

    @Override
    public Future<AppendResult> append(String from, String to, String messageId, int type,
        byte[] message, long now) {
      long offset = ++heads.computeIfAbsent(from + '\u0000' + to, k -> new long[1])[0];
      return Future.succeededFuture(new AppendResult(AppendResult.Outcome.STORED, offset, 0,
          directory.devices.getOrDefault(to, List.of()),
          directory.devices.getOrDefault(from, List.of())));
    }

    @Override
    public Future<AckResult> acknowledge(String from, String to, long offset, boolean read,
        long now) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<PullResult> pull(String from, String to, long after, int max, long now) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<List<StreamPosition>> unacknowledged(String to) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String epoch() {
      return "jmh";
    }

    @Override
    public void close() {
    }
  }

  /** A fixed directory. */
  private static final class MemoryDirectory implements Directory {
    final Map<String, List<Device>> devices = new HashMap<>();

    @Override
    public Future<Device> register(Device device) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> unregister(Device device) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<List<Device>> lookup(String eid) {
      return Future.succeededFuture(devices.getOrDefault(eid, List.of()));
    }

    @Override
    public Future<Integer> removeNode(String node, String run, String seenBy) {
      throw new UnsupportedOperationException();
    }
  }
}

package io.phoenix.stream;

import com.hazelcast.cluster.Member;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.stream.StreamOp.Kind;
import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link StreamStore}: offsets, positions and a window of recent messages in the cluster's
 * memory (the {@code phoenix.streams} map of {@link StreamBucket}s), message bodies in a
 * {@link MessageLog} (none for {@code storage.type memory}).
 *
 * <p>How an operation travels:
 * <ol>
 *   <li>The caller's event loop hands it to the <em>store thread</em> (a queue; no lock).</li>
 *   <li>The store thread looks the message_ids of new messages up in the database, all of a
 *       drain at once (a retry of a message written long ago is answered 208), then queues each
 *       operation on its bucket. Each bucket has at most one batch on its way at a time: every
 *       operation this node has for it is sent in one entry processor, so a busy node pays one
 *       round trip for many messages, and one caller's operations on one stream are applied in
 *       the order they were made, whatever Hazelcast retries.</li>
 *   <li>The owner assigns offsets and keeps each new message in the stream's window until it is
 *       written. A stream the cluster does not hold is read from the database and put there
 *       first.</li>
 *   <li>The <em>commit thread</em> writes new messages (and the messages of other nodes below
 *       them that are not written yet: no hole below a written offset) and moved positions in
 *       group commits: one durable write for everything waiting. With {@code acceptAfter commit}
 *       an append succeeds only then; with {@code replicate} as soon as the owner and its backups
 *       hold it. The owner is then told what is written, so that it can drop bodies beyond the
 *       hot window and, later, forget idle streams.</li>
 *   <li>Each result completes on the caller's context.</li>
 * </ol>
 * Writes that fail are retried (in order) until they succeed; meanwhile new messages are
 * answered 503 before any offset is assigned to them. Every second the node also maintains the
 * buckets it owns: windows trimmed, idle saved streams forgotten, and messages that stayed
 * unwritten too long (their node died) written by this one.
 *
 * <p>Thread-safe; call from any Vert.x context. Blocking database work happens on the store,
 * commit and reader threads, never on an event loop.
 */
public final class StreamPipeline implements StreamStore {
  private static final Logger log = LoggerFactory.getLogger(StreamPipeline.class);
  /** Most operations per entry processor. */
  static final int MAX_OPS_PER_BATCH = 512;
  /** Messages waiting to be written beyond which new ones are refused (503). */
  static final int MAX_UNWRITTEN = 100_000;
  /**
   * Bytes of message bodies waiting to be stored beyond which new ones are refused (503): a
   * quarter of the heap, so that a slow or stalled database cannot make the node run out of
   * memory however many clients keep sending (each may have up to a thousand messages
   * unanswered, of up to 64 KB).
   */
  static final long MAX_WAITING_BYTES = Runtime.getRuntime().maxMemory() / 4;

  /**
   * How the pipeline is set up. {@code node} names the writer of the messages this pipeline
   * appends: one run of the node (a node restarted with the same id is another writer, so that
   * it writes what its previous run left unwritten).
   */
  public record Settings(String node, boolean commitMode, int hotWindow, long hotWindowBytes,
      int maxStreams, long idHoldMs,
      int maxKeptInMemory, long retentionMs, long maxUndelivered, long idleMs, long staleMs,
      int maxBatch) {}

  /**
   * The stages of a new message's way through the pipeline, in order, as the node's metrics
   * report them ({@link Meter#appendStages}): where the time between the caller's append and
   * its answer goes.
   */
  public enum Stage {
    /** From the caller's append to the store thread taking it. */
    QUEUED("queued"),
    /** Its message_id looked up in the database, with the others of its drain. */
    ID_CHECK("id_check"),
    /** Waiting for the previous batch of its bucket to come back. */
    BUCKET_WAIT("bucket_wait"),
    /**
     * The round trip of its batch to the bucket's owner (with, when needed, the load of its
     * stream from the database or a second check of its id).
     */
    OWNER("owner"),
    /** Waiting for the commit thread, then the commit. 0 where the commit is not awaited. */
    COMMIT("commit"),
    /** The durable mark and the device lookups, from the end of the commit. */
    MARK("mark"),
    /** The answer handed to the caller's context. */
    HAND_BACK("hand_back");

    /** The value of the metrics' {@code stage} tag. */
    public final String label;

    Stage(String label) {
      this.label = label;
    }
  }

  /** One append in this many has its stages timed (a few clock reads each). */
  static final int STAGE_SAMPLE = 16;

  /** Counts the pipeline reports (implemented by the node's metrics). */
  public interface Meter {
    void committed(int messages, long nanos);

    /**
     * The time a sampled new message (one append in {@link #STAGE_SAMPLE}) spent in each
     * {@link Stage}, indexed by its ordinal; called on the caller's context.
     */
    default void appendStages(long[] nanos) {}

    void loaded();

    void forgotten(int streams);

    /** Appends sent back by the owner to have their ids checked in the database again. */
    void rechecked(int appends);

    /**
     * Messages not written because the cluster had given their offset to another message
     * too (it lost a bucket's memory while their commit waited): appended again.
     */
    default void displaced(int messages) {}
  }

  private final Vertx vertx;
  private final IMap<Integer, StreamBucket> buckets;
  private final PartitionService partitions;
  private final MessageLog dbLog;
  private final Settings settings;
  private final Meter meter;
  private final String epoch;
  private final ExecutorService storeThread;
  /** Runs on the store thread; drops the task once the pipeline is closed. */
  private final java.util.concurrent.Executor onStoreThread;
  private final ExecutorService readers;
  private final CommitLoop<Awaiting> commits;
  private final ConcurrentLinkedQueue<Request> incoming = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  /**
   * Numbers this node's appends (with the node id, a retried request is recognised by it):
   * starting from the clock, so that a restarted node with the same id does not repeat the
   * numbers of its previous run, whose appends the cluster may still hold.
   */
  private final AtomicLong requests = new AtomicLong(System.currentTimeMillis() << 20);
  private final LongSupplier clusterTime;
  /** Bytes of the bodies of appends not answered yet (in commit mode: not written yet). */
  private final AtomicLong appending = new AtomicLong();
  @SuppressWarnings("unchecked")
  private final ArrayDeque<Request>[] queued = new ArrayDeque[StreamBucket.BUCKETS];
  private final boolean[] inFlight = new boolean[StreamBucket.BUCKETS];
  /** Store thread: drained groups waiting for their ids to be checked, in arrival order. */
  private final ArrayDeque<List<Request>> checking = new ArrayDeque<>();
  /** Store thread: whether a lookup of ids is under way on {@link #idChecks}. */
  private boolean checkRunning;
  /** The thread that looks ids up when the database's lookups block. */
  private final ExecutorService idChecks;
  private volatile boolean closed;
  private volatile long diskBytes = -1;
  private volatile Thread storeThreadRef;
  /** Store thread: answers to hand to each caller context, one task per context per round. */
  private final Map<Context, List<Runnable>> completions = new java.util.IdentityHashMap<>();
  private int upkeeps;

  /**
   * @param partitions the cluster's partition table (which buckets this member keeps up)
   * @param dbLog the database, or null when the cluster's memory is the only store
   * @param epoch the store's epoch (the database's, or the in-memory store's)
   */
  public StreamPipeline(Vertx vertx, IMap<Integer, StreamBucket> buckets,
      PartitionService partitions, MessageLog dbLog, Settings settings, Meter meter,
      String epoch) {
    this(vertx, buckets, partitions, dbLog, settings, meter, epoch, System::currentTimeMillis);
  }

  /**
   * As above, with {@code clusterTime}: the time every bucket operation carries (how long an id
   * is held, a stream idle, a message unwritten), read by the cluster's clock, since the
   * operations of every member on one bucket are compared with each other.
   */
  public StreamPipeline(Vertx vertx, IMap<Integer, StreamBucket> buckets,
      PartitionService partitions, MessageLog dbLog, Settings settings, Meter meter,
      String epoch, LongSupplier clusterTime) {
    this.clusterTime = clusterTime;
    this.vertx = vertx;
    this.buckets = buckets;
    this.partitions = partitions;
    this.dbLog = dbLog;
    this.settings = settings;
    this.meter = meter;
    this.epoch = epoch;
    for (int i = 0; i < queued.length; i++) {
      queued[i] = new ArrayDeque<>();
    }
    storeThread = Executors.newSingleThreadExecutor(named("phoenix-store"));
    onStoreThread = task -> {
      try {
        storeThread.execute(() -> {
          storeThreadRef = Thread.currentThread();
          try {
            task.run();
          } finally {
            flushCompletions();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException stopping) {
        // closed: nobody waits for the answer any more
      }
    };
    readers = Executors.newFixedThreadPool(2, named("phoenix-store-read"));
    idChecks = Executors.newSingleThreadExecutor(named("phoenix-store-ids"));
    commits = dbLog == null ? null : new CommitLoop<>(dbLog, settings.maxBatch(), meter,
        this::written);
  }

  private static java.util.concurrent.ThreadFactory named(String name) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, name + (name.endsWith("read") ? "-" + n.incrementAndGet() : ""));
      t.setDaemon(true);
      return t;
    };
  }

  /** The name of the map holding every bucket. */
  public static final String MAP_NAME = "phoenix.streams";

  @Override
  public String epoch() {
    return epoch;
  }

  /** Whether new messages can be taken (the database accepts writes, the backlog is bounded). */
  public boolean healthy() {
    return commits == null || commits.healthy();
  }

  // ------------------------------------------------------------------ the four operations

  @Override
  public Future<AppendResult> append(String from, String to, String messageId, int type,
      byte[] message, long now) {
    if (commits != null && !commits.healthy()) {
      return Future.failedFuture(new UnavailableException("the database is not accepting writes"));
    }
    if (commits != null && commits.unwritten() > MAX_UNWRITTEN) {
      return Future.failedFuture(new UnavailableException("too many messages wait to be written"));
    }
    // answered after they are written in commit mode; in replicate mode, the unwritten ones
    // were answered already
    long waiting = appending.get() + (commits == null || settings.commitMode() ? 0
        : commits.unwrittenBytes());
    if (waiting + message.length > MAX_WAITING_BYTES) {
      return Future.failedFuture(new UnavailableException("too many bytes wait to be stored"));
    }
    appending.addAndGet(message.length);
    StreamOp op = StreamOp.append(from, to, messageId, type, message, requests.incrementAndGet());
    Future<OpResult> stored = submit(op).onComplete(r -> appending.addAndGet(-message.length));
    return stored.map(r -> switch (r.code) {
      case OpResult.STORED -> new AppendResult(AppendResult.Outcome.STORED, r.offset,
          r.delivered, devicesOf(r, to), devicesOf(r, from));
      case OpResult.DUPLICATE -> new AppendResult(AppendResult.Outcome.DUPLICATE, r.offset,
          r.delivered, List.of(), List.of());
      default -> new AppendResult(AppendResult.Outcome.FULL, 0, r.delivered, List.of(),
          List.of());
    });
  }

  @Override
  public Future<AckResult> acknowledge(String from, String to, long offset, boolean read,
      long now) {
    return submit(StreamOp.ack(from, to, offset, read)).map(r -> new AckResult(
        r.has(OpResult.ACCEPTED), r.delivered, r.read, r.head, r.has(OpResult.ADVANCED),
        r.has(OpResult.FORWARD), devicesOf(r, to), devicesOf(r, from)));
  }

  @Override
  public Future<List<Device>> devices(String eid) {
    return submit(StreamOp.devices(eid)).map(r -> devicesOf(r, eid));
  }

  /** The devices of {@code eid} a result carries. */
  private static List<Device> devicesOf(OpResult r, String eid) {
    List<Device> out = new ArrayList<>(2);
    for (String[] d : r.devices) {
      if (d[0].equals(eid)) {
        out.add(new Device(d[0], d[1], d[2], d[3]));
      }
    }
    return out;
  }

  @Override
  public Future<PullResult> pull(String from, String to, long after, int max, long now) {
    return submit(StreamOp.pull(from, to, after, max)).map(r -> {
      List<StoredMessage> out = new ArrayList<>(r.entries.size());
      for (MessageLog.Entry e : r.entries) {
        out.add(new StoredMessage(e.offset(), e.body()));
      }
      return new PullResult(out, r.head, r.delivered, r.read < r.head);
    });
  }

  @Override
  public Future<List<StreamPosition>> unacknowledged(String to) {
    return submit(StreamOp.positions(to)).map(r -> {
      List<StreamPosition> out = new ArrayList<>(r.senders.size());
      for (int i = 0; i < r.senders.size(); i++) {
        long[] p = r.positions.get(i);
        if (p[0] > p[1]) {
          out.add(new StreamPosition(r.senders.get(i), to, p[0], p[1], p[2]));
        }
      }
      return out;
    });
  }

  // ------------------------------------------------------------------ the store thread

  /** Runs {@code answer} on {@code context}: batched per context when on the store thread. */
  private void deliver(Context context, Runnable answer) {
    if (Thread.currentThread() == storeThreadRef) {
      completions.computeIfAbsent(context, c -> new ArrayList<>(4)).add(answer);
    } else {
      context.runOnContext(v -> answer.run());
    }
  }

  /** Store thread, at the end of each task: one context switch per caller context. */
  private void flushCompletions() {
    if (completions.isEmpty()) {
      return;
    }
    completions.forEach((context, answers) -> context.runOnContext(v -> {
      for (Runnable a : answers) {
        a.run();
      }
    }));
    completions.clear();
  }

  /** One operation on its way, with where its answer goes. */
  private final class Request {
    final StreamOp op;
    final int bucket;
    final Context context;
    final Promise<OpResult> promise;
    /** For the pipeline's own operations: what to do with the answer, on the store thread. */
    final java.util.function.Consumer<OpResult> internal;
    /** The time of the batch that carried it (the owner's acceptedAt of a new message). */
    long sentAt;
    /**
     * For a sampled append: {@code System.nanoTime()} when it entered each {@link Stage} (index
     * = ordinal), then when its answer ran on the caller's context (last); 0 where not (yet)
     * passed. Null when not sampled.
     */
    final long[] stageStarts;

    Request(StreamOp op, Context context, Promise<OpResult> promise) {
      this.op = op;
      this.bucket = StreamBucket.of(op.to);
      this.context = context;
      this.promise = promise;
      this.internal = null;
      if (op.kind == Kind.APPEND && op.request % STAGE_SAMPLE == 0) {
        stageStarts = new long[Stage.values().length + 1];
        stageStarts[0] = System.nanoTime();
      } else {
        stageStarts = null;
      }
    }

    /** One of the pipeline's own operations, on a given bucket. */
    Request(StreamOp op, int bucket, java.util.function.Consumer<OpResult> internal) {
      this.op = op;
      this.bucket = bucket;
      this.context = null;
      this.promise = Promise.promise();
      this.internal = internal;
      this.stageStarts = null;
    }

    /** A sampled append entered {@code stage} at {@code nanoTime} (the first time only). */
    void entered(Stage stage, long nanoTime) {
      if (stageStarts != null && stageStarts[stage.ordinal()] == 0) {
        stageStarts[stage.ordinal()] = nanoTime;
      }
    }

    /** Caller's context: a sampled new message is answered; reports its stages. */
    private void reportStages(OpResult r) {
      if (stageStarts == null || r.code != OpResult.STORED) {
        return;
      }
      long[] t = stageStarts;
      t[t.length - 1] = System.nanoTime();
      long[] nanos = new long[t.length - 1];
      for (int i = 1; i < t.length; i++) {
        if (t[i] == 0) {
          t[i] = t[i - 1]; // a stage not passed (no awaited commit) took no time
        }
        nanos[i - 1] = t[i] - t[i - 1];
      }
      meter.appendStages(nanos);
    }

    void complete(OpResult r) {
      if (internal != null) {
        internal.accept(r);
      } else if (context == null) {
        promise.tryComplete(r);
      } else {
        deliver(context, () -> {
          reportStages(r); // only for a sampled new message
          promise.tryComplete(r);
        });
      }
    }

    void fail(Throwable t) {
      if (internal != null) {
        if (t instanceof UnavailableException) { // said once, by the membership log
          log.debug("{} failed: {}", op.kind, t.getMessage());
        } else if (op.kind == Kind.DURABLE) {
          // its messages stay unwritten in the window: upkeep hands them back once stale, and
          // their write is marked again
          log.debug("{} failed: {}", op.kind, t.toString());
        } else {
          log.warn("{} failed: {}", op.kind, t.toString());
        }
        internal.accept(OpResult.done(false)); // what waits on it goes on without it
      } else if (context == null) {
        promise.tryFail(t);
      } else {
        deliver(context, () -> promise.tryFail(t));
      }
    }
  }

  /** Why a bucket operation is refused while the cluster has too few members. */
  static final String BELOW_MINIMUM_MEMBERS =
      "the cluster has fewer members than cluster.minimumMembers";

  /** Whether Hazelcast refused an operation for the split-brain protection (or a cause of it). */
  private static boolean belowMinimum(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SplitBrainProtectionException) {
        return true;
      }
    }
    return false;
  }

  Future<OpResult> submit(StreamOp op) {
    Promise<OpResult> promise = Promise.promise();
    if (closed) {
      return Future.failedFuture(new UnavailableException("the node is stopping"));
    }
    incoming.add(new Request(op, Vertx.currentContext(), promise));
    if (draining.compareAndSet(false, true)) {
      onStoreThread.execute(this::drain);
    }
    return promise.future();
  }

  /**
   * Store thread: takes what arrived and queues it on its buckets, once the ids of its new
   * messages are checked against the database.
   */
  private void drain() {
    draining.set(false);
    List<Request> group = new ArrayList<>();
    boolean appends = false;
    long now = System.nanoTime();
    for (Request r; (r = incoming.poll()) != null; ) {
      r.entered(Stage.ID_CHECK, now);
      if (dbLog == null) {
        r.entered(Stage.BUCKET_WAIT, now); // no ids to check
      }
      group.add(r);
      appends |= r.op.kind == Kind.APPEND;
    }
    if (group.isEmpty()) {
      return;
    }
    if (dbLog == null || (!appends && checking.isEmpty() && !checkRunning)) {
      enqueue(group);
      return;
    }
    checking.addLast(group);
    if (!checkRunning) {
      checkIds();
    }
  }

  /** Store thread: queues a group on its buckets, in its order, and sends what can go. */
  private void enqueue(List<Request> group) {
    Set<Integer> touched = new HashSet<>();
    long now = System.nanoTime();
    for (Request r : group) {
      r.entered(Stage.BUCKET_WAIT, now);
      queued[r.bucket].addLast(r);
      touched.add(r.bucket);
    }
    for (int b : touched) {
      sendNext(b);
    }
  }

  /**
   * Store thread: finds new messages whose id the database already holds (a late retry: 208
   * for them), for every group waiting, in one lookup. A database whose lookups block
   * (PostgreSQL: a network round trip) is asked on a thread of its own, so that the store
   * thread goes on with the cluster's answers meanwhile, and what arrives during the lookup is
   * checked together by the next one; groups are queued in the order they arrived either way.
   */
  private void checkIds() {
    List<List<Request>> groups = new ArrayList<>(checking);
    checking.clear();
    List<Request> appends = new ArrayList<>();
    for (List<Request> g : groups) {
      for (Request r : g) {
        if (r.op.kind == Kind.APPEND) {
          appends.add(r);
        }
      }
    }
    checkRunning = true;
    lookUpIds(appends, found -> {
      checkRunning = false;
      checked(groups, appends, found);
      if (!checking.isEmpty()) {
        checkIds();
      }
    });
  }

  /**
   * Store thread: looks the appends' ids up in the database, then hands {@code then}, on the
   * store thread, their offsets ({@code long[]}, 0 where absent) or the {@link LogException}
   * that stopped the lookup. Right away when lookups do not block; else on the lookup thread,
   * the store thread going on meanwhile.
   */
  private void lookUpIds(List<Request> appends, java.util.function.Consumer<Object> then) {
    List<MessageLog.IdKey> keys = new ArrayList<>(appends.size());
    for (Request r : appends) {
      keys.add(new MessageLog.IdKey(r.op.from, r.op.to, r.op.messageId));
    }
    if (!dbLog.lookupsBlock()) {
      then.accept(lookUp(keys));
      return;
    }
    idChecks.execute(() -> {
      Object found = lookUp(keys);
      onStoreThread.execute(() -> then.accept(found));
    });
  }

  /** The offsets of the ids ({@code long[]}), or the {@link LogException} that stopped it. */
  private Object lookUp(List<MessageLog.IdKey> keys) {
    try {
      return keys.isEmpty() ? new long[0] : dbLog.offsetsOf(keys);
    } catch (LogException e) {
      return e;
    } catch (RuntimeException e) {
      return unexpected(e);
    }
  }

  /**
   * An exception the database layer should not throw, as the {@link LogException} its callers
   * answer (503, the commit loop told): thrown out of a task instead, it would leave the
   * request unanswered for good, and with it the bucket or the id checks that wait on it.
   */
  private static LogException unexpected(RuntimeException e) {
    log.error("the database failed unexpectedly", e);
    return new LogException("the database failed: " + e, e);
  }

  /**
   * Store thread: puts a lookup's offsets on the appends, or, when it failed, answers them 503
   * (and tells the commit loop the database is failing). Whether the lookup succeeded.
   */
  private boolean applyLookup(List<Request> appends, Object found) {
    if (found instanceof long[] offsets) {
      for (int i = 0; i < offsets.length; i++) {
        appends.get(i).op.offset = offsets[i];
      }
      return true;
    }
    LogException e = (LogException) found;
    commits.failed(e);
    for (Request r : appends) {
      r.fail(new UnavailableException(e.getMessage()));
    }
    return false;
  }

  /** Store thread: applies a lookup's answer, then queues the groups in their order. */
  private void checked(List<List<Request>> groups, List<Request> appends, Object found) {
    Set<Request> refused = null;
    if (!applyLookup(appends, found)) {
      refused = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      refused.addAll(appends);
    }
    for (List<Request> g : groups) {
      if (refused != null) {
        g.removeIf(refused::contains);
      }
      enqueue(g);
    }
  }

  /** Store thread: sends the bucket's next batch unless one is on its way. */
  private void sendNext(int b) {
    if (inFlight[b] || queued[b].isEmpty()) {
      return;
    }
    List<Request> sent = new ArrayList<>(Math.min(queued[b].size(), MAX_OPS_PER_BATCH));
    boolean readOnly = true;
    while (!queued[b].isEmpty() && sent.size() < MAX_OPS_PER_BATCH) {
      Request r = queued[b].poll();
      sent.add(r);
      readOnly &= r.op.readOnly();
    }
    BucketBatch batch = readOnly ? new BucketBatch.ReadBatch() : new BucketBatch();
    configure(batch);
    long now = System.nanoTime();
    for (Request r : sent) {
      r.entered(Stage.OWNER, now);
      batch.ops.add(r.op);
      r.sentAt = batch.now;
    }
    inFlight[b] = true;
    buckets.submitToKey(b, batch).whenCompleteAsync((results, failure) -> {
      inFlight[b] = false;
      if (failure != null) {
        Throwable cause = belowMinimum(failure)
            ? new UnavailableException(BELOW_MINIMUM_MEMBERS) : failure;
        for (Request r : sent) {
          r.fail(cause);
        }
      } else {
        answered(b, sent, results.results);
      }
      sendNext(b);
    }, onStoreThread);
  }

  private void configure(BucketBatch batch) {
    batch.now = clusterTime.getAsLong();
    batch.node = settings.node();
    batch.keepAll = dbLog == null;
    batch.commitMode = settings.commitMode();
    batch.hotWindow = settings.hotWindow();
    batch.hotBytes = settings.hotWindowBytes() / StreamBucket.BUCKETS;
    batch.maxStreams = Math.max(1, settings.maxStreams() / StreamBucket.BUCKETS);
    batch.idHoldMs = settings.idHoldMs();
    batch.maxKept = settings.maxKeptInMemory();
    batch.retentionMs = settings.retentionMs();
    batch.maxUndelivered = settings.maxUndelivered();
    batch.idleMs = settings.idleMs();
    batch.staleMs = settings.staleMs();
  }

  /** Store thread: what to do with each answer of a batch. */
  private void answered(int b, List<Request> sent, List<OpResult> results) {
    long now = System.nanoTime();
    List<Request> missing = new ArrayList<>();
    List<Request> again = null;
    for (int i = 0; i < sent.size(); i++) {
      Request r = sent.get(i);
      OpResult result = results.get(i);
      if (result.code == OpResult.MISSING) {
        missing.add(r);
      } else if (result.code == OpResult.RECHECK) {
        r.op.heldAfter = result.offset;
        if (again == null) {
          again = new ArrayList<>();
        }
        again.add(r);
      } else {
        r.entered(Stage.COMMIT, now);
        settle(r, result);
      }
    }
    if (!missing.isEmpty()) {
      // the streams are read first; the bucket sends nothing meanwhile, then the re-checks
      List<Request> recheck = again;
      load(b, missing, recheck == null ? null : () -> recheck(b, recheck));
    } else if (again != null) {
      recheck(b, again);
    }
  }

  /**
   * Store thread: appends whose id the owner may hold below its window (written while their
   * check of the database ran) are checked again, then sent again ahead of anything queued
   * since; the bucket sends nothing else meanwhile, so that no later append of their streams
   * overtakes them.
   */
  private void recheck(int b, List<Request> again) {
    meter.rechecked(again.size());
    inFlight[b] = true;
    lookUpIds(again, found -> {
      if (applyLookup(again, found)) {
        for (int i = again.size() - 1; i >= 0; i--) {
          queued[b].addFirst(again.get(i));
        }
      }
      inFlight[b] = false;
      sendNext(b);
    });
  }

  /**
   * Store thread: reads of streams the cluster does not hold are answered by the database
   * alone; for changes, the streams are read from the database and put in the cluster, then
   * the operations are sent again, in their order, ahead of anything queued since. The bucket
   * sends nothing else until then ({@code next} runs after, if any). With a database whose
   * reads block, the reads run on the id-check thread, not on the store thread.
   *
   * <p>The message_ids of the appends are checked in the database again with the read: their
   * first check may have run before a first copy of the message was written, and a stream read
   * back from the database holds none of its ids (the owner cannot tell a retry from a new
   * message). Read after the stream was forgotten, which is after everything in it was
   * written, the check sees every earlier copy.
   */
  private void load(int b, List<Request> missing, Runnable next) {
    List<Request> changes = new ArrayList<>(missing.size());
    for (Request r : missing) {
      if (r.op.readOnly()) {
        readFromDatabase(r);
      } else {
        changes.add(r);
      }
    }
    if (changes.isEmpty()) {
      if (next != null) {
        next.run();
      }
      return;
    }
    inFlight[b] = true;
    if (!dbLog.lookupsBlock()) {
      loaded(b, changes, readStreams(changes), next);
      return;
    }
    idChecks.execute(() -> {
      Object read = readStreams(changes);
      onStoreThread.execute(() -> loaded(b, changes, read, next));
    });
  }

  /**
   * What {@link #load} reads: the streams' loads by key, and the offsets of the appends' ids
   * (in the order of the appends to streams that have messages; none for a new stream).
   */
  private record StreamsRead(Map<String, StreamOp> loads, long[] offsets) {}

  /** The streams of these changes and the offsets of their appends' ids, or the LogException. */
  private Object readStreams(List<Request> changes) {
    try {
      Map<String, StreamOp> loads = new HashMap<>();
      List<MessageLog.IdKey> ids = new ArrayList<>();
      for (Request r : changes) {
        String key = r.op.from + '\u0000' + r.op.to;
        StreamOp load = loads.get(key);
        if (load == null) {
          MessageLog.StreamRow row = dbLog.stream(r.op.from, r.op.to);
          load = row == null ? StreamOp.load(r.op.from, r.op.to, 0, 0, 0, null)
              : StreamOp.load(r.op.from, r.op.to, row.head(), row.delivered(), row.read(),
                  row.runs());
          loads.put(key, load);
        }
        if (r.op.kind == Kind.APPEND && load.offset > 0) {
          ids.add(new MessageLog.IdKey(r.op.from, r.op.to, r.op.messageId));
        }
      }
      return new StreamsRead(loads, ids.isEmpty() ? new long[0] : dbLog.offsetsOf(ids));
    } catch (LogException e) {
      return e;
    } catch (RuntimeException e) {
      return unexpected(e);
    }
  }

  /** Store thread: the streams read, the operations go first in the bucket's queue. */
  private void loaded(int b, List<Request> changes, Object read, Runnable next) {
    if (read instanceof LogException e) {
      commits.failed(e);
      for (Request r : changes) {
        r.fail(new UnavailableException(e.getMessage()));
      }
    } else {
      StreamsRead streams = (StreamsRead) read;
      for (int k = 0; k < streams.loads().size(); k++) {
        meter.loaded();
      }
      int i = 0;
      List<Request> front = new ArrayList<>(changes.size() + streams.loads().size());
      Set<String> placed = new HashSet<>();
      for (Request r : changes) {
        String key = r.op.from + '\u0000' + r.op.to;
        StreamOp load = streams.loads().get(key);
        if (r.op.kind == Kind.APPEND && load.offset > 0) {
          long found = streams.offsets()[i++];
          if (found > 0) {
            r.op.offset = found;
          }
        }
        if (placed.add(key)) {
          front.add(new Request(load, null, Promise.promise()));
        }
        front.add(r);
      }
      for (int j = front.size() - 1; j >= 0; j--) {
        queued[b].addFirst(front.get(j));
      }
    }
    if (next != null) {
      next.run(); // the bucket stays held until it is done
    } else {
      inFlight[b] = false;
      sendNext(b);
    }
  }

  /** Store thread: an answer from the bucket's owner becomes the caller's result. */
  private void settle(Request r, OpResult result) {
    if (r.internal != null && r.op.kind != Kind.MAINTAIN && r.op.kind != Kind.APPEND) {
      r.internal.accept(result);
      return;
    }
    switch (r.op.kind) {
      case APPEND -> settleAppend(r, result);
      case ACK -> {
        if (!result.has(OpResult.ADVANCED)) {
          r.complete(result);
        } else if (dbLog != null) {
          MessageLog.StreamRow row = new MessageLog.StreamRow(r.op.from, r.op.to, 0,
              result.delivered, result.read, result.runs);
          write(List.of(), List.of(row), settings.commitMode() ? r : null, result);
          if (!settings.commitMode()) {
            completeWithDevices(r, result);
          }
        } else {
          completeWithDevices(r, result);
        }
      }
      case PULL -> {
        if (dbLog != null && r.op.offset + 1 < result.offset && r.op.max > 0) {
          readBelowWindow(r, result);
        } else {
          r.complete(result);
        }
      }
      case POSITIONS -> {
        if (dbLog != null) {
          mergeBacklog(r, result);
        } else {
          r.complete(result);
        }
      }
      case MAINTAIN -> {
        if (result.offset > 0) {
          meter.forgotten((int) result.offset);
        }
        if (dbLog != null && !result.entries.isEmpty()) {
          log.info("writing {} messages left unwritten by their node", result.entries.size());
          write(result.entries, rowsOf(result.entries), null, null);
        }
      }
      default -> r.complete(result);
    }
  }

  private void settleAppend(Request r, OpResult result) {
    boolean newMessage = result.code == OpResult.STORED;
    boolean unwrittenDuplicate = result.code == OpResult.DUPLICATE && !result.entries.isEmpty();
    if (dbLog == null || !(newMessage || unwrittenDuplicate)) {
      if (newMessage) {
        completeWithDevices(r, result);
      } else {
        r.complete(result);
      }
      return;
    }
    List<MessageLog.Entry> entries = new ArrayList<>(result.entries.size() + 1);
    entries.addAll(result.entries); // other nodes' unwritten messages below (or the original)
    if (newMessage) {
      StreamOp op = r.op;
      entries.add(new MessageLog.Entry(op.from, op.to, result.offset, op.messageId, op.type,
          r.sentAt, op.body));
    }
    MessageLog.StreamRow row = new MessageLog.StreamRow(r.op.from, r.op.to,
        entries.get(entries.size() - 1).offset(), 0, 0, result.runs);
    write(entries, List.of(row), settings.commitMode() ? r : null, result);
    if (!settings.commitMode()) {
      if (newMessage && r.internal == null) {
        completeWithDevices(r, result);
      } else {
        r.complete(result);
      }
    }
  }

  /** A result waiting for its commit, then for the devices its frames go to. */
  private final class Awaiting implements CommitLoop.Waiter {
    final Request request;
    final OpResult result;
    /** Device lookups not answered yet. */
    int left;

    Awaiting(Request request, OpResult result) {
      this.request = request;
      this.result = result;
    }

    /** The eids whose devices the result's frames go to. */
    List<String> eids() {
      StreamOp op = request.op;
      boolean senders = op.kind == Kind.APPEND
          ? op.type == io.phoenix.protocol.v1.MessageType.SENDER_VALUE
          : result.has(OpResult.FORWARD);
      return senders && !op.from.equals(op.to) ? List.of(op.to, op.from) : List.of(op.to);
    }

    @Override
    public void failed(Throwable t) {
      request.fail(new UnavailableException(t.getMessage()));
    }
  }

  /** Store thread: looks up the devices of one result's frames, then completes it. */
  private void completeWithDevices(Request r, OpResult result) {
    enqueue(deviceLookups(List.of(new Awaiting(r, result))));
  }

  /**
   * Store thread: the lookups of the devices the results' frames go to — the recipient's (for
   * an append) or the acknowledging eid's (for an acknowledgement), and the sender's where
   * copies or forwards go to it — each completing its results once all of theirs are answered.
   * One lookup per eid serves every result that needs it. Queued on the eids' buckets behind
   * what is already there, they see every device that registered before the messages were
   * stored (after their commit in commit mode).
   */
  private List<Request> deviceLookups(List<Awaiting> results) {
    Map<String, List<Awaiting>> byEid = new HashMap<>();
    for (Awaiting a : results) {
      List<String> eids = a.eids();
      a.left = eids.size();
      for (String eid : eids) {
        byEid.computeIfAbsent(eid, e -> new ArrayList<>(4)).add(a);
      }
    }
    List<Request> lookups = new ArrayList<>(byEid.size());
    byEid.forEach((eid, waiting) -> lookups.add(new Request(StreamOp.devices(eid),
        StreamBucket.of(eid), found -> {
          long now = System.nanoTime();
          for (Awaiting a : waiting) {
            a.result.addDevices(found.devices);
            if (--a.left == 0) {
              a.request.entered(Stage.HAND_BACK, now);
              a.request.complete(a.result);
            }
          }
        })));
    return lookups;
  }

  /** Hands entries and rows to the commit thread; {@code waiting} completes once written. */
  private void write(List<MessageLog.Entry> entries, List<MessageLog.StreamRow> rows,
      Request waiting, OpResult result) {
    commits.stage(entries, rows, waiting == null ? null : new Awaiting(waiting, result));
  }

  private static List<MessageLog.StreamRow> rowsOf(List<MessageLog.Entry> entries) {
    Map<String, MessageLog.StreamRow> rows = new HashMap<>();
    for (MessageLog.Entry e : entries) {
      rows.merge(e.from() + '\u0000' + e.to(),
          new MessageLog.StreamRow(e.from(), e.to(), e.offset(), 0, 0, null),
          (a, b) -> a.head() >= b.head() ? a : b);
    }
    return new ArrayList<>(rows.values());
  }

  /**
   * Commit thread: these are written. One task of the store thread tells the buckets' owners
   * (DURABLE, which makes the messages visible to pulls) and, queued behind on the same
   * buckets, looks up the devices of the waiters' results, so that the mark and the lookups
   * of a bucket travel in one batch, and the lookups (hence the ACCEPTED answers) come back
   * after the mark: a pull made after an ACCEPTED sees the message.
   *
   * <p>Entries {@code displaced} from an offset another message holds (the cluster gave it
   * twice: see {@link MessageLog#commit}) are not answered: their streams are forgotten
   * ({@link Kind#FORGET}, ahead of everything else on their buckets) and their appends are
   * made again, as new ones, from the id check on; the sender is answered at the new offset.
   */
  private void written(List<MessageLog.Entry> entries, List<MessageLog.StreamRow> rows,
      List<Awaiting> waiters, List<MessageLog.Entry> displaced) {
    long now = System.nanoTime();
    for (Awaiting a : waiters) {
      a.request.entered(Stage.MARK, now);
    }
    // stream → the offsets of its displaced entries
    Map<String, List<Long>> lost = displaced.isEmpty() ? Map.of() : new HashMap<>();
    Set<String> lostEntries = displaced.isEmpty() ? Set.of() : new HashSet<>();
    for (MessageLog.Entry e : displaced) {
      lost.computeIfAbsent(e.from() + '\u0000' + e.to(), k -> new ArrayList<>()).add(e.offset());
      lostEntries.add(e.from() + '\u0000' + e.to() + '\u0000' + e.offset() + '\u0000'
          + e.messageId());
    }
    Map<String, Mark> streams = new HashMap<>();
    for (MessageLog.Entry e : entries) {
      streams.computeIfAbsent(e.from() + '\u0000' + e.to(), k -> new Mark()).wrote(e);
    }
    for (MessageLog.StreamRow row : rows) {
      Mark m = streams.computeIfAbsent(row.from() + '\u0000' + row.to(), k -> new Mark());
      m.delivered = Math.max(m.delivered, row.delivered());
      m.read = Math.max(m.read, row.read());
    }
    List<Request> marks = new ArrayList<>(streams.size() + lost.size());
    lost.forEach((key, offsets) -> {
      int split = key.indexOf('\u0000');
      marks.add(forget(key.substring(0, split), key.substring(split + 1),
          offsets.stream().mapToLong(Long::longValue).toArray()));
    });
    streams.forEach((key, m) -> {
      if (lost.containsKey(key)) {
        return; // forgotten: read back from the database, which has the positions
      }
      int split = key.indexOf('\u0000');
      marks.add(mark(StreamOp.durable(key.substring(0, split), key.substring(split + 1),
          m.upTo, m.delivered, m.read, m.written())));
    });
    List<Awaiting> answered = waiters;
    List<Request> again = List.of();
    if (!displaced.isEmpty()) {
      answered = new ArrayList<>(waiters.size());
      again = new ArrayList<>();
      for (Awaiting a : waiters) {
        StreamOp op = a.request.op;
        // its own message displaced (a retry waits for the same one), not another of the
        // commit that kept the offset
        if (op.kind == Kind.APPEND && lostEntries.contains(op.from + '\u0000' + op.to + '\u0000'
            + a.result.offset + '\u0000' + op.messageId)) {
          again.add(a.request);
        } else {
          answered.add(a);
        }
      }
      log.warn("{} messages were given an offset another message holds (the cluster lost a "
          + "bucket, or a member apart from it gave them too, while a commit waited): {} "
          + "streams read back again, {} appends made again",
          displaced.size(), lost.size(), again.size());
      meter.displaced(displaced.size());
      if (!settings.commitMode()) {
        again.addAll(reappends(displaced)); // answered already: stored, at a new offset
      }
    }
    List<Awaiting> lookups = answered;
    List<Request> appendAgain = again;
    onStoreThread.execute(() -> {
      marks.addAll(deviceLookups(lookups)); // behind the marks, in the same batches
      enqueue(marks);
      if (!appendAgain.isEmpty()) {
        appendAgain(appendAgain);
      }
    });
  }

  /** What one commit wrote on one stream: the DURABLE mark it makes. */
  private static final class Mark {
    long upTo;
    long delivered;
    long read;
    /** {offset, id hash} pairs, {@code n} longs of it used. */
    private long[] written;
    private int n;

    void wrote(MessageLog.Entry e) {
      upTo = Math.max(upTo, e.offset());
      if (written == null) {
        written = new long[4];
      } else if (n == written.length) {
        written = Arrays.copyOf(written, n * 2);
      }
      written[n++] = e.offset();
      written[n++] = StreamState.idHash(e.messageId());
    }

    long[] written() {
      return written == null ? null : n == written.length ? written : Arrays.copyOf(written, n);
    }
  }

  /**
   * A DURABLE mark. Should its stream hold other messages at the offsets written (the
   * cluster gave an offset twice), the bucket forgets the stream instead, and what it answers,
   * the other nodes' unwritten messages, is written, as after a {@link Kind#FORGET}.
   */
  private Request mark(StreamOp op) {
    return new Request(op, StreamBucket.of(op.to), r -> {
      if (r.runs != null) {
        log.warn("{} -> {}: the stream held other messages at {} than were written there (the "
            + "cluster gave those offsets twice): read back from the database", op.from, op.to,
            Arrays.toString(r.runs));
      }
      writeHandedBack(r);
    });
  }

  /** A {@link Kind#FORGET} whose answer, the other nodes' unwritten messages, is written. */
  private Request forget(String from, String to, long[] displaced) {
    return new Request(StreamOp.forget(from, to, displaced), StreamBucket.of(to),
        this::writeHandedBack);
  }

  /** Writes the unwritten messages a bucket handed back (their own node may have died). */
  private void writeHandedBack(OpResult r) {
    if (!r.entries.isEmpty()) {
      write(r.entries, rowsOf(r.entries), null, null);
    }
  }

  /**
   * Replicate mode: the appends of displaced messages, already answered at the offset they
   * lost, made again by the pipeline itself so that they are stored (at a new offset; their
   * recipients find them by SYNC). A message of another node that node makes again too: the
   * second one is a duplicate.
   */
  private List<Request> reappends(List<MessageLog.Entry> displaced) {
    List<Request> out = new ArrayList<>(displaced.size());
    for (MessageLog.Entry e : displaced) {
      out.add(new Request(StreamOp.append(e.from(), e.to(), e.messageId(), e.type(), e.body(),
          0), StreamBucket.of(e.to()), r -> {
            if (r.code != OpResult.STORED && r.code != OpResult.DUPLICATE) {
              log.warn("a displaced message {} -> {} could not be stored again", e.from(),
                  e.to());
            }
          }));
    }
    return out;
  }

  /**
   * Store thread: appends whose offset was given twice go through the pipeline again, as new
   * ones (a new request number; their id checked in the database again), behind the
   * {@link Kind#FORGET} of their streams, in their order.
   */
  private void appendAgain(List<Request> again) {
    for (Request r : again) {
      r.op.offset = 0;
      r.op.heldAfter = 0;
      r.op.request = requests.incrementAndGet();
    }
    checking.addLast(new ArrayList<>(again));
    if (!checkRunning) {
      checkIds();
    }
  }

  // ------------------------------------------------------------------ the directory

  /**
   * Puts a device in the directory; answers the device it replaced, or null, or fails with
   * {@link io.phoenix.cluster.Directory.Superseded} when a session of the device opened later
   * holds the entry.
   */
  public Future<Device> register(Device d) {
    return register(d, 0);
  }

  /**
   * The same, failing with {@link io.phoenix.cluster.Directory.TooManyDevices} when the device
   * is new and its eid has {@code maxDevices} online already (0: no bound).
   */
  public Future<Device> register(Device d, int maxDevices) {
    return submit(StreamOp.register(d.eid(), d.resource(), d.node(), d.sessionId(), maxDevices))
        .compose(r -> {
          if (r.code == OpResult.FULL) {
            return Future.failedFuture(
                new io.phoenix.cluster.Directory.TooManyDevices(maxDevices));
          }
          Device other = r.devices.isEmpty() ? null : devicesOf(r, d.eid()).get(0);
          return r.has(OpResult.ADVANCED) ? Future.succeededFuture(other)
              : Future.failedFuture(new io.phoenix.cluster.Directory.Superseded(other));
        });
  }

  /** Removes a device if it is still the given session. */
  public Future<Void> unregister(Device d) {
    return submit(StreamOp.unregister(d.eid(), d.resource(), d.sessionId())).mapEmpty();
  }

  /**
   * Removes every device held by one run of {@code node} (session ids starting with
   * {@link io.phoenix.cluster.Directory#sessionPrefix}) from every bucket, unless the member
   * {@code seenBy} (the uuid of the one that saw it leave) is not in the cluster when a bucket
   * applies it; answers how many.
   */
  public Future<Integer> removeNode(String node, String run, String seenBy) {
    Context context = Vertx.currentContext();
    Promise<Integer> done = Promise.promise();
    onStoreThread.execute(() -> {
      int[] left = {StreamBucket.BUCKETS};
      int[] removed = {0};
      for (int b = 0; b < StreamBucket.BUCKETS; b++) {
        queued[b].addLast(new Request(StreamOp.removeNode(node, run, seenBy), b, r -> {
          removed[0] += (int) r.offset;
          if (--left[0] == 0) {
            if (context == null) {
              done.complete(removed[0]);
            } else {
              context.runOnContext(v -> done.complete(removed[0]));
            }
          }
        }));
        sendNext(b);
      }
    });
    return done.future();
  }

  // ------------------------------------------------------------------ database reads

  private void readFromDatabase(Request r) {
    readers.execute(() -> {
      try {
        OpResult out;
        if (r.op.kind == Kind.PULL) {
          MessageLog.StreamRow row = dbLog.stream(r.op.from, r.op.to);
          out = OpResult.pulled(row == null ? 0 : row.head(), row == null ? 0 : row.delivered(),
              row == null ? 1 : row.head() + 1);
          out.read = out.head;
          if (row != null && r.op.max > 0) {
            out.addEntries(dbLog.read(r.op.from, r.op.to, r.op.offset, row.head() + 1,
                r.op.max, clusterTime.getAsLong() - settings.retentionMs()));
            if (out.entries.size() == r.op.max) {
              out.read = out.entries.get(out.entries.size() - 1).offset();
            }
          }
        } else {
          out = OpResult.positions();
          for (MessageLog.StreamRow row : dbLog.backlogInto(r.op.to)) {
            out.addPosition(row.from(), row.head(), row.delivered(), row.read());
          }
        }
        r.complete(out);
      } catch (LogException e) {
        r.fail(new UnavailableException(e.getMessage()));
      } catch (RuntimeException e) {
        r.fail(new UnavailableException(unexpected(e).getMessage()));
      }
    });
  }

  /** How long a pull that stops at a message not written yet waits before it is answered. */
  static final long UNWRITTEN_RETRY_MS = 100;

  /**
   * The first of {@code carried} (ascending offsets, or null) that {@code read}, a database
   * read of at most {@code max} entries, should hold and does not; 0 when none.
   */
  static long firstMissing(long[] carried, List<MessageLog.Entry> read, int max) {
    if (carried == null) {
      return 0;
    }
    long readUpTo = read.size() >= max ? read.get(read.size() - 1).offset() : Long.MAX_VALUE;
    int i = 0;
    for (long c : carried) {
      if (c > readUpTo) {
        return 0;
      }
      while (i < read.size() && read.get(i).offset() < c) {
        i++;
      }
      if (i == read.size() || read.get(i).offset() != c) {
        return c;
      }
    }
    return 0;
  }

  /** The part of a pull below the window's bodies comes from the database. */
  private void readBelowWindow(Request r, OpResult window) {
    readers.execute(() -> {
      try {
        List<MessageLog.Entry> older = dbLog.read(r.op.from, r.op.to, r.op.offset,
            window.offset, r.op.max, clusterTime.getAsLong() - settings.retentionMs());
        long missing = firstMissing(window.runs, older, r.op.max);
        if (missing > 0) {
          // a message carried from before a forget, not written yet: an answer that went on
          // past it would tell the client that offset expired. Answered up to it, "more
          // remain"; an answer with nothing in it waits a moment, so that the client's next
          // pull finds the commit done.
          window.setEntries(older.stream().filter(e -> e.offset() < missing).toList());
          window.read = missing - 1;
          if (window.entries.isEmpty()) {
            vertx.setTimer(UNWRITTEN_RETRY_MS, id -> r.complete(window));
          } else {
            r.complete(window);
          }
          return;
        }
        List<MessageLog.Entry> all = new ArrayList<>(older);
        if (all.size() == r.op.max) {
          window.read = all.get(all.size() - 1).offset(); // the window's part comes next time
        }
        for (MessageLog.Entry e : window.entries) {
          if (all.size() >= r.op.max) {
            window.read = all.get(all.size() - 1).offset();
            break;
          }
          all.add(e);
        }
        window.setEntries(all);
        r.complete(window);
      } catch (LogException e) {
        r.fail(new UnavailableException(e.getMessage()));
      } catch (RuntimeException e) {
        r.fail(new UnavailableException(unexpected(e).getMessage()));
      }
    });
  }

  /** SYNC: the database's backlog, with the cluster's fresher positions where it holds them. */
  private void mergeBacklog(Request r, OpResult held) {
    readers.execute(() -> {
      try {
        Map<String, long[]> merged = new HashMap<>();
        for (MessageLog.StreamRow row : dbLog.backlogInto(r.op.to)) {
          merged.put(row.from(), new long[] {row.head(), row.delivered(), row.read()});
        }
        for (int i = 0; i < held.senders.size(); i++) {
          merged.put(held.senders.get(i), held.positions.get(i));
        }
        OpResult out = OpResult.positions();
        merged.forEach((from, p) -> out.addPosition(from, p[0], p[1], p[2]));
        r.complete(out);
      } catch (LogException e) {
        r.fail(new UnavailableException(e.getMessage()));
      } catch (RuntimeException e) {
        r.fail(new UnavailableException(unexpected(e).getMessage()));
      }
    });
  }

  // ------------------------------------------------------------------ upkeep

  /**
   * Trims windows, forgets idle saved streams and writes stale unwritten messages in every
   * bucket this member owns; call about once a second.
   */
  public void maintain() {
    if (closed) {
      return;
    }
    if (dbLog != null && upkeeps++ % 10 == 0) {
      readers.execute(() -> diskBytes = dbLog.bytesOnDisk());
    }
    onStoreThread.execute(() -> {
      for (int b = 0; b < StreamBucket.BUCKETS; b++) {
        if (ownedHere(b)) {
          queued[b].addLast(new Request(StreamOp.maintain(), null, Promise.promise()));
          sendNext(b);
        }
      }
    });
  }

  /**
   * Whether this member owns bucket {@code b}'s partition: read from the member's own partition
   * table. ({@code IMap.localKeySet()} answered the same with a query of every partition, and
   * held the store thread for 1 to 40 ms each second under load.) A bucket that moves meanwhile
   * is kept by whoever owns it at the next upkeep.
   */
  private boolean ownedHere(int b) {
    try {
      Member owner = partitions.getPartition(b).getOwner();
      return owner != null && owner.localMember();
    } catch (RuntimeException e) {
      return false; // the cluster is changing or stopping; next time
    }
  }

  /** Deletes expired messages from the database (blocking: call from a worker). */
  public long trimExpired(long now) throws LogException {
    if (dbLog == null) {
      return 0;
    }
    long total = 0;
    for (int n; (n = dbLog.trimExpired(now - settings.retentionMs(), 10_000)) > 0; ) {
      total += n;
      if (closed) {
        break;
      }
    }
    return total;
  }

  /** Bytes the database takes on disk, as last measured (-1 when unknown or none). */
  public long bytesOnDisk() {
    return diskBytes;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    storeThread.shutdown();
    try {
      storeThread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (commits != null) {
      commits.close(); // writes what waits, then stops
    }
    readers.shutdown();
    idChecks.shutdown();
    if (dbLog != null) {
      dbLog.close();
    }
  }
}

package io.phoenix.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.phoenix.stream.StreamPipeline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The stream store's figures as {@code phoenix_store_*} meters: messages committed, messages
 * per commit, commit latency (a histogram), bytes on disk, and the streams the cluster's memory
 * forgot (idle, everything written) and read back from the database, and where a sampled new
 * message's time in the pipeline goes, stage by stage. The same figures, as
 * plain counters since the start and a few fixed latency buckets, for the dashboard
 * ({@link #snapshot}).
 *
 * <p>Thread-safe; the counting methods are called by the store's threads.
 */
public final class StoreMetrics implements StreamPipeline.Meter {
  /**
   * Upper bounds in milliseconds of the dashboard's commit latency buckets (a commit of exactly
   * a bound counts in that bucket); one more bucket takes the commits above the last bound.
   */
  public static final double[] LATENCY_BOUNDS_MILLIS =
      {0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};
  private static final long[] LATENCY_BOUNDS_NANOS = new long[LATENCY_BOUNDS_MILLIS.length];

  static {
    for (int i = 0; i < LATENCY_BOUNDS_MILLIS.length; i++) {
      LATENCY_BOUNDS_NANOS[i] = Math.round(LATENCY_BOUNDS_MILLIS[i] * 1_000_000);
    }
  }

  private final Counter committed;
  private final DistributionSummary batch;
  private final Timer commitLatency;
  private final Counter loaded;
  private final Counter forgotten;
  private final Counter rechecked;
  private final Counter displaced;
  /** By {@link StreamPipeline.Stage} ordinal. */
  private final Timer[] stages = new Timer[StreamPipeline.Stage.values().length];
  private final LongAdder committedTotal = new LongAdder();
  private final LongAdder commitsTotal = new LongAdder();
  private final LongAdder loadedTotal = new LongAdder();
  private final LongAdder evictedTotal = new LongAdder();
  /** Commits per latency bucket: [i] up to {@link #LATENCY_BOUNDS_MILLIS}[i], last: above. */
  private final LongAdder[] latencyBuckets = new LongAdder[LATENCY_BOUNDS_MILLIS.length + 1];

  public StoreMetrics(MeterRegistry registry, String type, LongSupplier bytesOnDisk) {
    for (int i = 0; i < latencyBuckets.length; i++) {
      latencyBuckets[i] = new LongAdder();
    }
    committed = Counter.builder("phoenix_store_committed_messages")
        .description("Messages written to the database").tag("type", type).register(registry);
    batch = DistributionSummary.builder("phoenix_store_commit_batch")
        .description("Messages per commit (group commit)").tag("type", type)
        .publishPercentiles(0.5, 0.99).register(registry);
    commitLatency = Timer.builder("phoenix_store_commit_latency")
        .description("Time of one durable commit").tag("type", type)
        .publishPercentileHistogram()
        .publishPercentiles(0.99)
        .minimumExpectedValue(Duration.ofMillis(1).dividedBy(10))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    loaded = Counter.builder("phoenix_store_streams_loaded")
        .description("Streams looked up in the database when the cluster's memory lacked them "
            + "(read back, or found new: a new stream's first use counts too)")
        .tag("type", type).register(registry);
    forgotten = Counter.builder("phoenix_store_streams_evicted")
        .description("Idle streams dropped from the cluster's memory (everything written)")
        .tag("type", type).register(registry);
    rechecked = Counter.builder("phoenix_store_appends_rechecked")
        .description("Appends whose message_id was checked in the database again: it may have "
            + "been written while their first check ran")
        .tag("type", type).register(registry);
    displaced = Counter.builder("phoenix_store_displaced_messages")
        .description("Messages not written because their offset was given to another message "
            + "too; appended again").tag("type", type).register(registry);
    for (StreamPipeline.Stage s : StreamPipeline.Stage.values()) {
      stages[s.ordinal()] = Timer.builder("phoenix_store_append_stage")
          .description("Time a sampled new message spent in one stage of the store's pipeline, "
              + "from its append to its answer (the stages add up to the whole)")
          .tag("stage", s.label).tag("type", type).register(registry);
    }
    Gauge.builder("phoenix_store_disk_bytes", bytesOnDisk, s -> s.getAsLong())
        .description("Bytes the database takes on disk (-1: not known)").tag("type", type)
        .strongReference(true) // nothing else holds the supplier: weakly held, it reads NaN
        .register(registry);
  }

  @Override
  public void committed(int messages, long nanos) {
    committed.increment(messages);
    committedTotal.add(messages);
    batch.record(messages);
    commitLatency.record(nanos, TimeUnit.NANOSECONDS);
    commitsTotal.increment();
    int bucket = 0;
    while (bucket < LATENCY_BOUNDS_NANOS.length && nanos > LATENCY_BOUNDS_NANOS[bucket]) {
      bucket++;
    }
    latencyBuckets[bucket].increment();
  }

  @Override
  public void appendStages(long[] nanos) {
    for (int i = 0; i < nanos.length && i < stages.length; i++) {
      // stamped on different threads: a few microseconds below 0 on some virtual machines
      stages[i].record(Math.max(0, nanos[i]), TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void loaded() {
    loaded.increment();
    loadedTotal.increment();
  }

  @Override
  public void forgotten(int streams) {
    forgotten.increment(streams);
    evictedTotal.add(streams);
  }

  @Override
  public void rechecked(int appends) {
    rechecked.increment(appends);
  }

  @Override
  public void displaced(int messages) {
    displaced.increment(messages);
  }

  /**
   * The dashboard's figures: counters since the start (whoever polls computes rates and the
   * figures of an interval from the difference between two snapshots) and the recent p99.
   * Each counter is read on its own, so a commit that lands during the call may show in one
   * and not yet in another.
   */
  public Snapshot snapshot() {
    long[] buckets = new long[latencyBuckets.length];
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = latencyBuckets[i].sum();
    }
    return new Snapshot(committedTotal.sum(), commitsTotal.sum(), buckets, commitP99Millis(),
        loadedTotal.sum(), evictedTotal.sum());
  }

  /**
   * Store figures since the start: messages committed, commits (groups written at once),
   * commits per latency bucket (bounds in {@link #LATENCY_BOUNDS_MILLIS}; not cumulative across
   * buckets, the last one is above the last bound), the p99 of a commit in milliseconds over
   * the Timer's recent window, streams read back from the database, and streams evicted from
   * the cluster's memory.
   */
  public record Snapshot(long committed, long commits, long[] latencyCounts,
      double commitP99Millis, long loaded, long evicted) {}

  /** The 99th percentile of the commit latency in milliseconds (0 before any commit). */
  private double commitP99Millis() {
    var values = commitLatency.takeSnapshot().percentileValues();
    return values.length == 0 ? 0 : values[values.length - 1].value(TimeUnit.MILLISECONDS);
  }
}

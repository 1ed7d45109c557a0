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
 * forgot (idle, everything written) and read back from the database.
 *
 * <p>Thread-safe; the counting methods are called by the store's threads.
 */
public final class StoreMetrics implements StreamPipeline.Meter {
  private final Counter committed;
  private final DistributionSummary batch;
  private final Timer commitLatency;
  private final Counter loaded;
  private final Counter forgotten;
  private final LongAdder committedTotal = new LongAdder();

  public StoreMetrics(MeterRegistry registry, String type, LongSupplier bytesOnDisk) {
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
        .description("Streams read back from the database into the cluster's memory")
        .tag("type", type).register(registry);
    forgotten = Counter.builder("phoenix_store_streams_evicted")
        .description("Idle streams dropped from the cluster's memory (everything written)")
        .tag("type", type).register(registry);
    Gauge.builder("phoenix_store_disk_bytes", bytesOnDisk, s -> s.getAsLong())
        .description("Bytes the database takes on disk (-1: not known)").tag("type", type)
        .register(registry);
  }

  @Override
  public void committed(int messages, long nanos) {
    committed.increment(messages);
    committedTotal.add(messages);
    batch.record(messages);
    commitLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void loaded() {
    loaded.increment();
  }

  @Override
  public void forgotten(int streams) {
    forgotten.increment(streams);
  }

  /** Messages committed since the start (for the dashboard's rate). */
  public long committedTotal() {
    return committedTotal.sum();
  }

  /** The 99th percentile of the commit latency in milliseconds (0 before any commit). */
  public double commitP99Millis() {
    var values = commitLatency.takeSnapshot().percentileValues();
    return values.length == 0 ? 0 : values[values.length - 1].value(TimeUnit.MILLISECONDS);
  }
}

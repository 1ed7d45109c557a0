package io.phoenix.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;
import java.util.Arrays;

/**
 * Gives Micrometer's GC pause timer ({@code jvm_gc_pause_seconds}) fixed buckets, so that
 * {@code /metrics} says how many pauses were longer than a bound, not only their count, total
 * and a decaying maximum of the last few minutes. The difference of two scrapes then tells
 * how many pauses of a chosen window were over 10 ms, and the bucket of the longest one:
 * what {@code phoenix bench} reports for its measured window, and what an alert on long
 * pauses needs ({@code increase(jvm_gc_pause_seconds_bucket{le="0.01"}[5m])} against
 * {@code _count}).
 *
 * <p>Twelve buckets per tag set (collector, action, cause: a handful of sets per JVM).
 *
 * <p>Stateless; thread-safe.
 */
public final class GcPauseBuckets implements MeterFilter {
  /** Micrometer's name of the GC pause timer. */
  static final String NAME = "jvm.gc.pause";
  /** The buckets' upper bounds, in milliseconds. */
  static final long[] BOUNDS_MS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000};
  /** The same bounds as Micrometer takes them for a timer: nanoseconds. */
  private static final DistributionStatisticConfig BUCKETS = DistributionStatisticConfig.builder()
      .serviceLevelObjectives(Arrays.stream(BOUNDS_MS)
          .mapToDouble(ms -> Duration.ofMillis(ms).toNanos()).toArray())
      .build();

  @Override
  public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
    return id.getName().equals(NAME) ? BUCKETS.merge(config) : config;
  }
}

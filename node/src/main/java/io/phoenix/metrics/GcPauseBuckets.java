package io.phoenix.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;

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

  @Override
  public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
    if (!id.getName().equals(NAME)) {
      return config;
    }
    double[] nanos = new double[BOUNDS_MS.length];
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = Duration.ofMillis(BOUNDS_MS[i]).toNanos();
    }
    return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build()
        .merge(config);
  }
}

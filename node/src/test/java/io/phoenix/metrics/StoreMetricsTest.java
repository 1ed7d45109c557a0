package io.phoenix.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** The dashboard's store figures: counters since the start and the commit latency buckets. */
class StoreMetricsTest {
  private static final long MS = 1_000_000;

  @Test
  void snapshotCountsCommitsPerLatencyBucket() {
    StoreMetrics m = new StoreMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        "embedded", () -> 42);
    assertEquals(0, m.snapshot().commits());
    assertEquals(0, m.snapshot().commitP99Millis());

    m.committed(3, MS / 10);       // 0.1 ms: up to 0.25
    m.committed(5, MS);            // exactly 1 ms: the bucket up to 1
    m.committed(1, MS + 1);        // just above: up to 2
    m.committed(0, 7 * MS);        // acknowledgements alone: up to 10
    m.committed(2, 2000 * MS);     // 2 s: above the last bound
    m.loaded();
    m.loaded();
    m.forgotten(4);

    StoreMetrics.Snapshot s = m.snapshot();
    assertEquals(11, s.committed());
    assertEquals(5, s.commits());
    assertEquals(2, s.loaded());
    assertEquals(4, s.evicted());
    // bounds 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000 ms, then above
    assertArrayEquals(new long[] {1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1}, s.latencyCounts());
    assertEquals(StoreMetrics.LATENCY_BOUNDS_MILLIS.length + 1, s.latencyCounts().length);
    assertTrue(s.commitP99Millis() >= 1000, "p99 " + s.commitP99Millis());
  }
}

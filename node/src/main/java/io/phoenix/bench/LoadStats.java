package io.phoenix.bench;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The figures of a message run. Counts and latencies are kept twice: for the whole run (the
 * progress line, read once a second) and for the measured window only (messages whose intended
 * send time lies after the warmup and before the end), which the summary reports. Latencies
 * are recorded in microseconds in HdrHistogram {@link Recorder}s.
 *
 * <p>Thread-safe: recorded from every event loop, read from the main thread.
 */
final class LoadStats {
  /** One latency series: everything (for progress) and the measured window. */
  static final class Series {
    private final Recorder all = new Recorder(3);
    private final Recorder measured = new Recorder(3);
    private final Histogram total = new Histogram(3);

    void record(long nanos, boolean inWindow) {
      long micros = Math.max(0, nanos / 1000);
      all.recordValue(micros);
      if (inWindow) {
        measured.recordValue(micros);
      }
    }

    /** Values recorded since the previous call (progress). */
    Histogram interval() {
      return all.getIntervalHistogram();
    }

    /** Everything recorded in the measured window so far. */
    synchronized Histogram measured() {
      total.add(measured.getIntervalHistogram());
      return total.copy();
    }
  }

  final Series endToEnd = new Series();
  final Series accepted = new Series();
  final Series sendLag = new Series();
  final LongAdder sentAll = new LongAdder();
  final LongAdder acceptedAll = new LongAdder();
  final LongAdder deliveredAll = new LongAdder();
  final LongAdder answeredAll = new LongAdder();
  final LongAdder sent = new LongAdder();
  final LongAdder acceptedCount = new LongAdder();
  final LongAdder delivered = new LongAdder();
  /**
   * At a fixed rate: how late (ns) the latest sender sent its first message of the measured
   * window; -1 until one has. Large when the node was still working off the warm-up's backlog.
   */
  final java.util.concurrent.atomic.LongAccumulator lagAtWindowStart =
      new java.util.concurrent.atomic.LongAccumulator(Math::max, -1);
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

  /** Counts an error: an ACCEPTED status other than 200, a Goodbye, a lost connection. */
  void error(String kind) {
    errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  JsonObject errorsJson() {
    JsonObject out = new JsonObject();
    new TreeMap<>(errors).forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** p50, p90, p99, p99.9 and max in milliseconds, and the count. */
  static JsonObject percentiles(Histogram h) {
    JsonObject out = new JsonObject().put("count", h.getTotalCount());
    if (h.getTotalCount() == 0) {
      return out;
    }
    return out.put("p50", ms(h.getValueAtPercentile(50)))
        .put("p90", ms(h.getValueAtPercentile(90)))
        .put("p99", ms(h.getValueAtPercentile(99)))
        .put("p999", ms(h.getValueAtPercentile(99.9)))
        .put("max", ms(h.getMaxValue()));
  }

  /** Microseconds to milliseconds, three decimals. */
  static double ms(long micros) {
    return Math.round(micros) / 1000.0;
  }
}

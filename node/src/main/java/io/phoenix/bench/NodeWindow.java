package io.phoenix.bench;

import io.phoenix.bench.BenchOptions.Server;
import io.phoenix.stream.StreamPipeline;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the node itself went through during a message run's measured window, from its
 * {@code /metrics} read when the window opens and when it closes: GC pauses (count and total
 * time: differences of Micrometer's counters, summed over action, cause and collector), CPU
 * (cores used: CPU seconds over wall seconds between the two readings), the time its JIT
 * compilers worked (a node still compiling its hot paths is not yet at its steady state) and
 * where a new message's time in the node's store pipeline went, stage by stage (the means of
 * the messages the node sampled in the window: {@code phoenix_store_append_stage_seconds}). When
 * the node's metrics cannot be read the run goes on and the figures say why they are missing.
 *
 * <p>Used by the thread that waits for the run (never an event loop); blocking.
 */
final class NodeWindow {
  /**
   * The share of the window the node's JIT compilers may work (their time summed, as the JVM
   * counts it) before the summary says the node was still warming up. In the runs of
   * BENCHMARKS.md, 20 s windows: one node 6–8% after a 15 s warm-up and 3% after 60 s, at the
   * same throughput; three nodes sharing two cores 70–90% after 15 s, and 5–16% after 60 or
   * 120 s, when they were half as fast again as after 15 s and no faster after 120 than after 60.
   */
  static final double STILL_COMPILING = 0.2;
  /**
   * The pause length the latency target allows at most, in seconds: the bound the bench warns
   * at for its own pauses (10 ms), one of the node's buckets ({@code GcPauseBuckets}).
   */
  static final double LONG_PAUSE_SECONDS = LoadRun.OWN_PAUSE_WARNING_MS / 1000.0;
  /** Bounds each reading, so that an unreachable node does not hold up the run. */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

  private final Server address;
  private final NodeProbe probe;
  private final PrintStream notes;
  private NodeProbe.Activity start;
  private NodeProbe.Activity end;
  private String unavailable;

  /**
   * @param o the run's options: the node's HTTP address ({@link BenchOptions#metrics()}, null
   *     when none is known) and whether it has TLS
   * @param notes where to say that the figures are unavailable (null: nowhere)
   */
  NodeWindow(BenchOptions o, PrintStream notes) {
    this.address = o.metrics();
    this.probe = address == null ? null : new NodeProbe(o, 0, READ_TIMEOUT);
    this.notes = notes;
    if (address == null) {
      unavailable = "no HTTP address for the node's /metrics (give --metrics HOST:HTTP-PORT)";
    }
  }

  /**
   * A reading before the run, thrown away: finds out early whether the figures will be there
   * (and says so), and readies the HTTP client so that the window's first reading is prompt.
   */
  void check() {
    read();
  }

  /** The first reading, when the measured window opens. */
  void open() {
    start = read();
  }

  /** The second reading, when the measured window closes. */
  void close() {
    if (start != null) {
      end = read();
    }
  }

  private NodeProbe.Activity read() {
    if (probe == null || unavailable != null) {
      return null;
    }
    try {
      NodeProbe.Activity a = probe.sample();
      if (!a.gcSeen() && Double.isNaN(a.cpuNanos()) && Double.isNaN(a.jitMillis())) {
        fail(probe.uri() + " has none of jvm_gc_pause_seconds, process_cpu_time_ns_total and "
            + "jvm_compilation_time_ms_total");
        return null;
      }
      return a;
    } catch (IOException e) {
      fail(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
    } catch (RuntimeException e) { // a value that is not a number
      fail("GET " + probe.uri() + ": " + e);
    }
    return null;
  }

  private void fail(String why) {
    unavailable = why;
    if (notes != null) {
      notes.println("[bench] node figures unavailable: " + why);
    }
  }

  /**
   * The {@code node} object of a summary. Its keys are always present (null where unknown) so
   * that rows compare: {@code available}, {@code metrics} (the address read), {@code seconds}
   * (between the readings), {@code gcPauses}, {@code gcPauseMs} (total pause time),
   * {@code gcPauseMaxRecentMs} (Micrometer's decaying maximum at the window's end: the longest
   * pause of its last few minutes, which may predate the window), {@code gcPausesOver10Ms}
   * (pauses of the window longer than 10 ms) and {@code gcPauseLongestMsAtMost} (the bound of
   * the bucket that holds the window's longest pause, 0 without a pause; both from the
   * buckets of {@code jvm_gc_pause_seconds}, null when the node has none, the second also
   * when the pause was over the largest bound), {@code cpuCores},
   * {@code jitMs} (the time the node's JIT compilers worked in the window), {@code stageSamples}
   * and {@code stageMs} (how many new messages the node timed stage by stage in the window, and
   * the mean milliseconds they spent in each stage, in the pipeline's order) and
   * {@code reason} (why not available).
   */
  JsonObject json() {
    JsonObject out = new JsonObject()
        .put("available", false)
        .put("metrics", address == null ? null : address.toString())
        .put("seconds", null)
        .put("gcPauses", null)
        .put("gcPauseMs", null)
        .put("gcPauseMaxRecentMs", null)
        .put("gcPausesOver10Ms", null)
        .put("gcPauseLongestMsAtMost", null)
        .put("cpuCores", null)
        .put("jitMs", null)
        .put("stageSamples", null)
        .put("stageMs", null)
        .put("reason", null);
    if (start == null || end == null) {
      return out.put("reason", unavailable != null ? unavailable : "not read");
    }
    double seconds = (end.atNanos() - start.atNanos()) / 1e9;
    double pauses = end.gcPauses() - start.gcPauses();
    if (pauses < 0 || end.cpuNanos() < start.cpuNanos()) {
      return out.put("reason", "the node's counters went back during the window (restarted?)");
    }
    out.put("available", true).put("seconds", round(seconds, 100)).put("reason", null);
    if (end.gcSeen()) {
      out.put("gcPauses", Math.round(pauses))
          .put("gcPauseMs", round((end.gcPauseSeconds() - start.gcPauseSeconds()) * 1000, 10))
          .put("gcPauseMaxRecentMs", round(end.gcPauseMaxRecentSeconds() * 1000, 10));
      pauseBuckets(out, start, end);
    }
    if (!Double.isNaN(end.cpuNanos()) && !Double.isNaN(start.cpuNanos()) && seconds > 0) {
      out.put("cpuCores", round((end.cpuNanos() - start.cpuNanos()) / 1e9 / seconds, 100));
    }
    if (!Double.isNaN(end.jitMillis()) && !Double.isNaN(start.jitMillis())) {
      out.put("jitMs", round(end.jitMillis() - start.jitMillis(), 1));
    }
    stages(out);
    return out;
  }

  /**
   * The pauses of the window over 10 ms, and the bucket of the longest: differences of the
   * cumulative buckets, a bucket missing from the first reading counting 0 (Micrometer
   * registers the series at the first pause).
   */
  static void pauseBuckets(JsonObject out, NodeProbe.Activity start, NodeProbe.Activity end) {
    double pauses = end.gcPauses() - start.gcPauses();
    Double upTo10 = end.gcPauseBuckets().get(LONG_PAUSE_SECONDS);
    if (upTo10 == null) {
      return;
    }
    out.put("gcPausesOver10Ms", Math.round(pauses - (upTo10
        - start.gcPauseBuckets().getOrDefault(LONG_PAUSE_SECONDS, 0.0))));
    if (pauses == 0) {
      out.put("gcPauseLongestMsAtMost", 0.0);
      return;
    }
    for (Map.Entry<Double, Double> b : end.gcPauseBuckets().entrySet()) {
      double inWindow = b.getValue() - start.gcPauseBuckets().getOrDefault(b.getKey(), 0.0);
      if (inWindow >= pauses) {
        out.put("gcPauseLongestMsAtMost", round(b.getKey() * 1000, 1000));
        return;
      }
    }
  }

  /** The stage means of the messages sampled between the readings, when there are any. */
  private void stages(JsonObject out) {
    double samples = -1;
    JsonObject ms = new JsonObject();
    Map<String, double[]> ordered = new LinkedHashMap<>(); // the pipeline's order, then others
    for (StreamPipeline.Stage stage : StreamPipeline.Stage.values()) {
      if (end.stages().containsKey(stage.label)) {
        ordered.put(stage.label, end.stages().get(stage.label));
      }
    }
    end.stages().forEach(ordered::putIfAbsent);
    for (Map.Entry<String, double[]> e : ordered.entrySet()) {
      double[] before = start.stages().getOrDefault(e.getKey(), new double[2]);
      double n = e.getValue()[0] - before[0];
      samples = Math.max(samples, n);
      if (n > 0) {
        ms.put(e.getKey(), round((e.getValue()[1] - before[1]) * 1000 / n, 1000));
      }
    }
    if (samples > 0) {
      out.put("stageSamples", Math.round(samples)).put("stageMs", ms);
    }
  }

  /** ", N over 10 ms, the longest ≤ X ms" where the node has pause buckets; else "". */
  private static String longest(JsonObject n) {
    if (n.getValue("gcPausesOver10Ms") == null) {
      return "";
    }
    Double atMost = n.getDouble("gcPauseLongestMsAtMost");
    return String.format(Locale.ROOT, ", %d over 10 ms, the longest %s", n.getLong(
        "gcPausesOver10Ms"), atMost == null ? "over the largest bucket"
        : "<= " + (atMost == Math.rint(atMost) ? String.valueOf(atMost.longValue())
            : atMost.toString()) + " ms");
  }

  private static double round(double v, int scale) {
    return Math.round(v * scale) / (double) scale;
  }

  /** The summary lines of a {@link #json()} object. */
  static String describe(JsonObject n) {
    if (n == null) {
      return "";
    }
    if (!n.getBoolean("available", false)) {
      return "node:      figures unavailable: " + n.getString("reason") + "\n";
    }
    StringBuilder b = new StringBuilder();
    if (n.getValue("gcPauses") != null) {
      b.append(String.format(Locale.ROOT, "node GC:   %d pauses, %.1f ms in all%s (max recent "
              + "pause %.1f ms, may predate the window)%n", n.getLong("gcPauses"),
          n.getDouble("gcPauseMs"), longest(n), n.getDouble("gcPauseMaxRecentMs")));
    } else {
      b.append("node GC:   not reported by the node\n");
    }
    if (n.getValue("cpuCores") != null) {
      b.append(String.format(Locale.ROOT, "node CPU:  %.2f cores%n", n.getDouble("cpuCores")));
    }
    if (n.getValue("jitMs") != null) {
      double jitMs = n.getDouble("jitMs");
      double windowMs = n.getDouble("seconds") * 1000;
      b.append(String.format(Locale.ROOT, "node JIT:  %.0f ms of compilation%n", jitMs));
      if (windowMs > 0 && jitMs > STILL_COMPILING * windowMs) {
        b.append(String.format(Locale.ROOT, "warning:   the node's JIT compilers worked for %.0f%% "
            + "of the measured window (their threads' time summed): the node was still warming "
            + "up, and these figures include it. A longer --warmup measures a warm node.%n",
            100 * jitMs / windowMs));
      }
    }
    JsonObject stages = n.getJsonObject("stageMs");
    if (stages != null && !stages.isEmpty()) {
      double total = 0;
      StringBuilder each = new StringBuilder();
      for (String stage : stages.fieldNames()) {
        double ms = stages.getDouble(stage);
        total += ms;
        each.append(each.length() == 0 ? "" : " · ").append(stage.replace('_', ' '))
            .append(String.format(Locale.ROOT, " %.2f", ms));
      }
      b.append(String.format(Locale.ROOT, "node path: %.2f ms per new message in the store "
          + "(mean of %d sampled): %s%n", total, n.getLong("stageSamples"), each));
    }
    return b.toString();
  }
}

package io.phoenix.bench;

import io.phoenix.bench.BenchOptions.Server;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * A message run: opens {@code 2 × pairs} sessions as sender/receiver pairs (pair {@code k}:
 * connections {@code 2k} and {@code 2k+1}, each stream {@code S(sender k → receiver k)}), sends
 * for warmup + duration at the given rate (or flat out), drains the answers, and summarizes
 * what was sent, ACCEPTED and delivered in the measured window, with latency percentiles and
 * the node's GC pauses and CPU over the window (from its {@code /metrics}, when reachable).
 * {@link #runShapes} does one such run per shape of {@link BenchOptions#shapes()}, one after
 * the other.
 *
 * <p>{@link #run} blocks the calling thread (never an event loop) until the run is over; every
 * connection and the bench's own Vert.x instance are closed before it returns.
 */
public final class LoadRun {
  private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** The run's clock ({@code System.nanoTime()}): start, start of measuring, end of sending. */
  record Times(long start, long measureFrom, long end) {
    boolean inWindow(long intended) {
      return intended >= measureFrom && intended < end;
    }
  }

  private LoadRun() {}

  /**
   * Runs the load described by {@code o} with its first shape; progress lines go to
   * {@code progress} once a second (when enabled). Returns the summary.
   *
   * @throws IllegalStateException when sessions cannot be opened
   */
  public static JsonObject run(BenchOptions o, PrintStream progress) throws Exception {
    return run(o, o.shapes().get(0), progress);
  }

  /**
   * Runs every shape of {@code o}, one after the other, each with its own connections (closed
   * before the next opens), warmup and measured window; hands each summary to {@code each} as
   * soon as its shape is over. Summaries carry {@code shapeIndex} (from 1) and
   * {@code shapeCount}.
   *
   * @throws IllegalStateException when a shape's sessions cannot be opened (the shapes before
   *     it have been handed over)
   */
  public static List<JsonObject> runShapes(BenchOptions o, PrintStream progress,
      Consumer<JsonObject> each) throws Exception {
    List<Integer> shapes = o.shapes();
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < shapes.size(); i++) {
      int pairs = shapes.get(i);
      if (shapes.size() > 1 && o.progress()) {
        progress.printf(Locale.ROOT, "[bench] shape %d of %d: %d pair%s (%d connections)%n",
            i + 1, shapes.size(), pairs, pairs == 1 ? "" : "s", 2 * pairs);
      }
      JsonObject s;
      try {
        s = run(o, pairs, progress);
      } catch (IllegalStateException e) {
        throw new IllegalStateException("shape " + (i + 1) + " (" + pairs + " pairs): "
            + e.getMessage(), e);
      }
      s.put("shapeIndex", i + 1).put("shapeCount", shapes.size());
      out.add(s);
      each.accept(s);
    }
    return out;
  }

  /** One message run with {@code pairs} sender/receiver pairs (the rest as {@code o} says). */
  public static JsonObject run(BenchOptions o, int pairs, PrintStream progress)
      throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(o.eventLoops()));
    try {
      return run(vertx, o, pairs, progress);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static JsonObject run(Vertx vertx, BenchOptions o, int pairs, PrintStream progress)
      throws Exception {
    Lanes lanes = Lanes.create(vertx, o.eventLoops());
    String run = UUID.randomUUID().toString().substring(0, 8);
    int connections = 2 * pairs;
    NodeWindow node = new NodeWindow(o, o.progress() ? progress : null);
    node.check();
    Dialer dialer = new Dialer(vertx, o);
    Dialer.Opened opened = dialer.openAll(connections,
        i -> "bench-" + run + (i % 2 == 0 ? "-s" : "-r") + i / 2, i -> lanes.get(i / 2));
    List<BenchConnection> conns = opened.connections();
    if (opened.failed() > 0) {
      closeAll(lanes, conns);
      throw new IllegalStateException(opened.failed() + " of " + connections
          + " sessions could not be opened: " + opened.firstFailure());
    }

    LoadStats stats = new LoadStats();
    long intervalNanos = o.rate() == 0 ? 0 : Math.round(pairs * 1e9 / o.rate());
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    long measureFrom = start + TimeUnit.SECONDS.toNanos(o.warmupSeconds());
    Times times = new Times(start, measureFrom,
        measureFrom + TimeUnit.SECONDS.toNanos(o.durationSeconds()));
    List<List<Sender>> senders = new ArrayList<>();
    List<List<Receiver>> receivers = new ArrayList<>();
    for (int l = 0; l < lanes.size(); l++) {
      senders.add(new ArrayList<>());
      receivers.add(new ArrayList<>());
    }
    long heartbeatNanos = TimeUnit.SECONDS.toNanos(
        Math.max(1, conns.get(0).welcome().getHeartbeatSeconds())) / 2;
    lanes.onEach(lane -> {
      for (int k = lane; k < pairs; k += lanes.size()) {
        String senderEid = "bench-" + run + "-s" + k;
        String receiverEid = "bench-" + run + "-r" + k;
        Sender s = new Sender(conns.get(2 * k), receiverEid, stats, times, intervalNanos,
            o.window(), o.pull(), o.size(), o.signingKey(), senderEid);
        Receiver r = new Receiver(conns.get(2 * k + 1), receiverEid, senderEid, stats, times,
            o.ackEvery());
        conns.get(2 * k).listener(s);
        conns.get(2 * k + 1).listener(r);
        senders.get(lane).add(s);
        receivers.get(lane).add(r);
      }
      List<BenchConnection> mine = new ArrayList<>();
      for (int k = lane; k < pairs; k += lanes.size()) {
        mine.add(conns.get(2 * k));
        mine.add(conns.get(2 * k + 1));
      }
      vertx.setPeriodic(1000, id -> {
        long now = System.nanoTime();
        mine.forEach(c -> c.keepAlive(now, heartbeatNanos));
      });
      List<Sender> laneSenders = senders.get(lane);
      long delay = Math.max(1, TimeUnit.NANOSECONDS.toMillis(start - System.nanoTime()));
      vertx.setTimer(delay, t -> {
        for (int i = 0; i < laneSenders.size(); i++) {
          int k = lane + i * lanes.size();
          laneSenders.get(i).start(start + intervalNanos * k / pairs);
        }
        if (intervalNanos > 0) {
          vertx.setPeriodic(1, id -> {
            long now = System.nanoTime();
            for (Sender s : laneSenders) {
              s.tick(now);
            }
          });
        }
      });
    });

    OwnPauses own = OwnPauses.listen();
    Progress meter = new Progress(stats, times, o.progress() ? progress : null, () -> {
      node.open();
      own.open();
    });
    try {
      meter.runUntil(times.end());
    } finally {
      own.close();
    }
    long cpuAtEnd = meter.cpuNanos();
    node.close();
    // Drain: wait for the answers and deliveries of what was sent.
    long drainUntil = System.nanoTime() + DRAIN_NANOS;
    while (System.nanoTime() < drainUntil && (stats.answeredAll.sum() < stats.sentAll.sum()
        || stats.deliveredAll.sum() < stats.acceptedAll.sum())) {
      Thread.sleep(20);
    }
    lanes.onEach(lane -> {
      senders.get(lane).forEach(Sender::stop);
      receivers.get(lane).forEach(Receiver::stop);
    });
    closeAll(lanes, conns);
    return summary(o, pairs, opened, stats, meter.cpuNanosInWindow(cpuAtEnd))
        .put("benchGcPauses", own.pauses())
        .put("benchGcPauseMs", own.totalMs())
        .put("benchGcPauseMaxMs", own.longestMs())
        .put("benchEventLoops", lanes.size())
        .put("node", node.json());
  }

  private static void closeAll(Lanes lanes, List<BenchConnection> conns) throws Exception {
    lanes.onEach(lane -> {
      for (int i = 0; i < conns.size(); i++) {
        BenchConnection c = conns.get(i);
        if (c != null && lanes.get(i / 2) == lanes.get(lane)) {
          c.close();
        }
      }
    });
  }

  private static JsonObject summary(BenchOptions o, int pairs, Dialer.Opened opened,
      LoadStats stats, long cpuNanos) {
    double seconds = o.durationSeconds();
    JsonArray servers = new JsonArray();
    for (Server s : o.servers()) {
      servers.add(s.toString());
    }
    Histogram e2e = stats.endToEnd.measured();
    Histogram accepted = stats.accepted.measured();
    JsonObject latency = new JsonObject()
        .put("endToEnd", LoadStats.percentiles(e2e))
        .put("accepted", LoadStats.percentiles(accepted));
    if (o.rate() > 0) {
      latency.put("sendLag", LoadStats.percentiles(stats.sendLag.measured()));
    }
    long lagAtStart = stats.lagAtWindowStart.get();
    return new JsonObject()
        .put("mode", "messages")
        .put("transport", o.transport())
        .put("deflate", o.webSocketDeflate())
        .put("signed", o.signingKey() == null ? "no"
            : o.signingKey().jwk().getString("crv"))
        .put("transmission", o.pull() ? "pull" : "push")
        .put("servers", servers)
        .put("pairs", pairs)
        .put("connections", 2 * pairs)
        .put("senders", pairs)
        .put("rate", o.rate())
        .put("window", o.window())
        .put("ackEvery", o.ackEvery())
        .put("size", o.size())
        .put("warmupSeconds", o.warmupSeconds())
        .put("durationSeconds", o.durationSeconds())
        .put("connect", new JsonObject()
            .put("sessions", 2 * pairs)
            .put("seconds", round(opened.seconds()))
            .put("perSecond", round(2 * pairs / Math.max(1e-3, opened.seconds()))))
        .put("sent", stats.sent.sum())
        .put("accepted", stats.acceptedCount.sum())
        .put("delivered", stats.delivered.sum())
        .put("sentPerSecond", round(stats.sent.sum() / seconds))
        .put("acceptedPerSecond", round(stats.acceptedCount.sum() / seconds))
        .put("deliveredPerSecond", round(stats.delivered.sum() / seconds))
        .put("coordinatedOmissionCorrected", o.rate() > 0)
        // three decimals, as the latencies it is compared with (sendLag's max)
        .put("lagAtWindowStartMs", o.rate() > 0 && lagAtStart >= 0
            ? LoadStats.ms(lagAtStart / 1_000) : null)
        .put("latencyMs", latency)
        .put("errors", stats.errorsJson())
        .put("errorCount", stats.errorCount())
        .put("benchCpuCores", round(cpuNanos / 1e9 / seconds));
  }

  /** A lag at the window's start above which {@link #describe} warns (a GC pause is less). */
  static final double BEHIND_AT_START_MS = 100;
  /**
   * A pause of the generator's own collector above which {@link #describe} warns, at a fixed
   * rate: twice the p99 the project aims for (BENCHMARKS.md).
   */
  static final long OWN_PAUSE_WARNING_MS = 10;

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /** The human form of a summary (what is printed without --json). */
  public static String describe(JsonObject s) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%s %s, %d connections (%d pairs) to %s, %s, %d-byte "
            + "payloads, %d s warmup + %d s measured%n",
        s.getString("transport").toUpperCase(Locale.ROOT), s.getString("transmission"),
        s.getInteger("connections"), s.getInteger("senders"), s.getJsonArray("servers").encode(),
        s.getInteger("rate") == 0 ? "flat out (window " + s.getInteger("window") + ")"
            : s.getInteger("rate") + " msg/s", s.getInteger("size"),
        s.getInteger("warmupSeconds"), s.getInteger("durationSeconds")));
    JsonObject c = s.getJsonObject("connect");
    b.append(String.format(Locale.ROOT, "connect:   %d sessions in %.1f s (%.0f/s)%n",
        c.getInteger("sessions"), c.getDouble("seconds"), c.getDouble("perSecond")));
    b.append(String.format(Locale.ROOT, "sent:      %,d (%,.0f/s)%naccepted:  %,d (%,.0f/s)%n"
            + "delivered: %,d (%,.0f/s)%n",
        s.getLong("sent"), s.getDouble("sentPerSecond"), s.getLong("accepted"),
        s.getDouble("acceptedPerSecond"), s.getLong("delivered"),
        s.getDouble("deliveredPerSecond")));
    b.append("latency (ms)       p50      p90      p99    p99.9      max")
        .append(s.getBoolean("coordinatedOmissionCorrected")
            ? "   (from the intended send time)" : "").append('\n');
    JsonObject l = s.getJsonObject("latencyMs");
    for (String name : l.fieldNames()) {
      JsonObject p = l.getJsonObject(name);
      b.append(String.format(Locale.ROOT, "  %-12s", name));
      for (String q : new String[] {"p50", "p90", "p99", "p999", "max"}) {
        b.append(String.format(Locale.ROOT, " %8.3f", p.getDouble(q, Double.NaN)));
      }
      b.append('\n');
    }
    Double lagAtStart = s.getDouble("lagAtWindowStartMs");
    if (lagAtStart != null && lagAtStart > BEHIND_AT_START_MS) {
      b.append(String.format(Locale.ROOT, "warning:   the generator was %.0f ms behind its "
          + "schedule when the measured window began: the node was still working off the "
          + "warm-up's backlog, and these latencies include it. A longer --warmup measures the "
          + "steady state.%n", lagAtStart));
    }
    b.append("errors:    ").append(s.getLong("errorCount") == 0 ? "none"
        : s.getJsonObject("errors").encode()).append('\n');
    b.append(String.format(Locale.ROOT, "bench CPU: %.2f cores%n", s.getDouble("benchCpuCores")));
    Long ownPauses = s.getLong("benchGcPauses");
    if (ownPauses != null) {
      long longest = s.getLong("benchGcPauseMaxMs");
      b.append(String.format(Locale.ROOT, "bench GC:  %d pauses, %d ms, the longest %d ms%n",
          ownPauses, s.getLong("benchGcPauseMs"), longest));
      if (s.getInteger("rate") > 0 && longest > OWN_PAUSE_WARNING_MS) {
        b.append(String.format(Locale.ROOT, "warning:   the generator itself stood still for "
            + "up to %d ms in a collection, and every message it was sending or receiving then "
            + "was timed as late. Its JVM with a low-pause collector (java -XX:+UseZGC, or "
            + "-XX:+UseShenandoahGC where the JDK has it, -jar phoenix.jar bench ...) shows the "
            + "node's latencies without its own.%n", longest));
      }
    }
    b.append(NodeWindow.describe(s.getJsonObject("node")));
    return b.toString();
  }

  /** A table comparing the summaries of several shapes, one line each. */
  public static String compare(List<JsonObject> summaries) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%6s %10s %10s %10s %9s %9s"
            + " %9s %9s %8s %9s%n", "pairs", "sent/s", "accepted/s", "delivered/s", "e2e p50",
        "e2e p99", "acc p99", "GC pauses", "GC ms", "node CPU"));
    for (JsonObject s : summaries) {
      JsonObject e2e = s.getJsonObject("latencyMs").getJsonObject("endToEnd");
      JsonObject acc = s.getJsonObject("latencyMs").getJsonObject("accepted");
      JsonObject n = s.getJsonObject("node", new JsonObject());
      b.append(String.format(Locale.ROOT, "%6d %10.0f %10.0f %10.0f %9.3f %9.3f %9.3f %9s %8s %9s%n",
          s.getInteger("pairs"), s.getDouble("sentPerSecond"), s.getDouble("acceptedPerSecond"),
          s.getDouble("deliveredPerSecond"), e2e.getDouble("p50", Double.NaN),
          e2e.getDouble("p99", Double.NaN), acc.getDouble("p99", Double.NaN),
          orDash(n.getValue("gcPauses")), orDash(n.getValue("gcPauseMs")),
          orDash(n.getValue("cpuCores"))));
    }
    return b.toString();
  }

  private static String orDash(Object v) {
    return v == null ? "-" : v.toString();
  }
}

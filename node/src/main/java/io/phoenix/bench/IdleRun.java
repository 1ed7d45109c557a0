package io.phoenix.bench;

import io.phoenix.protocol.v1.Frame;
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

/**
 * The connections run ({@code --idle N}): opens N authenticated sessions (Hello, Welcome, then
 * only a Ping when one is due), waits {@code warmup} seconds, and reports what they cost the
 * node: its heap in use and resident set size before the sessions were opened and after,
 * divided by N. The sessions are then held for {@code duration} seconds, so that further bench
 * processes (with other {@code --source-addresses}) can add theirs on top and measure the
 * next step.
 *
 * <p>{@link #run} blocks the calling thread (never an event loop) until the sessions are
 * closed again.
 */
public final class IdleRun {
  private IdleRun() {}

  /** Runs it; notes go to {@code progress} (when enabled). Returns the summary. */
  public static JsonObject run(BenchOptions o, PrintStream progress) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(o.eventLoops()));
    try {
      return run(vertx, o, o.progress() ? progress : null);
    } finally {
      vertx.close().await(60, TimeUnit.SECONDS);
    }
  }

  private static JsonObject run(Vertx vertx, BenchOptions o, PrintStream out) throws Exception {
    NodeProbe probe = o.metrics() == null ? null : new NodeProbe(o, o.nodePid());
    NodeProbe.Memory before = probe == null ? null : probe.read();
    Lanes lanes = Lanes.create(vertx, o.eventLoops());
    String run = UUID.randomUUID().toString().substring(0, 8);
    note(out, "opening " + o.idle() + " sessions");
    Dialer.Opened opened = new Dialer(vertx, o).openAll(o.idle(),
        i -> "idle-" + run + "-" + i, lanes::get);
    List<BenchConnection> conns = opened.connections();
    note(out, String.format(Locale.ROOT, "%d sessions open in %.1f s, %d failed%s",
        o.idle() - opened.failed(), opened.seconds(), opened.failed(),
        opened.firstFailure() == null ? "" : " (" + opened.firstFailure() + ")"));

    LoadStats stats = new LoadStats();
    BenchConnection.Listener listener = new BenchConnection.Listener() {
      @Override
      public void onFrame(BenchConnection c, Frame frame) {
        if (frame.getBodyCase() == Frame.BodyCase.GOODBYE) {
          stats.error("goodbye " + frame.getGoodbye().getStatusCode());
        }
      }

      @Override
      public void onClosed(BenchConnection c) {
        stats.error("connection closed");
      }
    };
    BenchConnection any = conns.stream().filter(c -> c != null).findFirst().orElse(null);
    long heartbeat = TimeUnit.SECONDS.toNanos(any == null ? 30
        : Math.max(1, any.welcome().getHeartbeatSeconds())) / 2;
    lanes.onEach(lane -> {
      List<BenchConnection> mine = new ArrayList<>();
      for (int i = lane; i < conns.size(); i += lanes.size()) {
        if (conns.get(i) != null) {
          conns.get(i).listener(listener);
          mine.add(conns.get(i));
        }
      }
      vertx.setPeriodic(1000, id -> {
        long now = System.nanoTime();
        mine.forEach(c -> c.keepAlive(now, heartbeat));
      });
    });

    TimeUnit.SECONDS.sleep(o.warmupSeconds());
    NodeProbe.Memory after = probe == null ? null : probe.read();
    long sessions = o.idle() - opened.failed();
    JsonObject summary = summary(o, opened, sessions, probe, before, after);
    JsonObject n = summary.getJsonObject("node");
    note(out, (n == null ? "" : "heap " + n.getLong("heapPerSession") + " B/session, RSS "
        + n.getValue("rssPerSession") + " B/session; ") + "holding the sessions for "
        + o.durationSeconds() + " s");
    TimeUnit.SECONDS.sleep(o.durationSeconds());
    lanes.onEach(lane -> {
      for (int i = lane; i < conns.size(); i += lanes.size()) {
        if (conns.get(i) != null) {
          conns.get(i).close();
        }
      }
    });
    return summary.put("errors", stats.errorsJson()).put("errorCount", stats.errorCount());
  }

  private static JsonObject summary(BenchOptions o, Dialer.Opened opened, long sessions,
      NodeProbe probe, NodeProbe.Memory before, NodeProbe.Memory after) {
    JsonArray servers = new JsonArray();
    o.servers().forEach(s -> servers.add(s.toString()));
    JsonObject out = new JsonObject()
        .put("mode", "idle")
        .put("transport", o.transport())
        .put("deflate", o.webSocketDeflate())
        .put("servers", servers)
        .put("sessions", sessions)
        .put("failed", opened.failed())
        .put("connect", new JsonObject()
            .put("seconds", LoadRun.round(opened.seconds()))
            .put("perSecond", LoadRun.round(sessions / Math.max(1e-3, opened.seconds()))));
    if (probe != null && sessions > 0) {
      out.put("node", new JsonObject()
          .put("gcBeforeReadings", probe.collectsGarbage())
          .put("heapBefore", before.heapBytes())
          .put("heapAfter", after.heapBytes())
          .put("heapPerSession", Math.round((after.heapBytes() - before.heapBytes()) / sessions))
          .put("rssBefore", before.rssBytes())
          .put("rssAfter", after.rssBytes())
          .put("rssPerSession", Double.isNaN(after.rssBytes()) ? null
              : Math.round((after.rssBytes() - before.rssBytes()) / sessions)));
    }
    return out;
  }

  /** The human form of a summary. */
  public static String describe(JsonObject s) {
    StringBuilder b = new StringBuilder();
    JsonObject c = s.getJsonObject("connect");
    b.append(String.format(Locale.ROOT, "%s idle sessions: %,d open (%d failed), %.0f/s%n",
        s.getString("transport").toUpperCase(Locale.ROOT), s.getLong("sessions"),
        s.getLong("failed"), c.getDouble("perSecond")));
    JsonObject n = s.getJsonObject("node");
    if (n == null) {
      b.append("node memory: not measured (give --metrics host:http-port)\n");
      return b.toString();
    }
    b.append(String.format(Locale.ROOT, "node heap: %,.0f -> %,.0f bytes: %,d bytes per session%s%n",
        n.getDouble("heapBefore"), n.getDouble("heapAfter"), n.getLong("heapPerSession"),
        n.getBoolean("gcBeforeReadings") ? " (after a GC)" : " (no GC: includes garbage; give"
            + " --node-pid)"));
    if (n.getValue("rssPerSession") != null) {
      b.append(String.format(Locale.ROOT, "node RSS:  %,.0f -> %,.0f bytes: %,d bytes per session%n",
          n.getDouble("rssBefore"), n.getDouble("rssAfter"), n.getLong("rssPerSession")));
    }
    return b.toString();
  }

  private static void note(PrintStream out, String line) {
    if (out != null) {
      out.println("[idle] " + line);
    }
  }
}

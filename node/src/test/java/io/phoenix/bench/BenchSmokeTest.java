package io.phoenix.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.cli.PhoenixCommand;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bench engine against a real node, briefly and at a modest rate: what it reports must add
 * up (everything sent is ACCEPTED and delivered, no errors, ordered percentiles). Nothing here
 * asserts on performance.
 */
class BenchSmokeTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static TestNode node;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("messagesPerSecond", 1_000_000); // flat out
    // the runs of this class reuse the same streams: keep their backlog bound out of the way
    config.getJsonObject("retention").put("maxMessagesPerStream", 10_000_000);
    node = nodes.start(config);
  }

  private static BenchOptions options(boolean ws) {
    BenchOptions o = new BenchOptions()
        .server(new BenchOptions.Server("127.0.0.1", ws ? node.httpPort() : node.tcpPort()))
        .webSocket(ws)
        .tokens(TestNode.SECRET, "phoenix")
        .eventLoops(1);
    o.validate(10_000);
    return o;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tcp push", "ws push", "ws-deflate push", "tcp pull"})
  void aShortFixedRateRunAddsUp(String variant) throws Exception {
    BenchOptions o = options(variant.startsWith("ws")).pull(variant.endsWith("pull"))
        .webSocketDeflate(variant.startsWith("ws-deflate")).connections(20).rate(500).warmupSeconds(0).durationSeconds(2).size(64);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    JsonObject s = LoadRun.run(o, new PrintStream(progress, true, StandardCharsets.UTF_8));

    assertEquals(0, s.getLong("errorCount"), () -> "errors: " + s.getJsonObject("errors"));
    assertEquals(variant.startsWith("ws-deflate"), s.getBoolean("deflate"), s::encode);
    long accepted = s.getLong("accepted");
    assertTrue(accepted > 500, () -> "accepted " + accepted + " in " + s);
    assertEquals(s.getLong("sent"), accepted, s::encode);
    assertEquals(accepted, s.getLong("delivered"), s::encode);
    assertEquals(accepted / 2.0, s.getDouble("acceptedPerSecond"), 0.1);
    assertTrue(s.getBoolean("coordinatedOmissionCorrected"));
    JsonObject latency = s.getJsonObject("latencyMs");
    for (String series : new String[] {"endToEnd", "accepted", "sendLag"}) {
      JsonObject p = latency.getJsonObject(series);
      assertNotNull(p, series);
      double previous = 0;
      for (String q : new String[] {"p50", "p90", "p99", "p999", "max"}) {
        double v = p.getDouble(q);
        assertTrue(v >= previous, () -> series + " " + q + " below the previous percentile: " + p);
        previous = v;
      }
    }
    assertEquals(accepted, latency.getJsonObject("endToEnd").getLong("count"));
    assertTrue(progress.toString(StandardCharsets.UTF_8).contains("delivered"),
        "a progress line each second");
    assertTrue(LoadRun.describe(s).contains("endToEnd"));
    double lagAtStart = s.getDouble("lagAtWindowStartMs");
    // the histogram keeps three significant digits: its max may read a hair below the value
    double maxLag = latency.getJsonObject("sendLag").getDouble("max");
    assertTrue(lagAtStart >= 0 && lagAtStart <= maxLag * 1.01 + 0.01, s::encode);
    long ownPauses = s.getLong("benchGcPauses");
    assertTrue(ownPauses >= 0 && s.getLong("benchGcPauseMaxMs") <= s.getLong("benchGcPauseMs"),
        s::encode);
  }

  @Test
  void aRunThatBeganBehindItsScheduleSaysSo() {
    JsonObject s = fixedRateSummary();
    assertFalse(LoadRun.describe(s.copy().put("lagAtWindowStartMs", 3.0)).contains("warning"));
    assertFalse(LoadRun.describe(s).contains("warning"), "flat out: no lag reported");
    String behind = LoadRun.describe(s.copy().put("lagAtWindowStartMs", 1850.0));
    assertTrue(behind.contains("1850 ms behind its schedule"), behind);
  }

  /** At a fixed rate, a long pause of the generator's own collector is named. */
  @Test
  void aRunWhoseGeneratorPausedLongSaysSo() {
    JsonObject s = fixedRateSummary().put("benchGcPauses", 12L).put("benchGcPauseMs", 80L)
        .put("benchGcPauseMaxMs", 44L);
    String paused = LoadRun.describe(s);
    assertTrue(paused.contains("bench GC:  12 pauses, 80 ms, the longest 44 ms"), paused);
    assertTrue(paused.contains("stood still for up to 44 ms"), paused);
    String brief = LoadRun.describe(s.copy().put("benchGcPauseMaxMs", 3L));
    assertTrue(brief.contains("the longest 3 ms") && !brief.contains("warning"), brief);
    String flatOut = LoadRun.describe(s.copy().put("rate", 0));
    assertFalse(flatOut.contains("warning"), "flat out, the throughput is the figure: " + flatOut);
  }

  /** The summary of a fixed-rate run of one pair, without the node's figures. */
  private static JsonObject fixedRateSummary() {
    return new JsonObject().put("transport", "tcp").put("transmission", "push")
        .put("connections", 2).put("senders", 1).put("servers", new io.vertx.core.json.JsonArray())
        .put("rate", 1000).put("size", 100).put("warmupSeconds", 5).put("durationSeconds", 15)
        .put("connect", new JsonObject().put("sessions", 2).put("seconds", 0.1)
            .put("perSecond", 20.0))
        .put("sent", 1L).put("sentPerSecond", 1.0).put("accepted", 1L)
        .put("acceptedPerSecond", 1.0).put("delivered", 1L).put("deliveredPerSecond", 1.0)
        .put("coordinatedOmissionCorrected", true).put("latencyMs", new JsonObject())
        .put("errorCount", 0L).put("benchCpuCores", 0.1)
        .put("node", new JsonObject().put("available", false).put("reason", "test"));
  }

  /** Signed messages (PROTOCOL.md §10): the tokens bind the key, the node verifies each one. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"Ed25519", "EC"})
  void aSignedRunAddsUp(String kind) throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance(kind);
    if (kind.equals("EC")) {
      g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    }
    BenchOptions o = options(false).connections(4).rate(40).warmupSeconds(0).durationSeconds(1)
        .progress(false).signingKey(io.phoenix.protocol.DeviceKey.of(g.generateKeyPair()
            .getPrivate()));
    JsonObject s = LoadRun.run(o, System.err);

    assertEquals(0, s.getLong("errorCount"), () -> "errors: " + s.getJsonObject("errors"));
    assertTrue(s.getLong("accepted") > 0, s::encode);
    assertEquals(s.getLong("accepted"), s.getLong("delivered"));
    assertEquals(kind.equals("EC") ? "P-256" : "Ed25519", s.getString("signed"));
  }

  @Test
  void flatOutKeepsTheWindowAndAddsUp() throws Exception {
    BenchOptions o = options(false).connections(4).rate(0).window(4).warmupSeconds(0)
        .durationSeconds(1).progress(false).eventLoops(2);
    JsonObject s = LoadRun.run(o, System.err);

    assertEquals(0, s.getLong("errorCount"), () -> "errors: " + s.getJsonObject("errors"));
    assertTrue(s.getLong("accepted") > 0);
    assertEquals(s.getLong("accepted"), s.getLong("delivered"));
    assertEquals(false, s.getBoolean("coordinatedOmissionCorrected"));
    assertEquals(2, s.getInteger("benchEventLoops"), "one lane per event loop");
  }

  @Test
  void idleSessionsReportTheNodesMemory() throws Exception {
    BenchOptions o = options(false).idle(50).warmupSeconds(0).durationSeconds(1)
        .metrics(new BenchOptions.Server("127.0.0.1", node.httpPort())).progress(false);
    o.validate(10_000);
    JsonObject s = IdleRun.run(o, System.err);

    assertEquals(50, s.getLong("sessions"));
    assertEquals(0, s.getLong("failed"));
    assertEquals(0, s.getLong("errorCount"), () -> "errors: " + s.getJsonObject("errors"));
    JsonObject n = s.getJsonObject("node");
    assertTrue(n.getDouble("heapAfter") > 0, n::encode);
    assertTrue(n.getDouble("rssAfter") > 0, n::encode); // Linux: phoenix_process_resident_memory_bytes
    assertTrue(IdleRun.describe(s).contains("per session"));
  }

  /** Runs {@code phoenix bench ARGS} in this JVM; returns its exit code and stdout. */
  static Map.Entry<Integer, String> bench(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = PhoenixCommand.run(args);
    } finally {
      System.setOut(stdout);
    }
    return Map.entry(code, out.toString(StandardCharsets.UTF_8));
  }

  /** The JSON lines of the output (the test node, in this JVM, logs to stdout too). */
  static List<String> jsonLines(String text) {
    return text.lines().filter(l -> l.startsWith("{")).toList();
  }

  /**
   * {@code --pairs 1,2 --json}: two shapes one after the other, one JSON line each, carrying
   * its shape and figures that add up, and the node's GC pauses and CPU over the window (read
   * from its /metrics).
   */
  @Test
  void severalShapesPrintOneJsonLineEach() {
    System.gc(); // the node's GC pause series exist from the first pause of its JVM (this one)
    Map.Entry<Integer, String> r = bench("bench",
        "--server", "127.0.0.1:" + node.tcpPort(), "--metrics", "127.0.0.1:" + node.httpPort(),
        "--token-secret", TestNode.SECRET, "--pairs", "1,2", "--window", "4", "--rate", "0",
        "--size", "32", "--warmup", "0", "--duration", "1", "--json", "--quiet");
    assertEquals(0, r.getKey(), r.getValue());
    List<String> rows = jsonLines(r.getValue());
    assertEquals(2, rows.size(), r.getValue());
    for (int i = 0; i < 2; i++) {
      JsonObject s = new JsonObject(rows.get(i));
      int pairs = i + 1;
      assertEquals("messages", s.getString("mode"), s::encode);
      assertEquals("tcp", s.getString("transport"), s::encode);
      assertEquals(pairs, s.getInteger("pairs"), s::encode);
      assertEquals(2 * pairs, s.getInteger("connections"), s::encode);
      assertEquals(4, s.getInteger("window"), s::encode);
      assertEquals(0, s.getInteger("rate"), s::encode);
      assertEquals(32, s.getInteger("size"), s::encode);
      assertEquals(i + 1, s.getInteger("shapeIndex"), s::encode);
      assertEquals(2, s.getInteger("shapeCount"), s::encode);
      assertEquals(0, s.getLong("errorCount"), s::encode);
      assertTrue(s.getLong("sent") > 0, s::encode);
      assertEquals(s.getLong("sent"), s.getLong("accepted"), s::encode);
      assertEquals(s.getLong("accepted"), s.getLong("delivered"), s::encode);
      JsonObject n = s.getJsonObject("node");
      assertNotNull(n, s::encode);
      assertEquals(true, n.getBoolean("available"), n::encode);
      assertTrue(n.getLong("gcPauses") >= 0, n::encode);
      assertTrue(n.getDouble("gcPauseMs") >= 0, n::encode);
      assertTrue(n.getDouble("gcPauseMaxRecentMs") >= 0, n::encode);
      // the node counts its pauses in buckets (System.gc() above made the series exist)
      assertTrue(n.getLong("gcPausesOver10Ms") >= 0, n::encode);
      assertTrue(n.getLong("gcPausesOver10Ms") <= n.getLong("gcPauses"), n::encode);
      assertTrue(n.getDouble("gcPauseLongestMsAtMost") >= 0, n::encode);
      assertEquals(n.getLong("gcPauses") == 0, n.getDouble("gcPauseLongestMsAtMost") == 0,
          n::encode);
      assertTrue(n.getDouble("cpuCores") > 0, n::encode); // the node worked in the window
      assertTrue(n.getDouble("jitMs") >= 0, n::encode);
      // the node timed some of the window's messages stage by stage, in the pipeline's order;
      // on the embedded store (the test node's) every ACCEPTED waited for a commit
      assertTrue(n.getLong("stageSamples") > 0, n::encode);
      JsonObject stages = n.getJsonObject("stageMs");
      assertEquals(List.of("queued", "id_check", "bucket_wait", "owner", "commit", "mark",
          "hand_back"), List.copyOf(stages.fieldNames()), n::encode);
      for (String stage : stages.fieldNames()) {
        assertTrue(stages.getDouble(stage) >= 0, n::encode);
      }
      assertTrue(stages.getDouble("commit") > 0, n::encode);
      assertTrue(LoadRun.describe(s).contains("node path: "), () -> LoadRun.describe(s));
      assertTrue(LoadRun.describe(s).contains("node JIT:"), () -> LoadRun.describe(s));
      assertTrue(LoadRun.describe(s).contains("node GC:"), () -> LoadRun.describe(s));
    }
  }

  /** One shape: one JSON object, as before; unreadable /metrics does not fail the run. */
  @Test
  void withoutTheNodesMetricsTheRunStillWorks() {
    Map.Entry<Integer, String> r = bench("bench",
        "--server", "127.0.0.1:" + node.tcpPort(), "--metrics", "127.0.0.1:" + TestNode.freePort(),
        "--token-secret", TestNode.SECRET, "--connections", "2", "--rate", "50",
        "--warmup", "0", "--duration", "1", "--json", "--quiet");
    assertEquals(0, r.getKey(), r.getValue());
    List<String> rows = jsonLines(r.getValue());
    assertEquals(1, rows.size(), r.getValue());
    JsonObject s = new JsonObject(rows.get(0));
    assertEquals(1, s.getInteger("pairs"), s::encode);
    assertEquals(0, s.getLong("errorCount"), s::encode);
    assertTrue(s.getLong("delivered") > 0, s::encode);
    JsonObject n = s.getJsonObject("node");
    assertEquals(false, n.getBoolean("available"), n::encode);
    assertNotNull(n.getString("reason"), n::encode);
    assertTrue(n.containsKey("gcPauses") && n.getValue("gcPauses") == null, n::encode);
    assertTrue(n.containsKey("stageMs") && n.getValue("stageMs") == null, n::encode);
    assertTrue(LoadRun.describe(s).contains("node:      figures unavailable"));
  }

  @Test
  void gcPausesAreSummedOverTheirTags() {
    String text = """
        # HELP jvm_gc_pause_seconds Time spent in GC pause
        # TYPE jvm_gc_pause_seconds summary
        jvm_gc_pause_seconds_count{action="end of minor GC",cause="G1 Evacuation Pause",gc="G1 Young Generation"} 4
        jvm_gc_pause_seconds_sum{action="end of minor GC",cause="G1 Evacuation Pause",gc="G1 Young Generation"} 0.052
        jvm_gc_pause_seconds_count{action="end of major GC",cause="System.gc()",gc="G1 Old Generation"} 2
        jvm_gc_pause_seconds_sum{action="end of major GC",cause="System.gc()",gc="G1 Old Generation"} 0.25
        jvm_gc_pause_seconds_max{action="end of minor GC",cause="G1 Evacuation Pause",gc="G1 Young Generation"} 0.024
        jvm_gc_pause_seconds_max{action="end of major GC",cause="System.gc()",gc="G1 Old Generation"} 0.2
        process_cpu_time_ns_total 6.34E9
        process_cpu_usage 0.11
        jvm_compilation_time_ms_total{compiler="HotSpot 64-Bit Tiered Compilers"} 5321.0
        """;
    NodeProbe.Activity a = NodeProbe.parseActivity(text, 7);
    assertEquals(6, a.gcPauses());
    assertEquals(0.302, a.gcPauseSeconds(), 1e-9);
    assertEquals(0.2, a.gcPauseMaxRecentSeconds(), 1e-9);
    assertEquals(6.34e9, a.cpuNanos(), 1);
    assertEquals(5321, a.jitMillis(), 1e-9);
    assertTrue(a.gcSeen());
    assertTrue(Double.isNaN(NodeProbe.parseActivity("process_cpu_usage 0.1\n", 0).cpuNanos()));
    assertFalse(NodeProbe.parseActivity("process_cpu_usage 0.1\n", 0).gcSeen());
    assertTrue(Double.isNaN(NodeProbe.parseActivity("process_cpu_usage 0.1\n", 0).jitMillis()));
    assertTrue(NodeProbe.parseActivity("process_cpu_usage 0.1\n", 0).stages().isEmpty());
    assertTrue(a.gcPauseBuckets().isEmpty()); // a node without buckets
  }

  /**
   * The window's pauses over 10 ms and the bucket of its longest, from the buckets of two
   * readings summed over their tags; a series that appeared in the window counts 0 before.
   */
  @Test
  void pausesOver10MsAreCountedFromTheBucketsOfTheWindow() {
    String before = """
        # TYPE jvm_gc_pause_seconds histogram
        jvm_gc_pause_seconds_bucket{action="end of minor GC",cause="Allocation Failure",gc="PS Scavenge",le="0.005"} 3
        jvm_gc_pause_seconds_bucket{action="end of minor GC",cause="Allocation Failure",gc="PS Scavenge",le="0.01"} 4
        jvm_gc_pause_seconds_bucket{action="end of minor GC",cause="Allocation Failure",gc="PS Scavenge",le="0.02"} 5
        jvm_gc_pause_seconds_bucket{action="end of minor GC",cause="Allocation Failure",gc="PS Scavenge",le="0.05"} 5
        jvm_gc_pause_seconds_bucket{action="end of minor GC",cause="Allocation Failure",gc="PS Scavenge",le="+Inf"} 5
        jvm_gc_pause_seconds_count{action="end of minor GC",cause="Allocation Failure",gc="PS Scavenge"} 5
        jvm_gc_pause_seconds_sum{action="end of minor GC",cause="Allocation Failure",gc="PS Scavenge"} 0.04
        """;
    // in the window: 6 more young pauses, 2 of them over 10 ms (one up to 20, one up to 50),
    // and a first full pause of 30 ms on a series of its own
    String after = before.replace("le=\"0.005\"} 3", "le=\"0.005\"} 6")
        .replace("le=\"0.01\"} 4", "le=\"0.01\"} 8")
        .replace("le=\"0.02\"} 5", "le=\"0.02\"} 10")
        .replace("le=\"0.05\"} 5", "le=\"0.05\"} 11")
        .replace("le=\"+Inf\"} 5", "le=\"+Inf\"} 11")
        .replace("gc=\"PS Scavenge\"} 5", "gc=\"PS Scavenge\"} 11")
        + """
        jvm_gc_pause_seconds_bucket{action="end of major GC",cause="Ergonomics",gc="PS MarkSweep",le="0.005"} 0
        jvm_gc_pause_seconds_bucket{action="end of major GC",cause="Ergonomics",gc="PS MarkSweep",le="0.01"} 0
        jvm_gc_pause_seconds_bucket{action="end of major GC",cause="Ergonomics",gc="PS MarkSweep",le="0.02"} 0
        jvm_gc_pause_seconds_bucket{action="end of major GC",cause="Ergonomics",gc="PS MarkSweep",le="0.05"} 1
        jvm_gc_pause_seconds_count{action="end of major GC",cause="Ergonomics",gc="PS MarkSweep"} 1
        """;
    NodeProbe.Activity start = NodeProbe.parseActivity(before, 0);
    NodeProbe.Activity end = NodeProbe.parseActivity(after, 1);
    assertEquals(4.0, start.gcPauseBuckets().get(0.01));
    JsonObject out = new JsonObject();
    NodeWindow.pauseBuckets(out, start, end);
    assertEquals(3, out.getLong("gcPausesOver10Ms"), out::encode); // 7 pauses, 4 up to 10 ms
    assertEquals(50.0, out.getDouble("gcPauseLongestMsAtMost"), out::encode);
    // no pause in the window: none over 10 ms, the longest 0
    JsonObject none = new JsonObject();
    NodeWindow.pauseBuckets(none, end, end);
    assertEquals(0, none.getLong("gcPausesOver10Ms"), none::encode);
    assertEquals(0.0, none.getDouble("gcPauseLongestMsAtMost"), none::encode);
    // a node without buckets: neither figure
    JsonObject old = new JsonObject();
    NodeWindow.pauseBuckets(old, NodeProbe.parseActivity("jvm_gc_pause_seconds_count 1\n", 0),
        NodeProbe.parseActivity("jvm_gc_pause_seconds_count 3\n", 1));
    assertFalse(old.containsKey("gcPausesOver10Ms"), old::encode);
  }

  /** The store's stage timers are read by their stage tag, summed over the other tags. */
  @Test
  void stageTimersAreReadByStage() {
    NodeProbe.Activity a = NodeProbe.parseActivity("""
        # TYPE phoenix_store_append_stage_seconds summary
        phoenix_store_append_stage_seconds_count{stage="commit",type="embedded"} 40
        phoenix_store_append_stage_seconds_sum{stage="commit",type="embedded"} 0.02
        phoenix_store_append_stage_seconds_count{type="embedded",stage="queued"} 40
        phoenix_store_append_stage_seconds_sum{type="embedded",stage="queued"} 0.004
        phoenix_store_append_stage_seconds_max{stage="commit",type="embedded"} 0.003
        """, 0);
    assertEquals(List.of("commit", "queued"), List.copyOf(a.stages().keySet()));
    assertArrayEquals(new double[] {40, 0.02}, a.stages().get("commit"), 1e-12);
    assertArrayEquals(new double[] {40, 0.004}, a.stages().get("queued"), 1e-12);
  }

  /** The summary adds the stage means up and lists them in the order given. */
  @Test
  void theStagesAreSummedUpInTheSummary() {
    JsonObject n = new JsonObject().put("available", true).put("seconds", 20.0)
        .put("stageSamples", 300).put("stageMs", new JsonObject().put("queued", 0.1)
            .put("commit", 1.25).put("hand_back", 0.2));
    assertTrue(NodeWindow.describe(n).contains("node path: 1.55 ms per new message in the store "
        + "(mean of 300 sampled): queued 0.10 · commit 1.25 · hand back 0.20"),
        () -> NodeWindow.describe(n));
  }

  /** A node whose JIT compilers worked for much of the window was not warm: the summary says so. */
  @Test
  void aNodeStillCompilingIsReportedAsWarmingUp() {
    JsonObject warm = new JsonObject().put("available", true).put("seconds", 20.0)
        .put("cpuCores", 1.2).put("jitMs", 1_600.0);
    JsonObject cold = warm.copy().put("jitMs", 6_500.0);
    assertTrue(NodeWindow.describe(warm).contains("node JIT:  1600 ms of compilation"),
        () -> NodeWindow.describe(warm));
    assertFalse(NodeWindow.describe(warm).contains("warming up"), () -> NodeWindow.describe(warm));
    assertTrue(NodeWindow.describe(cold).contains("worked for 33% of the measured window (their "
        + "threads' time summed): the node was still warming up"), () -> NodeWindow.describe(cold));
  }

  /** A node that has not collected yet has no pause series: it has paused 0 times. */
  @Test
  void aNodeBeforeItsFirstCollectionHasPausedZeroTimes() {
    NodeProbe.Activity a = NodeProbe.parseActivity("""
        jvm_gc_max_data_size_bytes 2.147483648E9
        jvm_gc_memory_allocated_bytes_total 0.0
        process_cpu_time_ns_total 1.0E9
        """, 0);
    assertTrue(a.gcSeen());
    assertEquals(0, a.gcPauses());
  }

  /**
   * The bench frames WebSocket itself: an upgrade the node refuses fails the run with the node's
   * status, and a session that does open reads the node's frames (the runs above).
   */
  @Test
  void aWebSocketPathTheNodeDoesNotServeFailsTheRunWithItsStatus() {
    BenchOptions o = options(true).webSocketPath("/elsewhere").connections(2).rate(10)
        .warmupSeconds(0).durationSeconds(1);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> LoadRun.run(o, System.err));
    assertTrue(e.getMessage().contains("upgrade refused: HTTP/1.1 404"), e.getMessage());
  }

  @Test
  void theCommandRefusesBadOptionsWithExitCode2() {
    assertEquals(2, PhoenixCommand.run("bench", "--server", "no-port", "--token-secret", "s"));
    assertEquals(2, PhoenixCommand.run("bench", "--server", "127.0.0.1:1", "--token-secret", "s",
        "--connections", "3"));
    assertEquals(2, PhoenixCommand.run("bench", "--server", "127.0.0.1:1", "--token-secret", "s",
        "--connections", "4", "--pairs", "1,2"));
    assertEquals(2, PhoenixCommand.run("bench", "--server", "127.0.0.1:1", "--token-secret", "s",
        "--pairs", "0,2"));
    assertEquals(2, PhoenixCommand.run("bench", "--server", "127.0.0.1:1", "--token-secret", "s",
        "--pairs", "2", "--idle", "10"));
  }

  @Test
  void refusesMoreSocketsThanTheProcessCanHold() {
    BenchOptions o = new BenchOptions().server(new BenchOptions.Server("127.0.0.1", 1))
        .tokens("s", "phoenix").idle(25_000);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> o.validate(19_700));
    assertTrue(e.getMessage().contains("--source-addresses"), e.getMessage());
  }
}

package io.phoenix.cli;

import io.phoenix.bench.BenchOptions;
import io.phoenix.bench.IdleRun;
import io.phoenix.bench.LoadRun;
import io.phoenix.config.ConfigException;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.protocol.DeviceKey;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code phoenix bench}: a load generator on lean protocol connections. Message runs pair
 * senders with receivers and report sent / ACCEPTED / delivered per second, latency
 * percentiles, the node's GC pauses and CPU and the bench's own pauses; {@code --pairs} runs
 * several shapes one after the other. {@code --idle N} opens idle sessions and reports the
 * node's memory per session.
 * Progress goes to stderr, the summary to stdout (JSON Lines with {@code --json}: one object
 * per shape).
 *
 * <p>Runs on the main thread, which waits for the run; it stops by itself after
 * warmup + duration.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Load a node (or several) with messages or idle sessions and report "
        + "throughput, latency or memory per session.",
    footer = {"", "Examples:",
        "  phoenix bench --server 127.0.0.1:4100 --connections 200 --rate 20000 \\",
        "    --duration 30 --warmup 5",
        "  phoenix bench --server 127.0.0.1:4100 --metrics 127.0.0.1:4000 \\",
        "    --pairs 1,8,32 --window 16 --rate 0 --json",
        "",
        "--json prints JSON Lines: one object per shape, as each shape ends.",
        "  shape:   mode (messages), transport (tcp, tls, ws, wss), deflate (the",
        "           WebSocket clients offered permessage-deflate), transmission",
        "           (push, pull), pairs, connections, window, rate (0: flat out),",
        "           size, ackEvery, signed, warmupSeconds, durationSeconds,",
        "           shapeIndex (from 1), shapeCount",
        "  figures: sent, accepted, delivered and their *PerSecond (measured",
        "           window); latencyMs.{endToEnd, accepted, sendLag}.{count, p50,",
        "           p90, p99, p999, max}; errors, errorCount, benchCpuCores,",
        "           connect.{sessions, seconds, perSecond}; at a fixed rate",
        "           lagAtWindowStartMs (how late the last sender to reach the",
        "           measured window sent its first message there: over 100 ms, the",
        "           node was still working off the warm-up, and a warning says so);",
        "           benchGcPauses, benchGcPauseMs, benchGcPauseMaxMs (the bench's own",
        "           stop-the-world collections in the window: at a fixed rate, one",
        "           over 10 ms gets a warning, as it delays what the bench times)",
        "  node:    from its /metrics when the window opens and closes:",
        "           available, metrics, seconds, gcPauses, gcPauseMs (their total),",
        "           gcPauseMaxRecentMs (Micrometer's decaying max: the longest",
        "           pause of the node's last minutes), gcPausesOver10Ms and",
        "           gcPauseLongestMsAtMost (the window's pauses over 10 ms, and the",
        "           bucket bound of its longest: from jvm_gc_pause_seconds_bucket),",
        "           cpuCores (node CPU seconds",
        "           per wall second), jitMs (time the node's JIT compilers worked:",
        "           over 20%% of the window, the node was still warming up, and a",
        "           warning says so), stageSamples and stageMs (new messages the",
        "           node timed stage by stage in the window, and their mean ms per",
        "           stage of its store: queued, id_check, bucket_wait, owner,",
        "           commit, mark, hand_back), reason (why not available)"})
final class BenchCommand implements Callable<Integer> {
  /** File descriptors kept back for the JVM itself (jars, epoll, pipes, ...). */
  private static final long RESERVED_FILES = 300;

  @Option(names = "--server", paramLabel = "HOST:PORT",
      description = "A node's TCP port (HTTP port with --ws), or a full endpoint (tcp://, "
          + "tls://, ws://…/PATH, wss://…/PATH); an IPv6 host in brackets ([::1]:4100); repeat "
          + "to spread the connections (default: the configured node)")
  List<String> servers = new ArrayList<>();

  @Option(names = "--ws", description = "WebSocket at --ws-path on the HTTP port instead of TCP")
  boolean ws;

  @Option(names = "--ws-path", paramLabel = "PATH", description = "Default: ${DEFAULT-VALUE}")
  String wsPath = "/socket";

  @Option(names = "--ws-deflate",
      description = "WebSocket clients offer permessage-deflate, as browsers do (they are then "
          + "Vert.x's; without this option the bench frames WebSocket itself, one write per "
          + "frame, as over TCP)")
  boolean wsDeflate;

  @Option(names = "--connections", paramLabel = "N",
      description = "Sessions, half senders, each paired with a receiver (default: "
          + "${DEFAULT-VALUE})")
  int connections = BenchOptions.DEFAULT_CONNECTIONS;

  @Option(names = "--pairs", paramLabel = "LIST", split = ",",
      description = "Instead of --connections: sender/receiver pairs of each shape, run one "
          + "after the other with their own connections, warmup and measurement (e.g. 1,8,32)")
  List<Integer> pairs = new ArrayList<>();

  @Option(names = "--rate", paramLabel = "R",
      description = "Messages per second in all; 0 = flat out (default: ${DEFAULT-VALUE})")
  int rate = BenchOptions.DEFAULT_RATE;

  @Option(names = "--duration", paramLabel = "S",
      description = "Measured seconds (idle: how long to hold the sessions after measuring; "
          + "default: ${DEFAULT-VALUE})")
  int duration = BenchOptions.DEFAULT_DURATION_SECONDS;

  @Option(names = "--warmup", paramLabel = "S",
      description = "Seconds before measuring (idle: before reading the node's memory; "
          + "default: ${DEFAULT-VALUE})")
  int warmup = BenchOptions.DEFAULT_WARMUP_SECONDS;

  @Option(names = "--size", paramLabel = "BYTES",
      description = "Payload bytes per message, at least 16 (default: ${DEFAULT-VALUE})")
  int size = BenchOptions.DEFAULT_SIZE;

  @Option(names = "--pull", description = "transmission_mode PULL: receivers pull on hints")
  boolean pull;

  @Option(names = "--window", paramLabel = "N",
      description = "Most unanswered messages per sender (default: ${DEFAULT-VALUE})")
  int window = BenchOptions.DEFAULT_WINDOW;

  @Option(names = "--ack-every", paramLabel = "N",
      description = "Receivers acknowledge DELIVERED every N messages, as a client does; 0 never "
          + "(default: ${DEFAULT-VALUE})")
  int ackEvery = BenchOptions.DEFAULT_ACK_EVERY;

  @Option(names = "--idle", paramLabel = "N",
      description = "Instead of messages: open N idle sessions and report the node's heap and "
          + "RSS per session")
  int idle;

  @Option(names = "--metrics", paramLabel = "HOST:PORT",
      description = "The node's HTTP address for /metrics: memory (idle mode), GC pauses and "
          + "CPU (message runs). When that port has TLS give https://HOST:PORT (verified as "
          + "the servers are: --ca, else the JVM's trust store). Default: the first --server "
          + "with --ws (https with wss://), else the HTTP address of the configured node "
          + "(--config, or the default one when no --server is given; https with tls.http)")
  String metrics;

  @Option(names = "--node-pid", paramLabel = "PID",
      description = "The node's PID on this machine: run jcmd PID GC.run before each memory "
          + "reading")
  long nodePid;

  @Option(names = "--source-addresses", paramLabel = "ADDR,...", split = ",",
      description = "Local addresses to bind client sockets to, round-robin (e.g. "
          + "127.0.0.2,127.0.0.3)")
  List<String> sourceAddresses = new ArrayList<>();

  @Option(names = "--ca", paramLabel = "FILE",
      description = "PEM file of the CA that tls:// and wss:// servers' certificates must chain "
          + "to (default: the JVM's trust store)")
  Path ca;

  @Option(names = "--key", paramLabel = "FILE",
      description = "Sign every message with this device key (PKCS#8 PEM, Ed25519 or P-256); "
          + "the tokens bind it (PROTOCOL.md §10)")
  Path key;

  @Mixin
  ConfigOption config;

  @Option(names = "--token-secret", paramLabel = "SECRET",
      description = "HS256 secret to sign tokens (default: auth.jwtSecret of --config)")
  String tokenSecret;

  @Option(names = "--event-loops", paramLabel = "N",
      description = "Event loops of the generator; on a small box shared with the node one "
          + "disturbs the node least (default: ${DEFAULT-VALUE})")
  int eventLoops = BenchOptions.DEFAULT_EVENT_LOOPS;

  @Option(names = "--json", description = "Print the summary as JSON on stdout, one object per "
      + "line and shape (fields below)")
  boolean json;

  @Option(names = "--quiet", description = "No progress lines on stderr")
  boolean quiet;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    BenchOptions o;
    try {
      o = options();
      o.validate(maxSockets());
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    try {
      if (o.idle() > 0) {
        JsonObject summary = IdleRun.run(o, System.err);
        print(json ? summary.encode() + "\n" : IdleRun.describe(summary));
        return 0;
      }
      int shapes = o.shapes().size();
      List<JsonObject> summaries = LoadRun.runShapes(o, System.err, s -> print(json
          ? s.encode() + "\n"
          : (shapes > 1 ? String.format(Locale.ROOT, "%s== shape %d of %d: %d pair%s ==%n",
              s.getInteger("shapeIndex") > 1 ? "\n" : "", s.getInteger("shapeIndex"), shapes,
              s.getInteger("pairs"), s.getInteger("pairs") == 1 ? "" : "s") : "") + LoadRun.describe(s)));
      if (!json && shapes > 1) {
        print("\n" + LoadRun.compare(summaries));
      }
      return 0;
    } catch (Exception e) {
      System.err.println("bench failed: " + e.getMessage());
      return 1;
    }
  }

  private static void print(String text) {
    System.out.print(text);
    System.out.flush();
  }

  private BenchOptions options() throws ConfigException {
    if (!pairs.isEmpty() && spec.commandLine().getParseResult().hasMatchedOption("--connections")) {
      throw new IllegalArgumentException("give either --connections N (N/2 pairs) or --pairs "
          + "LIST (e.g. 1,8,32), not both");
    }
    PhoenixConfig c = config.load().config();
    BenchOptions o = new BenchOptions()
        .webSocket(ws).webSocketPath(wsPath).webSocketDeflate(wsDeflate)
        .connections(connections).rate(rate)
        .durationSeconds(duration).warmupSeconds(warmup).size(size).pull(pull).window(window).ackEvery(ackEvery)
        .pairs(pairs).idle(idle).nodePid(nodePid).eventLoops(eventLoops).progress(!quiet)
        .tokens(tokenSecret != null ? tokenSecret : c.auth().jwtSecret(), c.auth().issuer());
    if (servers.isEmpty()) {
      String host = LocalAddress.of(ws ? c.http().host() : c.tcp().host());
      o.server(new BenchOptions.Server(host, ws ? c.http().port() : c.tcp().port()));
      o.tls(ws ? c.tls().http() : c.tls().tcp());
    }
    for (String s : servers) {
      if (s.contains("://")) {
        o.endpoint("--server", s);
      } else {
        o.server(BenchOptions.Server.parse("--server", s));
      }
    }
    if (ca != null) {
      if (!java.nio.file.Files.isReadable(ca)) {
        throw new IllegalArgumentException("--ca " + ca + " cannot be read");
      }
      o.caFile(ca);
    }
    if (key != null) {
      try {
        o.signingKey(DeviceKey.read(key));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--key: " + e.getMessage());
      }
    }
    sourceAddresses.stream().map(String::trim).filter(s -> !s.isEmpty())
        .forEach(o::sourceAddress);
    if (metrics != null) {
      o.metrics(BenchOptions.Server.parse("--metrics", metrics.replaceFirst("^https?://", "")),
          metrics.startsWith("https://"));
    } else if (!o.webSocket() && (servers.isEmpty() || config.file != null)) {
      // the configured node's HTTP side (with --ws, BenchOptions takes the first --server)
      o.metrics(new BenchOptions.Server(LocalAddress.of(c.http().host()), c.http().port()),
          c.tls().http());
    }
    return o;
  }

  /** Sockets this process may open: its open-file limit minus a reserve. */
  private static long maxSockets() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return Math.max(0, unix.getMaxFileDescriptorCount() - RESERVED_FILES);
    }
    return Long.MAX_VALUE;
  }
}

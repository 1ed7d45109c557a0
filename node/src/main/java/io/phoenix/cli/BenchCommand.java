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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phoenix bench}: a load generator on lean protocol connections. Message runs pair
 * senders with receivers and report sent / ACCEPTED / delivered per second and latency
 * percentiles; {@code --idle N} opens idle sessions and reports the node's memory per session.
 * Progress goes to stderr, the summary to stdout (JSON with {@code --json}).
 *
 * <p>Runs on the main thread, which waits for the run; it stops by itself after
 * warmup + duration.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Load a node (or several) with messages or idle sessions and report "
        + "throughput, latency or memory per session.",
    footer = {"", "Example: phoenix bench --server 127.0.0.1:4100 --connections 200 "
        + "--rate 20000 --duration 30 --warmup 5"})
final class BenchCommand implements Callable<Integer> {
  /** File descriptors kept back for the JVM itself (jars, epoll, pipes, ...). */
  private static final long RESERVED_FILES = 300;

  @Option(names = "--server", paramLabel = "HOST:PORT",
      description = "A node's TCP port (HTTP port with --ws), or a full endpoint (tcp://, "
          + "tls://, ws://…/PATH, wss://…/PATH); repeat to spread the connections (default: the "
          + "configured node)")
  List<String> servers = new ArrayList<>();

  @Option(names = "--ws", description = "WebSocket at --ws-path on the HTTP port instead of TCP")
  boolean ws;

  @Option(names = "--ws-path", paramLabel = "PATH", description = "Default: ${DEFAULT-VALUE}")
  String wsPath = "/socket";

  @Option(names = "--connections", paramLabel = "N",
      description = "Sessions, half senders, each paired with a receiver (default: "
          + "${DEFAULT-VALUE})")
  int connections = BenchOptions.DEFAULT_CONNECTIONS;

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
      description = "The node's HTTP address for /metrics (idle mode; default: the first "
          + "--server with --ws)")
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

  @Option(names = "--json", description = "Print the summary as JSON on stdout")
  boolean json;

  @Option(names = "--quiet", description = "No progress lines on stderr")
  boolean quiet;

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
    JsonObject summary;
    try {
      summary = o.idle() > 0 ? IdleRun.run(o, System.err) : LoadRun.run(o, System.err);
    } catch (Exception e) {
      System.err.println("bench failed: " + e.getMessage());
      return 1;
    }
    if (json) {
      System.out.println(summary.encode());
    } else {
      System.out.print(o.idle() > 0 ? IdleRun.describe(summary) : LoadRun.describe(summary));
    }
    System.out.flush();
    return 0;
  }

  private BenchOptions options() throws ConfigException {
    PhoenixConfig c = config.load().config();
    BenchOptions o = new BenchOptions()
        .webSocket(ws).webSocketPath(wsPath).connections(connections).rate(rate)
        .durationSeconds(duration).warmupSeconds(warmup).size(size).pull(pull).window(window).ackEvery(ackEvery)
        .idle(idle).nodePid(nodePid).eventLoops(eventLoops).progress(!quiet)
        .tokens(tokenSecret != null ? tokenSecret : c.auth().jwtSecret(), c.auth().issuer());
    if (servers.isEmpty()) {
      String host = ws ? c.http().host() : c.tcp().host();
      host = host.equals("0.0.0.0") ? "127.0.0.1" : host;
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
      o.metrics(BenchOptions.Server.parse("--metrics", metrics));
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

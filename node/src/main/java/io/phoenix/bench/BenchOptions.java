package io.phoenix.bench;

import io.phoenix.client.Endpoint;
import io.phoenix.protocol.DeviceKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a bench run does: which nodes, which transport, how many connections, how fast, for how
 * long. Defaults are the {@code DEFAULT_*} constants; {@link #validate()} checks the whole set
 * once before a run and names the first bad option.
 *
 * <p>Mutable, fluent and not thread-safe: fill it on one thread, then hand it to a run.
 */
public final class BenchOptions {
  public static final int DEFAULT_CONNECTIONS = 100;
  public static final int DEFAULT_RATE = 10_000;
  public static final int DEFAULT_DURATION_SECONDS = 10;
  public static final int DEFAULT_WARMUP_SECONDS = 3;
  public static final int DEFAULT_SIZE = 100;
  public static final int DEFAULT_WINDOW = 64;
  /** Receivers acknowledge DELIVERED every this many messages by default, as a client does. */
  public static final int DEFAULT_ACK_EVERY = 16;
  public static final int DEFAULT_EVENT_LOOPS = 1;
  /** Smallest payload: it carries two timestamps. */
  public static final int MIN_SIZE = 16;

  /** A node address, {@code host:port}; an IPv6 host is held without brackets. */
  public record Server(String host, int port) {
    /**
     * Parses {@code host:port}, the value of {@code option}; an IPv6 host may be in brackets
     * ({@code [::1]:4000}) or not ({@code ::1:4000}: the port is after the last colon).
     */
    public static Server parse(String option, String s) {
      int colon = s.lastIndexOf(':');
      int port = -1;
      if (colon > 0) {
        try {
          port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
          port = -1;
        }
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(option + " must be host:port with a port of 1 to "
            + "65535, not \"" + s + "\"");
      }
      String host = s.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new Server(host, port);
    }

    /** {@code host:port}, an IPv6 host in brackets ({@code [::1]:4000}), as in a URL. */
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  private final List<Server> servers = new ArrayList<>();
  private boolean webSocket;
  private String webSocketPath = "/socket";
  private boolean webSocketDeflate;
  private int connections = DEFAULT_CONNECTIONS;
  private final List<Integer> pairs = new ArrayList<>();
  private int rate = DEFAULT_RATE;
  private int durationSeconds = DEFAULT_DURATION_SECONDS;
  private int warmupSeconds = DEFAULT_WARMUP_SECONDS;
  private int size = DEFAULT_SIZE;
  private boolean pull;
  private int window = DEFAULT_WINDOW;
  private int ackEvery = DEFAULT_ACK_EVERY;
  private int idle;
  private final List<String> sourceAddresses = new ArrayList<>();
  private String tokenSecret;
  private String issuer = "phoenix";
  private Server metrics;
  private boolean metricsTls;
  private long nodePid;
  private int eventLoops = DEFAULT_EVENT_LOOPS;
  private boolean progress = true;
  private boolean tls;
  private Path caFile;
  private DeviceKey signingKey;

  /** Adds a node to spread connections over (TCP port, or HTTP port with WebSocket). */
  public BenchOptions server(Server s) {
    servers.add(s);
    return this;
  }

  /**
   * Adds a node given as a full endpoint ({@code tcp://}, {@code tls://}, {@code ws://…/PATH}
   * or {@code wss://…/PATH}): sets the transport, TLS and WebSocket path, which every such
   * endpoint must share.
   *
   * @throws IllegalArgumentException naming {@code option} when it is not an endpoint or
   *     differs from an earlier one
   */
  public BenchOptions endpoint(String option, String text) {
    Endpoint e;
    try {
      e = Endpoint.parse(text);
    } catch (IllegalArgumentException x) {
      throw new IllegalArgumentException(option + ": " + x.getMessage());
    }
    if (!servers.isEmpty() && (e.isWebSocket() != webSocket || e.isTls() != tls
        || (e.isWebSocket() && !e.path().equals(webSocketPath)))) {
      throw new IllegalArgumentException(option + " " + text + ": every --server must use the"
          + " same scheme and path");
    }
    webSocket = e.isWebSocket();
    tls = e.isTls();
    if (e.isWebSocket()) {
      webSocketPath = e.path();
    }
    servers.add(new Server(e.host(), e.port()));
    return this;
  }

  /** TLS (TLS over TCP, or WSS) to the servers, verified against {@link #caFile()}. */
  public BenchOptions tls(boolean on) {
    this.tls = on;
    return this;
  }

  /** PEM CA file the servers' certificates must chain to; null: the JVM's trust store. */
  public BenchOptions caFile(Path file) {
    this.caFile = file;
    return this;
  }

  /** Device key that signs every message; the tokens bind it (PROTOCOL.md §10). */
  public BenchOptions signingKey(DeviceKey key) {
    this.signingKey = key;
    return this;
  }

  public boolean tls() {
    return tls;
  }

  /** The transport, as a run's summary names it: tcp, tls, ws or wss. */
  public String transport() {
    return webSocket ? (tls ? "wss" : "ws") : (tls ? "tls" : "tcp");
  }

  public Path caFile() {
    return caFile;
  }

  public DeviceKey signingKey() {
    return signingKey;
  }

  /** WebSocket at {@link #webSocketPath()} on the servers' HTTP ports instead of TCP. */
  public BenchOptions webSocket(boolean ws) {
    this.webSocket = ws;
    return this;
  }

  public BenchOptions webSocketPath(String path) {
    this.webSocketPath = path;
    return this;
  }

  /** WebSocket clients offer permessage-deflate in their handshake, as browsers do. */
  public BenchOptions webSocketDeflate(boolean deflate) {
    this.webSocketDeflate = deflate;
    return this;
  }

  /** Connections of a message run: half senders, each paired 1:1 with a receiver. */
  public BenchOptions connections(int n) {
    this.connections = n;
    return this;
  }

  /**
   * Several shapes in one run: a message run for each entry, with that many sender/receiver
   * pairs, one after the other. Replaces {@link #connections(int)}.
   */
  public BenchOptions pairs(List<Integer> list) {
    pairs.clear();
    pairs.addAll(list);
    return this;
  }

  /**
   * The pairs of each shape to run, in order: those given to {@link #pairs(List)}, else one
   * shape of {@code connections / 2}.
   */
  public List<Integer> shapes() {
    return pairs.isEmpty() ? List.of(connections / 2) : List.copyOf(pairs);
  }

  /** Messages per second over all senders; 0 sends flat out within {@link #window()}. */
  public BenchOptions rate(int r) {
    this.rate = r;
    return this;
  }

  public BenchOptions durationSeconds(int s) {
    this.durationSeconds = s;
    return this;
  }

  public BenchOptions warmupSeconds(int s) {
    this.warmupSeconds = s;
    return this;
  }

  /** Payload bytes per message (at least {@link #MIN_SIZE}). */
  public BenchOptions size(int bytes) {
    this.size = bytes;
    return this;
  }

  /** PULL transmission: receivers get hints and pull; otherwise messages are pushed. */
  public BenchOptions pull(boolean pull) {
    this.pull = pull;
    return this;
  }

  /** Most unanswered messages per sender. */
  public BenchOptions window(int w) {
    this.window = w;
    return this;
  }

  /**
   * Receivers acknowledge DELIVERED (cumulatively) once this many messages arrived since their
   * last acknowledgement; 0 never (the node then refuses a stream's messages beyond
   * {@code limits.maxUndeliveredPerStream}).
   */
  public BenchOptions ackEvery(int n) {
    this.ackEvery = n;
    return this;
  }

  public int ackEvery() {
    return ackEvery;
  }

  /** Idle mode: open this many idle sessions and report the node's memory per session. */
  public BenchOptions idle(int n) {
    this.idle = n;
    return this;
  }

  /** Local addresses to bind client sockets to, round-robin (more ephemeral ports). */
  public BenchOptions sourceAddress(String address) {
    sourceAddresses.add(address);
    return this;
  }

  /** HS256 secret and issuer of the tokens the bench signs. */
  public BenchOptions tokens(String secret, String issuer) {
    this.tokenSecret = secret;
    this.issuer = issuer;
    return this;
  }

  /** The node's HTTP address, for its {@code /metrics} (memory, GC pauses, CPU), over http. */
  public BenchOptions metrics(Server httpAddress) {
    return metrics(httpAddress, false);
  }

  /**
   * The node's HTTP address, for its {@code /metrics}; with {@code tls} that port has TLS and is
   * read over https, its certificate verified as the servers' are (chain to {@link #caFile()},
   * else to the JVM's trust store, and the host name).
   */
  public BenchOptions metrics(Server httpAddress, boolean tls) {
    this.metrics = httpAddress;
    this.metricsTls = tls;
    return this;
  }

  /** PID of the node on this machine: a {@code jcmd PID GC.run} precedes each heap reading. */
  public BenchOptions nodePid(long pid) {
    this.nodePid = pid;
    return this;
  }

  public BenchOptions eventLoops(int n) {
    this.eventLoops = n;
    return this;
  }

  /** Whether to print a progress line on stderr every second. */
  public BenchOptions progress(boolean on) {
    this.progress = on;
    return this;
  }

  public List<Server> servers() {
    return servers;
  }

  public boolean webSocket() {
    return webSocket;
  }

  public String webSocketPath() {
    return webSocketPath;
  }

  /** Whether the run's clients offer permessage-deflate: WebSocket ones asked to, only. */
  public boolean webSocketDeflate() {
    return webSocket && webSocketDeflate;
  }

  public int connections() {
    return connections;
  }

  public int rate() {
    return rate;
  }

  public int durationSeconds() {
    return durationSeconds;
  }

  public int warmupSeconds() {
    return warmupSeconds;
  }

  public int size() {
    return size;
  }

  public boolean pull() {
    return pull;
  }

  public int window() {
    return window;
  }

  public int idle() {
    return idle;
  }

  public List<String> sourceAddresses() {
    return sourceAddresses;
  }

  public String tokenSecret() {
    return tokenSecret;
  }

  public String issuer() {
    return issuer;
  }

  /** The node's HTTP address for /metrics: as set, else the first server with WebSocket. */
  public Server metrics() {
    if (metrics != null) {
      return metrics;
    }
    return webSocket && !servers.isEmpty() ? servers.get(0) : null;
  }

  /**
   * Whether {@link #metrics()} speaks TLS: as set with it, else as the servers do (the first
   * WebSocket server is an HTTP port: with wss:// it has TLS).
   */
  public boolean metricsTls() {
    return metrics != null ? metricsTls : tls;
  }

  public long nodePid() {
    return nodePid;
  }

  public int eventLoops() {
    return eventLoops;
  }

  public boolean progress() {
    return progress;
  }

  /**
   * Checks every option and what this process can hold.
   *
   * @param maxSockets how many sockets this process may open (its file limit minus a reserve)
   * @throws IllegalArgumentException naming the first bad option and how to fix it
   */
  public void validate(long maxSockets) {
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("give at least one --server host:port");
    }
    if (tokenSecret == null || tokenSecret.isEmpty()) {
      throw new IllegalArgumentException("no token secret: give --token-secret or --config");
    }
    check(durationSeconds >= 1 && durationSeconds <= 86_400, "--duration must be 1 to 86400");
    check(warmupSeconds >= 0 && warmupSeconds <= 3600, "--warmup must be 0 to 3600");
    check(eventLoops >= 1 && eventLoops <= 64, "--event-loops must be 1 to 64");
    check(idle >= 0, "--idle must not be negative");
    check(idle == 0 || pairs.isEmpty(), "--pairs is for message runs, not with --idle");
    check(pairs.stream().allMatch(p -> p != null && p >= 1),
        "--pairs must list pair counts of at least 1, e.g. --pairs 1,8,32");
    long mostPairs = pairs.stream().mapToLong(Integer::longValue).max().orElse(connections / 2);
    long sockets = idle > 0 ? idle : pairs.isEmpty() ? connections : 2 * mostPairs;
    if (sockets > maxSockets) {
      throw new IllegalArgumentException((idle > 0 ? "--idle " + sockets
          : pairs.isEmpty() ? "--connections " + sockets : "--pairs " + mostPairs + " ("
              + sockets + " connections)")
          + " needs that many sockets, but this process may open about " + maxSockets
          + " (its open-file limit): run several bench processes with fewer connections each,"
          + " each with its own --source-addresses (e.g. 127.0.0.2, 127.0.0.3)");
    }
    if (idle > 0) {
      return;
    }
    check(!pairs.isEmpty() || connections >= 2 && connections % 2 == 0,
        "--connections must be an even number, at least 2 (senders and receivers in pairs)");
    check(rate >= 0, "--rate must be 0 (flat out) or more");
    check(rate == 0 || rate >= mostPairs, "--rate must give every sender at least one message a "
        + "second (rate >= " + (pairs.isEmpty() ? "connections/2" : "the largest --pairs") + ")");
    check(size >= MIN_SIZE && size <= 1_000_000, "--size must be " + MIN_SIZE + " to 1000000");
    check(window >= 1 && window <= 1_000_000, "--window must be 1 to 1000000");
    check(ackEvery >= 0 && ackEvery <= 1_000_000, "--ack-every must be 0 to 1000000");
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}

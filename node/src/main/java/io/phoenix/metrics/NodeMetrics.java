package io.phoenix.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The node's own figures, as {@code phoenix_*} Micrometer meters: connections by transport,
 * sessions, frames in and out, messages accepted / delivered / pulled, acks by method,
 * refusals by status, send-to-ACCEPTED latency, event-bus forwards and cluster members, plus
 * JVM meters. Scraped by Prometheus at {@code /metrics}; summarized for the dashboard by
 * {@link #snapshot()}.
 *
 * <p>Thread-safe; every method is cheap enough for the hot path (striped counters, no locks).
 */
public final class NodeMetrics {
  private final MeterRegistry registry;
  /** The transports a client connection reports ({@code Connection.transport()}). */
  private static final List<String> TRANSPORTS = List.of("tcp", "ws");
  private final Map<String, AtomicLong> connections = new ConcurrentHashMap<>();
  private final Map<String, Counter> framesIn = new ConcurrentHashMap<>();
  private final Map<String, Counter> framesOut = new ConcurrentHashMap<>();
  /** By ack method 1..5; index 0 for any other ("other"). Made once: acks are frequent. */
  private final Counter[] acks = new Counter[6];
  private final Counter[] signatures = new Counter[2];
  private final Map<Integer, Counter> refusals = new ConcurrentHashMap<>();
  private final AtomicLong sessions = new AtomicLong();
  /** Why pushes to another node were given up (see {@link #busUndelivered}). */
  public static final List<String> UNDELIVERED_REASONS =
      List.of("left", "unreachable", "overflow", "refused");
  private final Counter accepted;
  private final Counter delivered;
  private final Counter pulled;
  private final Counter forwards;
  private final Counter busSends;
  private final Counter busHeld;
  private final Counter busUnconfirmed;
  private final Map<String, Counter> busUndelivered = new ConcurrentHashMap<>();
  private final Counter gapHints;
  private final Counter signalsPaced;
  private final Counter rejoins;
  private final Counter addressRenewals;
  private final Timer acceptLatency;
  private final LongAdder acceptedTotal = new LongAdder();
  private final LongAdder deliveredTotal = new LongAdder();

  public NodeMetrics(MeterRegistry registry) {
    this.registry = registry;
    accepted = Counter.builder("phoenix_messages_accepted")
        .description("Messages stored (or, for DEVICE, handed on) and answered ACCEPTED 200")
        .register(registry);
    delivered = Counter.builder("phoenix_messages_delivered")
        .description("Messages and hints pushed to devices of this node").register(registry);
    pulled = Counter.builder("phoenix_messages_pulled")
        .description("Stored messages sent in answer to PULL_REQUEST").register(registry);
    forwards = Counter.builder("phoenix_eventbus_forwards")
        .description("Frames sent to another node over the clustered event bus")
        .register(registry);
    busSends = Counter.builder("phoenix_eventbus_sends")
        .description("Event-bus messages sent to other nodes: the forwards (and session "
            + "kicks) an event loop made for one node in one turn share one")
        .register(registry);
    busHeld = Counter.builder("phoenix_eventbus_held")
        .description("Event-bus messages held for a node that had not taken one, then sent to "
            + "it (again, or behind the one not taken) once a wait had passed")
        .register(registry);
    busUnconfirmed = Counter.builder("phoenix_eventbus_unconfirmed")
        .description("Event-bus messages a node that never answered one (a build before "
            + "answers) left unanswered; not sent again")
        .register(registry);
    for (String reason : UNDELIVERED_REASONS) {
      busUndelivered.put(reason, Counter.builder("phoenix_eventbus_undelivered_pushes")
          .tag("reason", reason)
          .description("Pushes to devices of another node given up after that node did not "
              + "take them (their clients find the messages by SYNC and PULL_REQUEST)")
          .register(registry));
    }
    gapHints = Counter.builder("phoenix_push_gap_hints")
        .description("SYNC hints sent because a stream's pushes arrived with a gap or late")
        .register(registry);
    signalsPaced = Counter.builder("phoenix_signals_paced")
        .description("Times a session's reading was held back because its ack signals came "
            + "faster than limits.signalsPerSecond")
        .register(registry);
    rejoins = Counter.builder("phoenix_cluster_rejoins")
        .description("Times this node joined the cluster again after the others had declared "
            + "it dead (its sessions were then closed)")
        .register(registry);
    addressRenewals = Counter.builder("phoenix_cluster_address_renewals")
        .description("Times the cluster had lost this node's event-bus address and the node "
            + "registered it again")
        .register(registry);
    acceptLatency = Timer.builder("phoenix_send_accepted_latency")
        .description("From a message frame read to its ACCEPTED answer written")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1).dividedBy(10))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .publishPercentiles(0.5, 0.99)
        .register(registry);
    Gauge.builder("phoenix_sessions", sessions, AtomicLong::get)
        .description("Authenticated sessions on this node").register(registry);
    // every series whose labels are known in advance is there from the start, at 0: an alert
    // or a rate() over a series that appears only with its first event misses that event
    for (String transport : TRANSPORTS) {
      connection(transport);
      frameCounter(framesIn, "phoenix_frames_in", "Frames read from clients", transport);
      frameCounter(framesOut, "phoenix_frames_out", "Frames written to clients", transport);
    }
    for (boolean valid : new boolean[] {true, false}) {
      signatures[valid ? 0 : 1] = Counter.builder("phoenix_signatures_verified")
          .tag("result", valid ? "valid" : "invalid")
          .description("Message signatures verified against a session's bound key")
          .register(registry);
    }
    for (int method = 0; method < acks.length; method++) {
      acks[method] = Counter.builder("phoenix_acks").tag("method", methodName(method))
          .description("Ack signals received from clients").register(registry);
    }
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmCompilationMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    residentMemory(registry);
  }

  /**
   * {@code phoenix_process_resident_memory_bytes}: the process's resident set size (VmRSS of
   * {@code /proc/self/status}), read at each scrape. Linux only: not registered elsewhere.
   */
  private static void residentMemory(MeterRegistry registry) {
    Path status = Path.of("/proc/self/status");
    if (Files.isReadable(status) && residentBytes(status) >= 0) {
      Gauge.builder("phoenix_process_resident_memory_bytes", status, NodeMetrics::residentBytes)
          .description("Resident set size of the node's process").strongReference(true)
          .register(registry);
    }
  }

  private static double residentBytes(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.substring(6).replace("kB", "").trim()) * 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }

  /** Metrics that go nowhere (tests, tools). */
  public static NodeMetrics inMemory() {
    return new NodeMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The cluster had lost this node's event-bus address, registered again. */
  public void addressRenewed() {
    addressRenewals.increment();
  }

  /** This node joined the cluster again after being apart from it. */
  public void clusterRejoined() {
    rejoins.increment();
  }

  /** Reports the number of cluster members through {@code members}. */
  public void clusterMembers(IntSupplier members) {
    Gauge.builder("phoenix_cluster_members", members, IntSupplier::getAsInt)
        .description("Members of the cluster, this node included")
        .strongReference(true) // nothing else holds the supplier: weakly held, it reads NaN
        .register(registry);
  }

  public void connectionOpened(String transport) {
    connection(transport).incrementAndGet();
  }

  private AtomicLong connection(String transport) {
    return connections.computeIfAbsent(transport, t -> {
      AtomicLong n = new AtomicLong();
      Gauge.builder("phoenix_connections", n, AtomicLong::get).tag("transport", t)
          .description("Open client connections").register(registry);
      return n;
    });
  }

  public void connectionClosed(String transport) {
    AtomicLong n = connections.get(transport);
    if (n != null) {
      n.decrementAndGet();
    }
  }

  public void sessionOpened() {
    sessions.incrementAndGet();
  }

  public void sessionClosed() {
    sessions.decrementAndGet();
  }

  public void frameIn(String transport) {
    frameCounter(framesIn, "phoenix_frames_in", "Frames read from clients", transport)
        .increment();
  }

  public void frameOut(String transport) {
    frameCounter(framesOut, "phoenix_frames_out", "Frames written to clients", transport)
        .increment();
  }

  private Counter frameCounter(Map<String, Counter> counters, String name, String description,
      String transport) {
    return counters.computeIfAbsent(transport, t -> Counter.builder(name).tag("transport", t)
        .description(description).register(registry));
  }

  /**
   * A message answered ACCEPTED 200, {@code nanos} after its frame was read. A negative time
   * (the clocks of two vCPUs of a virtual machine a few microseconds apart) counts as 0.
   */
  public void accepted(long nanos) {
    accepted.increment();
    acceptedTotal.increment();
    acceptLatency.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  public void delivered() {
    delivered.increment();
    deliveredTotal.increment();
  }

  public void pulled(int count) {
    pulled.increment(count);
  }

  public void forwarded() {
    forwards.increment();
  }

  /** Event-bus messages held for a node that had not taken one, sent to it after a wait. */
  public void busHeldSent(int messages) {
    busHeld.increment(messages);
  }

  /** An event-bus message that a node of an older build left unanswered. */
  public void busUnconfirmed() {
    busUnconfirmed.increment();
  }

  /**
   * Pushes to another node given up, for a reason of {@link #UNDELIVERED_REASONS}: the node
   * left the cluster, stayed unreachable, had too much held for it, or refused them.
   */
  public void busUndelivered(String reason, long pushes) {
    Counter c = busUndelivered.get(reason);
    if (c == null) {
      throw new IllegalArgumentException("unknown reason " + reason);
    }
    c.increment(pushes);
  }

  /** An event-bus message to another node, carrying one or more forwards or kicks. */
  public void busSent() {
    busSends.increment();
  }

  /** A session sent its device a SYNC hint instead of a push it could not pass on in order. */
  public void gapHint() {
    gapHints.increment();
  }

  /** A session's reading was held back to pace its ack signals. */
  public void signalsPaced() {
    signalsPaced.increment();
  }

  /** An ack signal from a client, by method. */
  public void ack(int method) {
    acks[method > 0 && method < acks.length ? method : 0].increment();
  }

  /** A message's signature verified with its session's bound key (any thread). */
  public void signatureVerified(boolean valid) {
    signatures[valid ? 0 : 1].increment();
  }

  /**
   * Anything refused with a status of 400 or more (ACCEPTED, ack answers, Goodbye). Not for the
   * Goodbye of a replaced session (409) or of a node stopping (503): nothing was refused.
   */
  public void refused(int status) {
    refusals.computeIfAbsent(status, s -> Counter.builder("phoenix_rejections")
        .tag("status", Integer.toString(s)).description("Refusals by status code")
        .register(registry)).increment();
  }

  private static String methodName(int method) {
    return switch (method) {
      case 1 -> "accepted";
      case 2 -> "delivered";
      case 3 -> "read";
      case 4 -> "pull_request";
      case 5 -> "sync";
      default -> "other";
    };
  }

  /** The figures the dashboard shows, read now. */
  public Snapshot snapshot() {
    long conns = connections.values().stream().mapToLong(AtomicLong::get).sum();
    var percentiles = acceptLatency.takeSnapshot().percentileValues(); // 0.5, then 0.99
    double p99 = percentiles.length > 1 ? percentiles[1].value(TimeUnit.MILLISECONDS) : 0;
    return new Snapshot(conns, sessions.get(), acceptedTotal.sum(), deliveredTotal.sum(), p99);
  }

  /**
   * Cumulative counts (rates are computed by whoever polls) and the recent p99 of
   * send-to-ACCEPTED in milliseconds.
   */
  public record Snapshot(long connections, long sessions, long accepted, long delivered,
      double acceptedP99Millis) {}
}

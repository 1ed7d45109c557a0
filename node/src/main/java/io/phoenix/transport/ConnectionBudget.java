package io.phoenix.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client sockets the node may hold at once ({@code limits.maxConnections}), counted over
 * both ports: a TCP or WebSocket connection holds one, any other HTTP connection three (its own
 * and the two ends of its connection to the HTTP server inside the node). A connection that
 * would pass the limit is refused at once, so that clients can never take the file descriptors
 * the store needs to open its files: RocksDB refuses every write after failing to create one.
 *
 * <p>Thread-safe.
 */
public final class ConnectionBudget {
  private static final Logger log = LoggerFactory.getLogger(ConnectionBudget.class);

  /** File descriptors a derived limit keeps for the store, the cluster and the JVM. */
  public static final int RESERVED = 2_048;
  /** The limit when the open-files limit cannot be read (not a Unix JVM). */
  static final int UNKNOWN_LIMIT_DEFAULT = 10_000;
  static final long WARN_EVERY_MS = 10_000;
  /**
   * Refused connections answered at once, at most: each holds a descriptor until its answer is
   * written, so a burst past the limit is closed without one beyond these.
   */
  static final int MAX_ANSWERING = 64;
  /** Why a connection is refused: its Goodbye's reason on TCP, its 503's body on HTTP. */
  public static final String REFUSAL = "the node holds as many connections as "
      + "limits.maxConnections allows; retry later or on another node";

  private final int max;
  private final AtomicInteger used = new AtomicInteger();
  private final AtomicInteger answering = new AtomicInteger();
  private final WarnEvery warnings = new WarnEvery(WARN_EVERY_MS);
  private final Counter refusedTcp;
  private final Counter refusedHttp;

  /**
   * @param configured {@code limits.maxConnections}; 0 derives the limit from the process's
   *     open-files limit ({@link #derived})
   */
  public ConnectionBudget(int configured, MeterRegistry registry) {
    long files = openFilesLimit();
    max = configured > 0 ? configured : derived(files);
    if (configured > 0 && files > 0 && configured > derived(files)) {
      log.warn("limits.maxConnections {} is more than the open-files limit of this process ({})"
          + " leaves ({}): clients could take the descriptors the store needs to open its files;"
          + " raise the limit (ulimit -n) or lower limits.maxConnections (0 derives it)",
          configured, files, derived(files));
    }
    log.info("connections: at most {} client sockets ({})", max, configured > 0
        ? "limits.maxConnections"
        : files > 0 ? "the open-files limit of " + files + " less what the node keeps for itself"
        : "the open-files limit is unknown");
    Gauge.builder("phoenix_client_sockets", used, AtomicInteger::get)
        .description("Client sockets held (limits.maxConnections counts these)")
        .register(registry);
    Gauge.builder("phoenix_client_sockets_max", () -> max)
        .description("limits.maxConnections in effect")
        .register(registry);
    refusedTcp = refusals(registry, "tcp");
    refusedHttp = refusals(registry, "http");
  }

  private static Counter refusals(MeterRegistry registry, String port) {
    return Counter.builder("phoenix_connections_refused")
        .description("Connections refused at once because limits.maxConnections was reached")
        .tag("port", port)
        .register(registry);
  }

  /**
   * The limit for an open-files limit of {@code files}: all but {@value #RESERVED} of them, or
   * half of them when that leaves less; {@value #UNKNOWN_LIMIT_DEFAULT} when unknown (≤ 0).
   */
  public static int derived(long files) {
    if (files <= 0) {
      return UNKNOWN_LIMIT_DEFAULT;
    }
    return (int) Math.min(Integer.MAX_VALUE, Math.max(files / 2, files - RESERVED));
  }

  /** The process's open-files limit, or -1 when the JVM cannot tell. */
  public static long openFilesLimit() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  /** The limit in effect. */
  public int max() {
    return max;
  }

  /** Client sockets held now. */
  public int used() {
    return used.get();
  }

  /**
   * Takes {@code sockets} for {@code channel} until it closes; false, with nothing taken, when
   * that would pass the limit.
   */
  public boolean hold(Channel channel, int sockets) {
    if (!take(sockets)) {
      return false;
    }
    channel.closeFuture().addListener(f -> give(sockets));
    return true;
  }

  /** Takes {@code sockets}; false, with nothing taken, when that would pass the limit. */
  public boolean take(int sockets) {
    while (true) {
      int now = used.get();
      if (now + sockets > max) {
        return false;
      }
      if (used.compareAndSet(now, now + sockets)) {
        return true;
      }
    }
  }

  /** Gives back what {@link #take} took. */
  public void give(int sockets) {
    used.addAndGet(-sockets);
  }

  /**
   * Whether a refused connection may be answered before it is closed: false when
   * {@value #MAX_ANSWERING} are being answered already (then close it at once). Each true is
   * ended by {@link #answered}.
   */
  public boolean answering() {
    if (answering.incrementAndGet() > MAX_ANSWERING) {
      answering.decrementAndGet();
      return false;
    }
    return true;
  }

  /** A refused connection that was {@link #answering} is closed. */
  public void answered() {
    answering.decrementAndGet();
  }

  /**
   * Counts a refused connection on {@code port} ("tcp" or "http"), and warns at most every
   * {@value #WARN_EVERY_MS} ms.
   */
  public void refused(String port) {
    ("tcp".equals(port) ? refusedTcp : refusedHttp).increment();
    if (warnings.now()) {
      log.warn("refusing connections: {} client sockets held, limits.maxConnections is {}",
          used.get(), max);
    }
  }
}

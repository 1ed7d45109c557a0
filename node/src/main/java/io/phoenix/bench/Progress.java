package io.phoenix.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The live side of a message run: once a second, a line on stderr with the last second's
 * rates, p99 latencies and error count; it also notes the bench process's CPU time when the
 * measured window opens, so the summary can say how much CPU the generator itself used, and
 * runs a hook then (the first reading of the node's own figures).
 *
 * <p>Used by the thread that waits for the run (never an event loop).
 */
final class Progress {
  private final LoadStats stats;
  private final LoadRun.Times times;
  private final PrintStream out;
  private final Runnable atWindow;
  private long cpuAtWindow = -1;

  /** {@code atWindow} runs once, on this thread, when the measured window opens. */
  Progress(LoadStats stats, LoadRun.Times times, PrintStream out, Runnable atWindow) {
    this.stats = stats;
    this.times = times;
    this.out = out;
    this.atWindow = atWindow;
  }

  /** Prints a line every second until {@code endNanos}. */
  void runUntil(long endNanos) throws InterruptedException {
    long next = times.start() + TimeUnit.SECONDS.toNanos(1);
    long sent = 0;
    long accepted = 0;
    long delivered = 0;
    long errors = 0;
    long last = times.start();
    stats.endToEnd.interval();
    stats.accepted.interval();
    while (true) {
      long now = System.nanoTime();
      if (cpuAtWindow < 0 && now >= times.measureFrom()) {
        cpuAtWindow = cpuNanos();
        atWindow.run();
        now = System.nanoTime();
      }
      if (now >= endNanos) {
        return;
      }
      if (now < next) {
        long wake = Math.min(next, endNanos);
        if (cpuAtWindow < 0) {
          wake = Math.min(wake, times.measureFrom());
        }
        TimeUnit.NANOSECONDS.sleep(Math.max(1, wake - now));
        continue;
      }
      double dt = (now - last) / 1e9;
      long s = stats.sentAll.sum();
      long a = stats.acceptedAll.sum();
      long d = stats.deliveredAll.sum();
      long e = stats.errorCount();
      Histogram e2e = stats.endToEnd.interval();
      Histogram acc = stats.accepted.interval();
      if (out != null) {
        out.printf(Locale.ROOT, "[%4ds%s] sent %,9.0f/s  accepted %,9.0f/s  delivered %,9.0f/s"
                + "  p99 e2e %7.2f ms  accepted %7.2f ms  errors %d%n",
            TimeUnit.NANOSECONDS.toSeconds(now - times.start()),
            now < times.measureFrom() ? " warmup" : "", (s - sent) / dt, (a - accepted) / dt,
            (d - delivered) / dt, p99(e2e), p99(acc), e - errors);
      }
      sent = s;
      accepted = a;
      delivered = d;
      errors = e;
      last = now;
      next += TimeUnit.SECONDS.toNanos(1);
    }
  }

  private static double p99(Histogram h) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0;
  }

  /** CPU time of this process so far, in nanoseconds. */
  long cpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return 0;
  }

  /** CPU time used between the window's opening and {@code cpuAtEnd}. */
  long cpuNanosInWindow(long cpuAtEnd) {
    return cpuAtWindow < 0 ? 0 : cpuAtEnd - cpuAtWindow;
  }
}

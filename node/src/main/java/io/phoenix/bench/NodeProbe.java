package io.phoenix.bench;

import io.phoenix.bench.BenchOptions.Server;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads a node's memory from its Prometheus endpoint: the heap in use (the sum of
 * {@code jvm_memory_used_bytes{area="heap"}} over the heap pools) and the resident set size
 * ({@code phoenix_process_resident_memory_bytes}, Linux only). Heap in use includes garbage
 * not yet collected; given the node's PID (same machine), a {@code jcmd PID GC.run} precedes
 * every reading so that two readings compare live data.
 *
 * <p>Blocking: call from a plain thread.
 */
final class NodeProbe {
  /** Bytes; NaN where the node does not report the figure. */
  record Memory(double heapBytes, double rssBytes) {}

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final URI metrics;
  private final long pid;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  NodeProbe(Server httpAddress, long pid) {
    this.metrics = URI.create("http://" + httpAddress + "/metrics");
    this.pid = pid;
  }

  boolean collectsGarbage() {
    return pid > 0;
  }

  /** Runs a GC in the node (when its PID is known), then reads its memory. */
  Memory read() throws IOException, InterruptedException {
    if (pid > 0) {
      gc();
    }
    HttpResponse<String> r = get();
    if (r.statusCode() != 200) {
      throw new IOException("GET " + metrics + " answered " + r.statusCode());
    }
    return parse(r.body());
  }

  /**
   * GET /metrics with a deadline over the whole exchange: the request's own timeout ends when
   * the headers arrive, so a body that stops half-way would otherwise block forever.
   */
  private HttpResponse<String> get() throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<String>> exchange = http.sendAsync(
        HttpRequest.newBuilder(metrics).timeout(READ_TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    try {
      return exchange.get(READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw new IOException("GET " + metrics + " did not complete within "
          + READ_TIMEOUT.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new IOException("GET " + metrics + " failed: " + e.getCause(), e.getCause());
    }
  }

  /** Sums the heap pools and finds the RSS in a Prometheus text exposition. */
  static Memory parse(String text) {
    double heap = 0;
    boolean sawHeap = false;
    double rss = Double.NaN;
    for (String line : text.split("\n")) {
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
        heap += value(line);
        sawHeap = true;
      } else if (line.startsWith("phoenix_process_resident_memory_bytes ")
          || line.startsWith("phoenix_process_resident_memory_bytes{")) {
        rss = value(line);
      }
    }
    return new Memory(sawHeap ? heap : Double.NaN, rss);
  }

  private static double value(String line) {
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  private void gc() throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jcmd = Path.of(java).resolveSibling("jcmd");
    String command = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
    Process p = new ProcessBuilder(command, Long.toString(pid), "GC.run")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + pid + " GC.run did not finish in 60 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " GC.run failed (exit " + p.exitValue()
          + "): is " + pid + " the node's PID on this machine?");
    }
  }
}

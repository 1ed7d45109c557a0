package io.phoenix.bench;

import io.phoenix.bench.BenchOptions.Server;
import io.phoenix.client.Endpoint;
import io.phoenix.client.UntrustedServerException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads a node's figures from its Prometheus endpoint, over https when the bench is told that
 * the node's HTTP port has TLS (then verified as the bench's connections are). Memory: the heap
 * in use (the sum of {@code jvm_memory_used_bytes{area="heap"}} over the heap pools) and the
 * resident set size ({@code phoenix_process_resident_memory_bytes}, Linux only). Heap in use
 * includes garbage not yet collected; given the node's PID (same machine), a
 * {@code jcmd PID GC.run} precedes every memory reading so that two readings compare live data.
 * Activity ({@link #sample()}, no GC is caused): Micrometer's GC pause counters, the process's
 * CPU and JIT time and the store's stage timers, which two samples turn into the figures of the
 * window between them.
 *
 * <p>Blocking: call from a plain thread.
 */
final class NodeProbe {
  /** Bytes; NaN where the node does not report the figure. */
  record Memory(double heapBytes, double rssBytes) {}

  /**
   * Cumulative activity figures of one scrape, summed over every tag set of
   * {@code jvm_gc_pause_seconds} (action, cause, gc).
   *
   * @param atNanos when the scrape was answered ({@code System.nanoTime()})
   * @param gcPauses {@code jvm_gc_pause_seconds_count}: pauses since the node started
   * @param gcPauseSeconds {@code jvm_gc_pause_seconds_sum}: their total length
   * @param gcPauseMaxRecentSeconds the largest {@code jvm_gc_pause_seconds_max}: Micrometer's
   *     decaying maximum, the longest pause of its last few minutes (not of a chosen window)
   * @param cpuNanos {@code process_cpu_time_ns_total}: the node's CPU time; NaN when absent
   * @param jitMillis {@code jvm_compilation_time_ms_total}: the time the JIT compilers have
   *     worked since the node started; NaN when absent
   * @param gcSeen whether the scrape had the GC pause series at all
   * @param stages {@code phoenix_store_append_stage_seconds} by its {@code stage} tag (summed
   *     over the other tags): {count, sum in seconds}; empty when the node has none
   * @param gcPauseBuckets {@code jvm_gc_pause_seconds_bucket}: pauses since the node started
   *     no longer than each finite bound ({@code le}, seconds); empty when the node has no
   *     buckets (a node before they were added)
   */
  record Activity(long atNanos, double gcPauses, double gcPauseSeconds,
      double gcPauseMaxRecentSeconds, double cpuNanos, double jitMillis, boolean gcSeen,
      Map<String, double[]> stages, NavigableMap<Double, Double> gcPauseBuckets) {}

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final URI metrics;
  private final Server address;
  private final boolean tls;
  private final long pid;
  private final Duration timeout;
  private final HttpClient http;

  /** Reads {@link BenchOptions#metrics()}, which must not be null. */
  NodeProbe(BenchOptions o, long pid) {
    this(o, pid, READ_TIMEOUT);
  }

  /**
   * Reads {@link BenchOptions#metrics()}, over https when {@link BenchOptions#metricsTls()};
   * {@code timeout} bounds each whole GET (connecting included).
   *
   * @throws IllegalArgumentException when the CA file of {@code --ca} cannot be used
   */
  NodeProbe(BenchOptions o, long pid, Duration timeout) {
    this.address = o.metrics();
    this.tls = o.metricsTls();
    this.metrics = URI.create((tls ? "https://" : "http://") + address + "/metrics");
    this.pid = pid;
    this.timeout = timeout;
    HttpClient.Builder http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout
            : Duration.ofSeconds(10));
    if (tls && o.caFile() != null) {
      http.sslContext(trusting(o.caFile()));
    }
    this.http = http.build(); // which verifies the host name, as the bench's connections do
  }

  /**
   * A TLS context that trusts the certificates of {@code caFile} and nothing else, as the
   * bench's own TLS connections do with it (Vert.x's PemTrustOptions).
   */
  private static SSLContext trusting(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore cas = KeyStore.getInstance(KeyStore.getDefaultType());
      cas.load(null, null);
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        cas.setCertificateEntry("ca-" + cas.size(), c);
      }
      if (cas.size() == 0) {
        throw new IllegalArgumentException("--ca " + caFile + " holds no PEM certificate");
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      trust.init(cas);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("--ca " + caFile + " cannot be used: " + e.getMessage(),
          e);
    }
  }

  /** The URL read. */
  URI uri() {
    return metrics;
  }

  boolean collectsGarbage() {
    return pid > 0;
  }

  /** Runs a GC in the node (when its PID is known), then reads its memory. */
  Memory read() throws IOException, InterruptedException {
    if (pid > 0) {
      gc();
    }
    return parse(scrape());
  }

  /** Reads the node's GC and CPU counters now (no GC is caused). */
  Activity sample() throws IOException, InterruptedException {
    String text = scrape();
    return parseActivity(text, System.nanoTime());
  }

  private String scrape() throws IOException, InterruptedException {
    HttpResponse<String> r = get();
    if (r.statusCode() != 200) {
      throw new IOException("GET " + metrics + " answered " + r.statusCode());
    }
    return r.body();
  }

  /**
   * GET /metrics with a deadline over the whole exchange: the request's own timeout ends when
   * the headers arrive, so a body that stops half-way would otherwise block forever.
   */
  private HttpResponse<String> get() throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<String>> exchange = http.sendAsync(
        HttpRequest.newBuilder(metrics).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    try {
      return exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw new IOException("GET " + metrics + " did not complete within "
          + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new IOException("GET " + metrics + " failed: " + why(e.getCause()), e.getCause());
    }
  }

  /**
   * {@code failure} in one line: a refused certificate as the bench's connections say it; plain
   * HTTP to a port with TLS only finds that no answer came, so that case gets a hint.
   */
  private String why(Throwable failure) {
    if (tls && address.port() > 0) { // a configured port 0 names no port: no connection either
      Throwable t = UntrustedServerException.explain(Endpoint.tls(address.host(),
          address.port()), failure);
      if (t instanceof UntrustedServerException) {
        return t.getMessage();
      }
    } else if (!tls && !(failure instanceof ConnectException)) {
      return failure + " (if that port has TLS: --metrics https://" + address + ")";
    }
    return String.valueOf(failure);
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

  /**
   * Sums the GC pause series over their tags; finds the CPU and compilation time counters and
   * the store's stage timers.
   */
  static Activity parseActivity(String text, long atNanos) {
    double count = 0;
    double sum = 0;
    double max = 0;
    double cpu = Double.NaN;
    double jit = Double.NaN;
    boolean gc = false;
    Map<String, double[]> stages = new LinkedHashMap<>();
    NavigableMap<Double, Double> buckets = new TreeMap<>();
    for (String line : text.split("\n")) {
      String name = name(line);
      switch (name) {
        case "phoenix_store_append_stage_seconds_count" ->
            stages.computeIfAbsent(label(line, "stage"), k -> new double[2])[0] += value(line);
        case "phoenix_store_append_stage_seconds_sum" ->
            stages.computeIfAbsent(label(line, "stage"), k -> new double[2])[1] += value(line);
        case "jvm_gc_pause_seconds_count" -> {
          count += value(line);
          gc = true;
        }
        case "jvm_gc_pause_seconds_sum" -> sum += value(line);
        case "jvm_gc_pause_seconds_bucket" -> {
          String le = label(line, "le");
          if (!le.isEmpty() && !le.equals("+Inf")) {
            buckets.merge(Double.parseDouble(le), value(line), Double::sum);
          }
        }
        case "jvm_gc_pause_seconds_max" -> max = Math.max(max, value(line));
        case "process_cpu_time_ns_total" -> cpu = value(line);
        case "jvm_compilation_time_ms_total" -> jit = (Double.isNaN(jit) ? 0 : jit) + value(line);
        // Micrometer registers the pause series at the first collection; before it, the GC
        // meters that exist from the start say the node reports GC, and has paused 0 times
        case "jvm_gc_max_data_size_bytes", "jvm_gc_memory_allocated_bytes_total" -> gc = true;
        default -> { }
      }
    }
    return new Activity(atNanos, count, sum, max, cpu, jit, gc, stages, buckets);
  }

  /** The value of label {@code key} in a sample line ("" when absent). */
  private static String label(String line, String key) {
    int at = line.indexOf("{" + key + "=\"");
    if (at < 0) {
      at = line.indexOf("," + key + "=\"");
    }
    if (at < 0) {
      return "";
    }
    int from = at + key.length() + 3;
    int end = line.indexOf('"', from);
    return end < 0 ? "" : line.substring(from, end);
  }

  /** The metric name of a sample line; "" for comments and blank lines. */
  private static String name(String line) {
    if (line.isEmpty() || line.charAt(0) == '#') {
      return "";
    }
    int end = 0;
    while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
      end++;
    }
    return line.substring(0, end);
  }

  /** The value of a sample line: the field after the name and its labels (which may hold spaces). */
  private static double value(String line) {
    int labels = line.lastIndexOf('}');
    String rest = (labels >= 0 ? line.substring(labels + 1) : line.substring(name(line).length()))
        .strip();
    int space = rest.indexOf(' ');
    return Double.parseDouble(space < 0 ? rest : rest.substring(0, space)); // then a timestamp
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

package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's benchmark example, run from the README's own text with {@code sh} in the
 * repository root: the node command as written (only moved off the default ports and the
 * default data directory by more environment overrides, so that it cannot collide with anything
 * on this machine), and the
 * bench command as written but for that port and shorter warmup and duration. It must run
 * without errors: no missing file, every session signed in, no refusal (such as a 429 of the
 * rate limit). Throughput is for BENCHMARKS.md, not for this test.
 */
class ReadmeBenchIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern SH_BLOCK = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL);

  /** The shell blocks of the README's section {@code title}, continuation lines joined. */
  static List<String> shellBlocks(String title) throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("\n## " + title + "\n");
    assertTrue(start >= 0, "no section " + title + " in README.md");
    int end = readme.indexOf("\n## ", start + 1);
    Matcher m = SH_BLOCK.matcher(readme.substring(start, end < 0 ? readme.length() : end));
    List<String> blocks = new ArrayList<>();
    while (m.find()) {
      blocks.add(m.group(1).replace("\\\n", " ").replaceAll(" +", " ").strip());
    }
    return blocks;
  }

  private static Process sh(String command, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).directory(ROOT.toFile())
        .redirectErrorStream(false);
    pb.environment().keySet().removeIf(k -> k.toUpperCase(Locale.ROOT).startsWith("PHOENIX_")
        || k.endsWith("JAVA_OPTIONS") || k.equals("JAVA_TOOL_OPTIONS"));
    // `java` is the JDK running the tests
    pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
        + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().putAll(env);
    return pb.start();
  }

  private static CompletableFuture<String> collect(java.io.InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    });
  }

  @Test
  void theBenchmarkExampleRunsAsWritten() throws Exception {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
    List<String> blocks = shellBlocks("Benchmarks");
    assertEquals(2, blocks.size(), blocks::toString);
    String nodeCommand = blocks.get(0);
    String benchCommand = blocks.get(1);
    assertTrue(nodeCommand.startsWith("PHOENIX_LIMITS_MESSAGES_PER_SECOND="), nodeCommand);

    int tcp = TestNode.freePort();
    int cluster = TestNode.freePort();
    Process node = sh(nodeCommand, Map.of("PHOENIX_TCP_PORT", String.valueOf(tcp),
        "PHOENIX_HTTP_PORT", String.valueOf(TestNode.freePort()),
        "PHOENIX_CLUSTER_PORT", String.valueOf(cluster),
        "PHOENIX_CLUSTER_MEMBERS", "127.0.0.1:" + cluster,
        "PHOENIX_CLUSTER_NAME", "readme-" + UUID.randomUUID(),
        "PHOENIX_STORAGE_PATH", TestNode.dataDir().toString()));
    CompletableFuture<String> nodeLog = collect(node.getErrorStream());
    try {
      awaitReady(node, tcp);
      String bench = benchCommand.replace("127.0.0.1:4100", "127.0.0.1:" + tcp)
          .replace("--warmup 10 --duration 30", "--warmup 2 --duration 3");
      assertTrue(!bench.equals(benchCommand) && bench.contains("--duration 3"),
          "the README's bench command changed: " + benchCommand);
      Process run = sh(bench, Map.of());
      CompletableFuture<String> out = collect(run.getInputStream());
      CompletableFuture<String> err = collect(run.getErrorStream());
      if (!run.waitFor(120, TimeUnit.SECONDS)) {
        run.destroyForcibly();
        fail("bench did not finish: " + err.getNow(""));
      }
      String summary = out.get(30, TimeUnit.SECONDS);
      assertEquals(0, run.exitValue(), () -> summary + err.join());
      assertTrue(summary.contains("\nerrors:    none\n"), summary); // no 429, no refusal
      assertTrue(summary.contains("\nconnect:   200 sessions in "), summary);
      // (how many messages a shared test machine gets through in 3 s is not this test's point)
    } finally {
      node.descendants().forEach(ProcessHandle::destroy); // SIGTERM to the node's JVM
      if (!node.waitFor(60, TimeUnit.SECONDS)) {
        node.descendants().forEach(ProcessHandle::destroyForcibly);
        node.destroyForcibly();
      }
      nodeLog.get(30, TimeUnit.SECONDS);
    }
  }

  private static void awaitReady(Process node, int tcp) throws Exception {
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          if (line.startsWith("READY ")) {
            return line;
          }
        }
      } catch (IOException e) {
        // the process went away
      }
      return "";
    });
    String line = ready.get(120, TimeUnit.SECONDS);
    assertTrue(line.contains(" tcp=" + tcp + " "), () -> "the node did not become ready: " + line);
  }
}

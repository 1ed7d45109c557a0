package io.phoenix.testing;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node running as its own JVM from {@code target/phoenix.jar}: started with a config file,
 * ready once it prints its READY line; stopped with SIGTERM or killed with SIGKILL. Its stderr
 * (the log) is kept under {@code target/node-logs/} for post-mortems.
 */
public final class NodeProcess implements AutoCloseable {
  /** The runnable jar: the build passes its path (the repository root's target/phoenix.jar). */
  public static final Path JAR = Path.of(System.getProperty("phoenix.jar",
      Path.of("..", "target", "phoenix.jar").toString()));
  private static final Pattern READY = Pattern.compile("READY node=(\\S+) tcp=(\\d+) http=(\\d+)");

  private final Process process;
  private final CompletableFuture<Matcher> ready = new CompletableFuture<>();
  private final List<String> stdout = new ArrayList<>();
  private final Path log;

  private NodeProcess(Path config, Path log, Map<String, String> env, List<String> jvm,
      int openFiles, List<String> launcher, List<String> jar) throws IOException {
    this.log = log;
    List<String> command = new ArrayList<>(launcher);
    if (openFiles > 0) { // the shell lowers both limits, then becomes the JVM (same pid)
      command.addAll(List.of("sh", "-c", "ulimit -n " + openFiles + " && exec \"$@\"", "sh"));
    }
    command.add(java());
    command.addAll(jvm.isEmpty() ? List.of("-Xmx512m", "-XX:+UseSerialGC") : jvm);
    if (launcher.isEmpty()) {
      // its temporary files (Vert.x's file cache, which a killed node leaves behind) go with
      // the test's directory; a node run as another user keeps the shared one it can write
      command.add("-Djava.io.tmpdir=" + config.toAbsolutePath().getParent());
    }
    command.addAll(jar);
    command.addAll(List.of("node", "--config", config.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
    builder.environment().putAll(env);
    process = builder.start();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (stdout) {
            stdout.add(line);
          }
          Matcher m = READY.matcher(line);
          if (m.matches()) {
            ready.complete(m);
          }
        }
      } catch (IOException ignored) {
        // the process went away
      }
      ready.completeExceptionally(new IllegalStateException("node exited before READY; log: "
          + tail()));
    }, "node-process-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Writes {@code config} to {@code dir} and starts a node on it; waits for READY. */
  public static NodeProcess start(Path dir, JsonObject config) throws Exception {
    return start(dir, config, Map.of());
  }

  /** Like {@link #start(Path, JsonObject)}, with {@code env} added to the environment. */
  public static NodeProcess start(Path dir, JsonObject config, Map<String, String> env)
      throws Exception {
    return start(dir, config, env, List.of());
  }

  /**
   * Like {@link #start(Path, JsonObject, Map)}, with these JVM options instead of the default
   * ({@code -Xmx512m -XX:+UseSerialGC}).
   */
  public static NodeProcess start(Path dir, JsonObject config, Map<String, String> env,
      List<String> jvm) throws Exception {
    return start(dir, config, env, jvm, 0);
  }

  /**
   * Like {@link #start(Path, JsonObject)}, in a process whose open-files limit ({@code ulimit
   * -n}, soft and hard) is {@code openFiles}.
   */
  public static NodeProcess startWithOpenFiles(Path dir, JsonObject config, int openFiles)
      throws Exception {
    return start(dir, config, Map.of(), List.of(), openFiles);
  }

  /**
   * Like {@link #start(Path, JsonObject, Map, List)}, started by {@code launcher} (a command
   * that runs the rest of the command line: {@code setpriv} to run the node as another user)
   * from {@code jar} and without the class archive, which that user may not be able to read.
   * The config file is written to {@code dir}; the log, opened here, is written through the
   * descriptor the process inherits.
   */
  public static NodeProcess startThrough(List<String> launcher, Path jar, Path dir,
      JsonObject config, List<String> jvm) throws Exception {
    return start(dir, config, Map.of(), jvm, 0, launcher,
        List.of("-jar", jar.toAbsolutePath().toString()));
  }

  /** The JVM the tests run on, which the node processes run on too. */
  public static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private static NodeProcess start(Path dir, JsonObject config, Map<String, String> env,
      List<String> jvm, int openFiles) throws Exception {
    return start(dir, config, env, jvm, openFiles, List.of(), ClassArchive.jarArgs());
  }

  private static NodeProcess start(Path dir, JsonObject config, Map<String, String> env,
      List<String> jvm, int openFiles, List<String> launcher, List<String> jar)
      throws Exception {
    String id = config.getJsonObject("node").getString("id");
    Path file = dir.resolve(id + ".json");
    Files.writeString(file, config.encodePrettily());
    if (!launcher.isEmpty()) { // another user may run it
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }
    Path logs = Files.createDirectories(Path.of("target", "node-logs"));
    NodeProcess p = new NodeProcess(file, logs.resolve(id + "-" + System.nanoTime() + ".log"),
        env, jvm, openFiles, launcher, jar);
    try {
      p.ready.get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.kill();
      throw new IllegalStateException("node " + id + " did not become ready: " + p.tail(), e);
    }
    return p;
  }

  public static boolean jarExists() {
    return new File(JAR.toString()).isFile();
  }

  public int tcpPort() {
    return Integer.parseInt(ready.join().group(2));
  }

  public int httpPort() {
    return Integer.parseInt(ready.join().group(3));
  }

  /** SIGKILL: no goodbye, no cleanup, like a crashed machine. */
  public void kill() throws InterruptedException {
    killAll(List.of(this));
  }

  /** SIGKILL to every one of these at once (all signalled before any is waited for). */
  public static void killAll(List<NodeProcess> nodes) throws InterruptedException {
    for (NodeProcess n : nodes) {
      n.process.destroyForcibly();
    }
    for (NodeProcess n : nodes) {
      n.process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** SIGTERM and wait for the exit code. */
  public int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("node did not exit within 60 s of SIGTERM");
    }
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The node's process id. */
  public long pid() {
    return process.pid();
  }

  /** The file holding the node's stderr (its log). */
  public Path log() {
    return log;
  }

  /** The {@code node.id} the node said READY with. */
  public String nodeId() {
    return ready.join().group(1);
  }

  /** The end of the node's log, for failure messages. */
  public String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}

package io.phoenix.testing;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A class-data-sharing archive of {@code target/phoenix.jar} for the JVMs the tests start (the
 * JDK's application CDS): made once per build of the jar by starting a node with
 * {@code -XX:ArchiveClassesAtExit} and stopping it with SIGTERM, then mapped by every node,
 * chat and CLI process the tests start. A node then reaches READY in about half the time and
 * CPU (BENCHMARKS.md, "Start time"), which matters when a test starts three at once beside
 * running traffic. It changes which classes are loaded from where, nothing the node does.
 * Should the archive not be made, the JVMs start without it.
 */
public final class ClassArchive {
  private static List<String> flags;

  private ClassArchive() {
  }

  /**
   * The JVM options that map the archive, making it first if this build of the jar has none;
   * empty (the JVM loads every class itself) if it could not be made.
   */
  public static synchronized List<String> jvmFlags() {
    if (flags == null) {
      flags = make();
    }
    return flags;
  }

  /**
   * What follows {@code java} and its own options to run the jar: the archive's options (see
   * {@link #jvmFlags}), then {@code -jar} and the jar; the jar's arguments come after.
   */
  public static List<String> jarArgs() {
    List<String> args = new ArrayList<>(jvmFlags());
    args.addAll(List.of("-jar", NodeProcess.JAR.toAbsolutePath().toString()));
    return args;
  }

  private static List<String> make() {
    Path jar = NodeProcess.JAR.toAbsolutePath();
    try {
      Path dir = Files.createDirectories(Path.of("target", "class-archive").toAbsolutePath());
      // one archive per build of the jar: a JVM refuses an archive of another one (with a
      // warning on stdout)
      Path archive = dir.resolve("phoenix-" + Files.getLastModifiedTime(jar).toMillis() + "-"
          + Files.size(jar) + ".jsa");
      // test JVMs forked side by side make it once: the others wait on the lock, then use it
      try (FileChannel lockFile = FileChannel.open(dir.resolve("lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE);
           FileLock ignored = lockFile.lock()) {
        if (!Files.isRegularFile(archive)) {
          try (Stream<Path> old = Files.list(dir)) { // those of earlier builds of the jar
            old.filter(f -> f.getFileName().toString().endsWith(".jsa")).forEach(f -> f.toFile()
                .delete());
          }
          dump(jar, dir, archive);
        }
      }
      return List.of("-XX:SharedArchiveFile=" + archive);
    } catch (Exception e) {
      System.err.println("ClassArchive: JVMs start without a class archive: " + e);
      return List.of();
    }
  }

  /** Runs a node from the jar to READY and stops it: the JVM writes what it loaded. */
  private static void dump(Path jar, Path dir, Path archive) throws Exception {
    Path work = Files.createTempDirectory(dir, "dump");
    JsonObject config = TestNode.config();
    config.getJsonObject("storage").put("path", work.resolve("db").toString());
    Path file = Files.writeString(work.resolve("node.json"), config.encodePrettily());
    Path partial = work.resolve("phoenix.jsa");
    String java = NodeProcess.java();
    Process p = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC",
        "-XX:ArchiveClassesAtExit=" + partial, "-jar", jar.toString(), "node", "--config",
        file.toString()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          if (line.startsWith("READY ")) {
            ready.complete(null);
          }
        }
      } catch (IOException ignored) {
        // the process went away
      }
      ready.completeExceptionally(new IOException("the node exited before READY"));
    }, "class-archive-node");
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(90, TimeUnit.SECONDS);
      p.destroy(); // SIGTERM: the JVM writes the archive as it exits
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new IOException("the node did not exit within 60 s of SIGTERM");
      }
    } finally {
      p.destroyForcibly();
    }
    if (!Files.isRegularFile(partial)) {
      throw new IOException("the node exited (" + p.exitValue() + ") without an archive");
    }
    Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}

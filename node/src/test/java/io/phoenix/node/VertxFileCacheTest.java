package io.phoenix.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file cache directories a node removes: those of gone processes, then its own. */
class VertxFileCacheTest {
  @TempDir
  Path tmp;

  @Test
  void leftoversOfGoneProcessesAreRemovedAndNothingElse() throws Exception {
    long gone = goneProcess();
    long self = ProcessHandle.current().pid();
    Files.createDirectories(tmp.resolve("phoenix-vertx-" + gone + "-u1/webroot/css"));
    Files.writeString(tmp.resolve("phoenix-vertx-" + gone + "-u1/webroot/css/a.css"), "a{}");
    Files.createDirectories(tmp.resolve("phoenix-vertx-" + self + "-u2/webroot"));
    Files.createDirectories(tmp.resolve("phoenix-vertx-notapid-u3"));
    Files.createDirectories(tmp.resolve("vertx-cache-u4"));

    assertEquals(1, VertxFileCache.removeLeftovers(tmp));
    assertEquals(List.of("phoenix-vertx-" + self + "-u2", "phoenix-vertx-notapid-u3",
        "vertx-cache-u4"), names(), "a running process's directory and others' stay");

    VertxFileCache.awaitRemoved(tmp, 50);
    assertEquals(List.of("phoenix-vertx-notapid-u3", "vertx-cache-u4"), names(),
        "this process's own, once the wait is over");
  }

  /** The pid of a process that has ended. */
  private static long goneProcess() throws Exception {
    Process p = new ProcessBuilder("true").start();
    assertEquals(0, p.waitFor());
    assertTrue(ProcessHandle.of(p.pid()).isEmpty(), "the process is gone");
    return p.pid();
  }

  private List<String> names() throws Exception {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

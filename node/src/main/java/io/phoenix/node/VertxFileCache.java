package io.phoenix.node;

import io.vertx.core.file.FileSystemOptions;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where Vert.x's file cache (the page's files, unpacked from the jar) goes: a directory of the
 * temporary directory named after this process, {@code phoenix-vertx-<pid>-<uuid>} (Vert.x adds
 * the uuid). Vert.x removes it when it closes, or from a shutdown hook of its own; a node's own
 * hook ends the process with {@code halt}, which would cut that removal short, so it waits for
 * it first ({@link #awaitRemoved}). A node killed outright leaves its directory; the next node
 * started on the machine removes those of processes that are gone ({@link #removeLeftovers}).
 *
 * <p>Thread-safe: every method works on the file system alone.
 */
public final class VertxFileCache {
  private static final String PREFIX = "phoenix-vertx-";

  private VertxFileCache() {}

  /** Vert.x's file-system options with this process's cache directory. */
  public static FileSystemOptions options() {
    return new FileSystemOptions().setFileCacheDir(
        tmp().resolve(PREFIX + ProcessHandle.current().pid()).toString());
  }

  /**
   * Waits up to {@code timeoutMs} for this process's cache directories to be gone (Vert.x's
   * hook removing them), then removes what is left itself.
   */
  public static void awaitRemoved(long timeoutMs) {
    awaitRemoved(tmp(), timeoutMs);
  }

  static void awaitRemoved(Path tmp, long timeoutMs) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    String mine = PREFIX + ProcessHandle.current().pid() + "-";
    while (!list(tmp, mine).isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    list(tmp, mine).forEach(VertxFileCache::delete);
  }

  /** Removes the cache directories of nodes whose process is gone (killed); returns how many. */
  public static int removeLeftovers() {
    return removeLeftovers(tmp());
  }

  static int removeLeftovers(Path tmp) {
    int removed = 0;
    for (Path dir : list(tmp, PREFIX)) {
      String rest = dir.getFileName().toString().substring(PREFIX.length());
      int dash = rest.indexOf('-');
      long pid;
      try {
        pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
      } catch (NumberFormatException e) {
        continue;
      }
      if (ProcessHandle.of(pid).isEmpty() && delete(dir)) {
        removed++;
      }
    }
    return removed;
  }

  private static Path tmp() {
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  private static List<Path> list(Path tmp, String prefix) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp, prefix + "*")) {
      s.forEach(out::add);
    } catch (IOException e) {
      // no temporary directory to read: nothing of ours in it
    }
    return out;
  }

  /** Best effort: another process's directory, or one being removed meanwhile, stays. */
  private static boolean delete(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}

package io.phoenix.stream.log;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library without leaving a copy of it behind.
 *
 * <p>RocksDB's own loader copies the 15 MB library out of its jar into the temporary directory
 * under a new name on every start, and leaves its removal to {@code deleteOnExit}, which never
 * runs when the process is killed, nor when it halts: the node's shutdown hook ends the process
 * with {@code Runtime.halt} to give the stop's exit code, so every stop of a node left a copy in
 * {@code /tmp}. Here the library is copied into a private directory of its own, loaded, and
 * removed at once (a loaded library stays mapped after its file is gone, on Linux and macOS). If
 * that fails (a temporary directory mounted {@code noexec}, a platform that cannot remove a
 * loaded file), RocksDB's own loader is used, as before.
 */
final class RocksDbLibrary {
  private static final Logger log = LoggerFactory.getLogger(RocksDbLibrary.class);
  private static boolean loaded;

  private RocksDbLibrary() { }

  /** Loads the library once; later calls return at once. */
  static synchronized void load() {
    if (loaded) {
      return;
    }
    try {
      loadCopyAndRemoveIt();
    } catch (IOException | UnsatisfiedLinkError e) {
      log.debug("RocksDB's library not loaded from a private copy ({}); using RocksDB's loader",
          e.toString());
    }
    RocksDB.loadLibrary(); // returns at once when the copy was loaded
    loaded = true;
  }

  private static void loadCopyAndRemoveIt() throws IOException {
    String name = Environment.getJniLibraryFileName("rocksdb");
    // the name RocksDB.loadLibrary(paths) looks for in each path: it derives it from
    // "rocksdbjni", which gives "librocksdbjnijni-linux64.so" for the jar's
    // "librocksdbjni-linux64.so" (RocksDB 10.10); a link under both names keeps this working
    // whichever of the two a later version looks for
    String sought = Environment.getJniLibraryFileName("rocksdbjni");
    try (InputStream in = RocksDB.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("no " + name + " in RocksDB's jar");
      }
      Path dir = Files.createTempDirectory("phoenix-rocksdb-"); // owner-only permissions
      Path lib = dir.resolve(name);
      Path link = dir.resolve(sought);
      try {
        Files.copy(in, lib);
        if (!link.equals(lib)) {
          Files.createLink(link, lib);
        }
        RocksDB.loadLibrary(List.of(dir.toString()));
      } finally {
        removeOrLeaveToExit(link);
        removeOrLeaveToExit(lib);
        removeOrLeaveToExit(dir);
      }
    }
  }

  private static void removeOrLeaveToExit(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      p.toFile().deleteOnExit();
    }
  }
}

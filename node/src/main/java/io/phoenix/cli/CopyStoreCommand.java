package io.phoenix.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.phoenix.config.ConfigException;
import io.phoenix.config.ConfigLoader;
import io.phoenix.config.StorageOptions;
import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import io.phoenix.stream.log.MessageLogs;
import io.phoenix.stream.log.StoreCopy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code phoenix copy-store [--from FILE] --to FILE}: copies every stream of the store one
 * node configuration names into the store another names ({@link StoreCopy}), typically a
 * single node's embedded database into the PostgreSQL database of the cluster it grows into.
 * Both files are read as they are, without {@code PHOENIX_*} overrides (two nodes' settings
 * cannot share one environment). Prints its progress to stdout, one line at the end, and a
 * one-line reason on failure (exit code 1; 2 for a bad configuration).
 *
 * <p>Runs on the main thread.
 */
@Command(name = "copy-store", mixinStandardHelpOptions = true,
    description = {"Copy every stream (messages at their offsets, DELIVERED and READ "
        + "positions, the store's epoch) of one node's store into another store: a single "
        + "node's embedded database into the PostgreSQL database of a cluster, for example. "
        + "Stop the nodes of both first.",
        "The two configuration files are read as they are, without PHOENIX_* overrides."})
final class CopyStoreCommand implements Callable<Integer> {
  /** Progress is printed at most this often. */
  private static final long PROGRESS_NANOS = 5_000_000_000L;

  @Option(names = "--from", paramLabel = "FILE", description = "Configuration of the node "
      + "whose store is copied (default: the embedded conf/node.json, whose database is ./data)")
  String fromFile;

  @Option(names = "--to", paramLabel = "FILE", required = true, description = "Configuration "
      + "whose storage group names the store to copy into: an empty database (or one an "
      + "earlier copy of the same store stopped in)")
  String toFile;

  @Override
  public Integer call() {
    quietLibraries();
    StorageOptions from;
    StorageOptions to;
    try {
      from = storage(fromFile, "--from");
      to = storage(toFile, "--to");
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    if (describe(from).equals(describe(to))) {
      System.err.println("--from and --to name the same store (" + describe(from) + ")");
      return 2;
    }
    if (from.type().equals(StorageOptions.EMBEDDED) && isEmptyDirectory(Path.of(from.path()))) {
      System.err.println("--from: no database in " + Path.of(from.path()).toAbsolutePath()
          .normalize() + ": nothing to copy");
      return 1;
    }
    try (MessageLog source = open(from, "--from");
         MessageLog target = open(to, "--to")) {
      long[] next = {System.nanoTime() + PROGRESS_NANOS};
      StoreCopy.Copied copied = StoreCopy.copy(source, target, (streams, messages) -> {
        if (System.nanoTime() - next[0] >= 0) {
          System.out.printf("copied %,d streams and %,d messages so far%n", streams, messages);
          next[0] = System.nanoTime() + PROGRESS_NANOS;
        }
      });
      System.out.printf("copied %,d streams and %,d messages from %s to %s%s; epoch %s%n",
          copied.streams(), copied.messages(), describe(from), describe(to),
          copied.resumed() ? " (over an earlier copy of the same store)" : "", target.epoch());
      return 0;
    } catch (LogException e) {
      System.err.println("copy-store failed: " + e.getMessage());
      return 1;
    }
  }

  /**
   * The connection pool's and the schema tool's start-up lines (INFO) would bury the command's
   * own; their warnings and errors still show.
   */
  private static void quietLibraries() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
      context.getLogger("org.flywaydb").setLevel(Level.WARN);
    }
  }

  /** The storage group of a configuration file (null: the embedded default). */
  private static StorageOptions storage(String file, String option) throws ConfigException {
    StorageOptions s = ConfigLoader.storage(file, System.getenv());
    if (!s.durable()) {
      throw new ConfigException(option + ": storage.type " + s.type() + " keeps nothing on "
          + "disk to copy " + (option.equals("--from") ? "from" : "into"));
    }
    return s;
  }

  private static MessageLog open(StorageOptions s, String option) throws LogException {
    try {
      return MessageLogs.open(s, 60);
    } catch (LogException e) {
      throw new LogException(option + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code dir} is missing or holds nothing (opening it would make a database). */
  private static boolean isEmptyDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return !Files.exists(dir);
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.findAny().isEmpty();
    } catch (IOException e) {
      return false; // opening it says what is wrong
    }
  }

  /** The store a storage group names, in words (a URL without its parameters: a password). */
  private static String describe(StorageOptions s) {
    if (s.type().equals(StorageOptions.EMBEDDED)) {
      return "the embedded database in " + Path.of(s.path()).toAbsolutePath().normalize();
    }
    int query = s.url().indexOf('?');
    return "the PostgreSQL database " + (query < 0 ? s.url() : s.url().substring(0, query));
  }
}

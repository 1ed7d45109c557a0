package io.phoenix.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing what a test or benchmark made in the temporary directory. */
public final class TempTree {
  private TempTree() {
  }

  /** Deletes {@code dir} and everything under it, as far as it can: what stays is harmless. */
  public static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // gone already, or unreadable: left for the system's cleaner
    }
  }
}

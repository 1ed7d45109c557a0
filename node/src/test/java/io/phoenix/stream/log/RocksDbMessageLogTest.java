package io.phoenix.stream.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** The {@link MessageLog} contract on RocksDB, and what opening refuses. */
class RocksDbMessageLogTest extends MessageLogContract {
  @TempDir
  Path dir;

  @Override
  MessageLog create() throws Exception {
    return RocksDbMessageLog.open(dir.resolve("db"));
  }

  @Override
  MessageLog reopen() throws Exception {
    return RocksDbMessageLog.open(dir.resolve("db"));
  }

  /** Every byte under {@code root}, for "nothing was written" checks. */
  private static List<String> snapshot(Path root) throws Exception {
    List<String> out = new ArrayList<>();
    try (var files = Files.walk(root)) {
      for (Path p : files.sorted().toList()) {
        out.add(root.relativize(p) + (Files.isRegularFile(p)
            ? " " + java.util.Arrays.hashCode(Files.readAllBytes(p)) : ""));
      }
    }
    return out;
  }

  @Test
  void aDirectoryWithOtherFilesIsRefusedAndLeftAlone() throws Exception {
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.writeString(other.resolve("notes.txt"), "not a database");
    List<String> before = snapshot(other);
    LogException e = assertThrows(LogException.class, () -> RocksDbMessageLog.open(other));
    assertTrue(e.getMessage().contains("holds no Phoenix database"), e.getMessage());
    assertEquals(before, snapshot(other));
  }

  @Test
  void anotherRocksDbIsRefusedAndLeftAlone() throws Exception {
    Path foreign = dir.resolve("foreign");
    try (Options o = new Options().setCreateIfMissing(true);
         RocksDB db = RocksDB.open(o, foreign.toString())) {
      db.put("k".getBytes(), "v".getBytes());
    }
    List<String> before = snapshot(foreign);
    LogException e = assertThrows(LogException.class, () -> RocksDbMessageLog.open(foreign));
    assertTrue(e.getMessage().contains("not Phoenix's"), e.getMessage());
    assertEquals(before, snapshot(foreign));
  }

  @Test
  void aNewerFormatIsRefused() throws Exception {
    log.close();
    Path db = dir.resolve("db");
    List<ColumnFamilyDescriptor> families = new ArrayList<>();
    try (Options o = new Options()) {
      for (byte[] name : RocksDB.listColumnFamilies(o, db.toString())) {
        families.add(new ColumnFamilyDescriptor(name));
      }
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions o = new DBOptions(); RocksDB rdb = RocksDB.open(o, db.toString(), families,
        handles)) {
      rdb.put(handles.get(0), "phoenix.format".getBytes(StandardCharsets.US_ASCII),
          "99".getBytes(StandardCharsets.US_ASCII));
      handles.forEach(ColumnFamilyHandle::close);
    }
    LogException e = assertThrows(LogException.class, () -> RocksDbMessageLog.open(db));
    assertTrue(e.getMessage().contains("format 99, newer than this node reads"), e.getMessage());
    log = RocksDbMessageLog.open(Files.createDirectories(dir.resolve("fresh")));
  }

  @Test
  void aCorruptDatabaseIsRefusedWithOneLine() throws Exception {
    log.close();
    Path db = dir.resolve("db");
    try (var files = Files.list(db)) {
      for (Path p : files.filter(f -> f.getFileName().toString().startsWith("MANIFEST"))
          .toList()) {
        Files.write(p, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
      }
    }
    LogException e = assertThrows(LogException.class, () -> RocksDbMessageLog.open(db));
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    log = RocksDbMessageLog.open(Files.createDirectories(dir.resolve("fresh")));
  }

  @Test
  void fileSystemFailuresAreSaidInWordsNotAsTheirPath() {
    // NoSuchFileException's and AccessDeniedException's message is the path alone, so
    // storage.path failures read "cannot use /x/y: /x/y"
    assertEquals("no such file or directory",
        RocksDbMessageLog.reason(new java.nio.file.NoSuchFileException("/x/y")));
    assertEquals("permission denied",
        RocksDbMessageLog.reason(new java.nio.file.AccessDeniedException("/x/y")));
    assertEquals("Not a directory", RocksDbMessageLog.reason(
        new java.nio.file.FileSystemException("/x/y", null, "Not a directory")));
    assertEquals("disk on fire", RocksDbMessageLog.reason(new java.io.IOException("disk on fire")));
  }

  @Test
  void aFileWhereTheDirectoryShouldBeIsRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");
    LogException e = assertThrows(LogException.class, () -> RocksDbMessageLog.open(file));
    assertTrue(e.getMessage().contains("is a file"), e.getMessage());
  }
}

package io.phoenix.stream.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MessageLog} in an embedded RocksDB under {@code storage.path}, for a cluster of one
 * (storage.type {@code embedded}). One synced write-ahead-log write per commit, however many
 * messages it holds.
 *
 * <pre>
 * column family  key                                         value
 * default        "phoenix.format" / "phoenix.epoch"          format version / the store's epoch
 * messages       to, from, offset (8 bytes, big-endian)       acceptedAt, type, message_id, body
 * ids            to, from, message_id                         offset (bloom-filtered point reads)
 * streams        to, from                                     head, DELIVERED, READ, RECEIVER runs
 * </pre>
 * Eids are written as a varint length and their UTF-8 bytes, recipient first, so that the rows
 * of every stream into one recipient are adjacent (SYNC is one prefix scan).
 *
 * <p>Opening refuses, without writing anything, a directory that holds something else than a
 * Phoenix database, a corrupt one, or one of a newer format.
 *
 * <p>A write that fails (the process out of file descriptors or the disk full when RocksDB needs
 * a new file) leaves RocksDB refusing every later write, even once the cause is gone; RocksJava
 * has no way to resume it. The next {@link #commit} or {@link #check} then closes and reopens the
 * database, which replays its write-ahead log: what was synced stays, and the failed write can
 * be given again. While it is closed, every call fails with {@link LogException}.
 *
 * <p>Thread-safe; {@link #commit} is serialized. Every call holds a read lock on the open
 * database, and reopening takes the write lock, so no call ever uses a closed handle.
 */
public final class RocksDbMessageLog implements MessageLog {
  /** The format this code writes and reads; a database of a higher one is refused. */
  public static final int FORMAT = 1;
  private static final byte[] FORMAT_KEY = "phoenix.format".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EPOCH_KEY = "phoenix.epoch".getBytes(StandardCharsets.US_ASCII);
  private static final List<String> FAMILIES = List.of("default", "messages", "ids", "streams");
  /**
   * Files RocksDB keeps open at most (its table cache), so that a large database leaves the
   * process's file descriptors to its connections (limits.maxConnections keeps 2,048 aside).
   */
  static final int MAX_OPEN_FILES = 1_000;

  static {
    RocksDbLibrary.load();
  }

  private static final Logger log = LoggerFactory.getLogger(RocksDbMessageLog.class);

  private final Path dir;
  private final DBOptions options;
  private final List<ColumnFamilyDescriptor> descriptors;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final WriteOptions synced;
  private final WriteOptions unsynced;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  /** The open database; null while closed (reopening failed, or {@link #close}). */
  private volatile Handles db;
  /** A write failed: RocksDB takes none until the database is reopened. */
  private volatile boolean broken;
  private volatile String epoch;

  /** An open database and its column families. */
  private record Handles(RocksDB rocks, List<ColumnFamilyHandle> all, ColumnFamilyHandle meta,
      ColumnFamilyHandle messages, ColumnFamilyHandle ids, ColumnFamilyHandle streams) {

    void close() {
      all.forEach(ColumnFamilyHandle::close);
      rocks.close();
    }
  }

  private RocksDbMessageLog(Path dir, boolean create) throws LogException {
    this.dir = dir;
    options = track(new DBOptions().setCreateIfMissing(create)
        .setCreateMissingColumnFamilies(create)
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
        .setMaxTotalWalSize(64L << 20)
        .setKeepLogFileNum(2)
        .setMaxOpenFiles(MAX_OPEN_FILES));
    descriptors = descriptors();
    descriptors.forEach(d -> track(d.getOptions()));
    synced = track(new WriteOptions().setSync(true));
    unsynced = track(new WriteOptions());
    try {
      db = openHandles();
      options.setCreateIfMissing(false).setCreateMissingColumnFamilies(false); // reopen: never
    } catch (RocksDBException e) {
      closeResources();
      if (String.valueOf(e.getMessage()).contains("lock file")) { // RocksDB's LOCK is held
        throw new LogException("the database in " + dir + " is in use by another process (a "
            + "node running on it?): " + e.getMessage(), e);
      }
      throw new LogException("cannot open the database in " + dir + ": " + e.getMessage(), e);
    }
    try {
      if (create) {
        try (WriteBatch b = new WriteBatch()) {
          b.put(db.meta(), FORMAT_KEY,
              Integer.toString(FORMAT).getBytes(StandardCharsets.US_ASCII));
          b.put(db.meta(), EPOCH_KEY,
              UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII));
          db.rocks().write(synced, b);
        }
      }
      epoch = new String(db.rocks().get(db.meta(), EPOCH_KEY), StandardCharsets.US_ASCII);
    } catch (RocksDBException e) {
      close();
      throw new LogException("cannot initialise the database in " + dir + ": " + e.getMessage(),
          e);
    }
  }

  private Handles openHandles() throws RocksDBException {
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB rocks = RocksDB.open(options, dir.toString(), descriptors, handles);
    return new Handles(rocks, handles, handles.get(0), handles.get(1), handles.get(2),
        handles.get(3));
  }

  /**
   * @return what went wrong with a file, in words: a file-system exception's message is often
   *     just the path, which the caller names already
   */
  static String reason(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f) {
      return f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /**
   * Opens the database in {@code dir}, creating it when the directory is missing or empty.
   *
   * @throws LogException (one line) when the directory holds something else, a corrupt database
   *     or one of a newer format
   */
  public static RocksDbMessageLog open(Path dir) throws LogException {
    boolean empty;
    try {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new LogException(dir + " is a file, not a database directory");
      }
      try (Stream<Path> list = Files.exists(dir) ? Files.list(dir) : Stream.empty()) {
        empty = list.findAny().isEmpty();
      }
      if (empty) {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new LogException("cannot use " + dir + ": " + reason(e), e);
    }
    if (!empty) {
      checkExisting(dir);
    }
    return new RocksDbMessageLog(dir, empty);
  }

  /** Reads an existing directory without writing to it: is it a Phoenix database we can use? */
  private static void checkExisting(Path dir) throws LogException {
    List<byte[]> families;
    try (Options o = new Options()) {
      families = RocksDB.listColumnFamilies(o, dir.toString());
    } catch (RocksDBException e) {
      throw new LogException(dir + " is not empty and holds no Phoenix database ("
          + e.getMessage() + "): give storage.path an empty or new directory", e);
    }
    List<String> names = families.stream().map(b -> new String(b, StandardCharsets.UTF_8))
        .toList();
    if (names.isEmpty()) {
      throw new LogException(dir + " is not empty and holds no Phoenix database: give "
          + "storage.path an empty or new directory");
    }
    if (!names.containsAll(FAMILIES)) {
      throw new LogException(dir + " holds a database that is not Phoenix's (column families "
          + names + "): give storage.path an empty or new directory");
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    List<ColumnFamilyDescriptor> descriptors = descriptors();
    try (DBOptions o = new DBOptions().setInfoLogLevel(InfoLogLevel.ERROR_LEVEL);
         RocksDB ro = RocksDB.openReadOnly(o, dir.toString(), descriptors, handles)) {
      byte[] format = ro.get(handles.get(0), FORMAT_KEY);
      byte[] epoch = ro.get(handles.get(0), EPOCH_KEY);
      handles.forEach(ColumnFamilyHandle::close);
      if (format == null || epoch == null) {
        throw new LogException(dir + " holds a database that is not Phoenix's (no format "
            + "version): give storage.path an empty or new directory");
      }
      int version = Integer.parseInt(new String(format, StandardCharsets.US_ASCII));
      if (version > FORMAT) {
        throw new LogException("the database in " + dir + " has format " + version
            + ", newer than this node reads (" + FORMAT + "): run a newer Phoenix");
      }
    } catch (RocksDBException | NumberFormatException e) {
      throw new LogException("the database in " + dir + " cannot be read: " + e.getMessage(), e);
    } finally {
      descriptors.forEach(d -> d.getOptions().close());
    }
  }

  /**
   * The column families' options. Recent data (the memtables, levels 0 and 1: what a busy
   * node rewrites in compactions) is not compressed, older levels of message bodies are (LZ4):
   * compressing what compaction rewrites soon took a tenth of the node's CPU under load.
   * Message ids (random, mostly looked up to find them absent) are never compressed, and their
   * memtables have a bloom filter, so that checking a new id rarely searches a memtable.
   */
  private static List<ColumnFamilyDescriptor> descriptors() {
    List<CompressionType> recentPlain = List.of(CompressionType.NO_COMPRESSION,
        CompressionType.NO_COMPRESSION, CompressionType.LZ4_COMPRESSION,
        CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION,
        CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION);
    ColumnFamilyOptions small = new ColumnFamilyOptions().setWriteBufferSize(4L << 20)
        .setCompressionType(CompressionType.NO_COMPRESSION);
    ColumnFamilyOptions bodies = new ColumnFamilyOptions().setWriteBufferSize(32L << 20)
        .setCompressionPerLevel(recentPlain);
    ColumnFamilyOptions lookups = new ColumnFamilyOptions().setWriteBufferSize(8L << 20)
        .setCompressionType(CompressionType.NO_COMPRESSION)
        .setMemtablePrefixBloomSizeRatio(0.1)
        .setMemtableWholeKeyFiltering(true)
        .setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(new BloomFilter(10)));
    return List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, small),
        new ColumnFamilyDescriptor(bytes("messages"), bodies),
        new ColumnFamilyDescriptor(bytes("ids"), lookups),
        new ColumnFamilyDescriptor(bytes("streams"), small));
  }

  @Override
  public String epoch() {
    return epoch;
  }

  @Override
  public long[] offsetsOf(List<IdKey> keys) throws LogException {
    long[] out = new long[keys.size()];
    if (keys.isEmpty()) {
      return out;
    }
    Handles h = acquire();
    try {
      List<ColumnFamilyHandle> cfs = new ArrayList<>(keys.size());
      List<byte[]> raw = new ArrayList<>(keys.size());
      for (IdKey k : keys) {
        cfs.add(h.ids());
        raw.add(LogKeys.id(k.from(), k.to(), k.messageId()));
      }
      List<byte[]> found = h.rocks().multiGetAsList(cfs, raw);
      for (int i = 0; i < out.length; i++) {
        byte[] v = found.get(i);
        out[i] = v == null ? 0 : ByteBuffer.wrap(v).getLong();
      }
      return out;
    } catch (RocksDBException e) {
      throw new LogException("reading message ids failed: " + e.getMessage(), e);
    } finally {
      release();
    }
  }

  @Override
  public StreamRow stream(String from, String to) throws LogException {
    Handles h = acquire();
    try {
      byte[] v = h.rocks().get(h.streams(), LogKeys.stream(from, to));
      return v == null ? null : LogKeys.row(from, to, v);
    } catch (RocksDBException e) {
      throw new LogException("reading stream " + from + "->" + to + " failed: " + e.getMessage(),
          e);
    } finally {
      release();
    }
  }

  @Override
  public synchronized List<Entry> commit(List<Entry> entries, List<StreamRow> rows)
      throws LogException {
    if (broken) {
      reopen();
    }
    Handles h = acquire();
    List<Entry> displaced = new ArrayList<>(0);
    try (WriteBatch b = new WriteBatch()) {
      // the stored rows, each read once (the batch's own puts are not read back)
      java.util.Map<List<String>, StreamRow> stored = new java.util.HashMap<>();
      StreamRow row = null; // of the previous entry's stream: a commit's entries come in runs
      for (Entry e : Entry.firstPerOffset(entries, displaced)) {
        byte[] key = LogKeys.message(e.from(), e.to(), e.offset());
        if (row == null || !row.from().equals(e.from()) || !row.to().equals(e.to())) {
          row = storedRow(h, stored, e.from(), e.to());
        }
        if (e.offset() <= row.head()) {
          // written before, by this message or (only if offsets were given twice) another
          byte[] old = h.rocks().get(h.messages(), key);
          if (old != null && !LogKeys.entry(e.from(), e.to(), e.offset(), old).messageId()
              .equals(e.messageId())) {
            displaced.add(e);
            continue;
          }
        }
        b.put(h.messages(), key, LogKeys.messageValue(e));
        b.put(h.ids(), LogKeys.id(e.from(), e.to(), e.messageId()), LogKeys.long8(e.offset()));
      }
      for (StreamRow r : StreamRow.merged(rows)) {
        StreamRow old = storedRow(h, stored, r.from(), r.to());
        b.put(h.streams(), LogKeys.stream(r.from(), r.to()),
            LogKeys.rowValue(LogKeys.raise(old, r)));
      }
      write(h, synced, b);
      return Entry.inOrderOf(entries, displaced);
    } catch (RocksDBException e) {
      throw new LogException("writing " + entries.size() + " messages and " + rows.size()
          + " stream rows failed: " + e.getMessage(), e);
    } finally {
      release();
    }
  }

  /** The stored row of a stream (all 0 when none), read once per commit. */
  private static StreamRow storedRow(Handles h, java.util.Map<List<String>, StreamRow> stored,
      String from, String to) throws RocksDBException {
    List<String> k = List.of(from, to);
    StreamRow row = stored.get(k);
    if (row == null) {
      byte[] old = h.rocks().get(h.streams(), LogKeys.stream(from, to));
      row = old == null ? new StreamRow(from, to, 0, 0, 0, null) : LogKeys.row(from, to, old);
      stored.put(k, row);
    }
    return row;
  }

  /**
   * Whether the database answers and takes writes: after a failed write, reopens it first.
   */
  @Override
  public synchronized void check() throws LogException {
    if (broken) {
      reopen();
    }
    stream("", "");
  }

  @Override
  public List<Entry> read(String from, String to, long after, long before, int max,
      long notBefore) throws LogException {
    if (after >= before - 1) {
      return List.of(); // no offset between (after + 1 could overflow)
    }
    List<Entry> out = new ArrayList<>(Math.min(max, 128));
    byte[] prefix = LogKeys.stream(from, to);
    Handles h = acquire();
    try (RocksIterator it = h.rocks().newIterator(h.messages())) {
      for (it.seek(LogKeys.message(from, to, Math.max(0, after) + 1));
          it.isValid() && out.size() < max; it.next()) {
        byte[] key = it.key();
        if (!LogKeys.startsWith(key, prefix) || key.length != prefix.length + 8) {
          break;
        }
        long offset = ByteBuffer.wrap(key, prefix.length, 8).getLong();
        if (offset >= before) {
          break;
        }
        Entry e = LogKeys.entry(from, to, offset, it.value());
        if (e.acceptedAt() >= notBefore) {
          out.add(e);
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw new LogException("reading " + from + "->" + to + " failed: " + e.getMessage(), e);
    } finally {
      release();
    }
    return out;
  }

  @Override
  public List<StreamRow> backlogInto(String to) throws LogException {
    List<StreamRow> out = new ArrayList<>();
    byte[] prefix = LogKeys.recipient(to);
    Handles h = acquire();
    try (RocksIterator it = h.rocks().newIterator(h.streams())) {
      for (it.seek(prefix); it.isValid() && LogKeys.startsWith(it.key(), prefix); it.next()) {
        StreamRow r = LogKeys.row(LogKeys.eidAt(it.key(), prefix.length), to, it.value());
        if (r.head() > r.delivered()) {
          out.add(r);
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw new LogException("reading the streams into " + to + " failed: " + e.getMessage(), e);
    } finally {
      release();
    }
    return out;
  }

  @Override
  public void eachStream(StreamVisitor each) throws LogException {
    Handles h = acquire();
    try (RocksIterator it = h.rocks().newIterator(h.streams())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        each.visit(LogKeys.row(LogKeys.eidAt(key, LogKeys.recipientLength(key)),
            LogKeys.eidAt(key, 0), it.value()));
      }
      it.status();
    } catch (RocksDBException e) {
      throw new LogException("reading the streams of " + dir + " failed: " + e.getMessage(), e);
    } finally {
      release();
    }
  }

  @Override
  public boolean isEmpty() throws LogException {
    Handles h = acquire();
    try (RocksIterator streams = h.rocks().newIterator(h.streams());
         RocksIterator messages = h.rocks().newIterator(h.messages())) {
      streams.seekToFirst();
      messages.seekToFirst();
      streams.status();
      messages.status();
      return !streams.isValid() && !messages.isValid();
    } catch (RocksDBException e) {
      throw new LogException("reading " + dir + " failed: " + e.getMessage(), e);
    } finally {
      release();
    }
  }

  @Override
  public synchronized void adoptEpoch(String epoch) throws LogException {
    if (!isEmpty()) {
      throw new LogException("the database in " + dir + " holds streams already: its epoch "
          + "stays");
    }
    Handles h = acquire();
    try {
      h.rocks().put(h.meta(), synced, EPOCH_KEY, epoch.getBytes(StandardCharsets.US_ASCII));
      this.epoch = epoch;
    } catch (RocksDBException e) {
      throw new LogException("writing the epoch of " + dir + " failed: " + e.getMessage(), e);
    } finally {
      release();
    }
  }

  @Override
  public int trimExpired(long cutoff, int max) throws LogException {
    int deleted = 0;
    Handles h = acquire();
    try (RocksIterator rows = h.rocks().newIterator(h.streams());
         RocksIterator msgs = h.rocks().newIterator(h.messages());
         WriteBatch b = new WriteBatch()) {
      for (rows.seekToFirst(); rows.isValid() && deleted < max; rows.next()) {
        byte[] stream = rows.key();
        for (msgs.seek(stream); msgs.isValid() && deleted < max; msgs.next()) {
          byte[] key = msgs.key();
          if (!LogKeys.startsWith(key, stream) || key.length != stream.length + 8) {
            break;
          }
          byte[] value = msgs.value();
          if (ByteBuffer.wrap(value).getLong() >= cutoff) {
            break; // offsets are accepted in time order: the rest of the stream is younger
          }
          b.delete(h.messages(), key);
          b.delete(h.ids(), LogKeys.idOfValue(stream, value));
          deleted++;
        }
      }
      rows.status();
      if (deleted > 0) {
        write(h, unsynced, b); // lost in a crash, done again by the next sweep
      }
    } catch (RocksDBException e) {
      throw new LogException("deleting expired messages failed: " + e.getMessage(), e);
    } finally {
      release();
    }
    return deleted;
  }

  /** Writes {@code batch}; a failure marks the database for reopening. */
  private void write(Handles h, WriteOptions how, WriteBatch batch) throws RocksDBException {
    try {
      h.rocks().write(how, batch);
    } catch (RocksDBException e) {
      if (!broken) {
        log.warn("a write to the database in {} failed; it is reopened before the next one: {}",
            dir, e.getMessage());
      }
      broken = true;
      throw e;
    }
  }

  /** The open database, under the read lock: {@link #release} it. */
  private Handles acquire() throws LogException {
    lock.readLock().lock();
    Handles h = db;
    if (h == null) {
      lock.readLock().unlock();
      throw new LogException("the database in " + dir + " is closed: reopening it after a failed"
          + " write failed, and it is tried again with the next write");
    }
    return h;
  }

  private void release() {
    lock.readLock().unlock();
  }

  /**
   * Closes the database and opens it again (RocksDB replays its write-ahead log); called with
   * this object's monitor held, after a write failed.
   */
  private void reopen() throws LogException {
    lock.writeLock().lock();
    try {
      Handles old = db;
      db = null;
      if (old != null) {
        old.close();
      }
      try {
        db = openHandles();
      } catch (RocksDBException e) {
        throw new LogException("reopening the database in " + dir + " after a failed write "
            + "failed: " + e.getMessage(), e);
      }
      broken = false;
      log.info("reopened the database in {} after a failed write; it takes writes again", dir);
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public long bytesOnDisk() {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      return -1;
    }
  }

  @Override
  public synchronized void close() {
    lock.writeLock().lock();
    try {
      Handles h = db;
      db = null;
      if (h != null) {
        if (!broken) {
          try {
            h.rocks().syncWal();
          } catch (RocksDBException ignored) {
            // closing anyway; every commit was synced already
          }
        }
        h.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
    closeResources();
  }

  private void closeResources() {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception ignored) {
        // native handles: nothing to report
      }
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "RocksDbMessageLog[" + dir + ", families " + Arrays.toString(FAMILIES.toArray()) + "]";
  }
}

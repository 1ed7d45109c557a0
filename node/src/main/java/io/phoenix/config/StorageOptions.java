package io.phoenix.config;

/**
 * Where stored messages live (config group {@code storage}, PROTOCOL.md §9).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles. Its
 * {@link #toString()} never shows the password.
 *
 * @param type {@code embedded} (a database on this node's disk, for a cluster of one),
 *     {@code postgresql} (one database shared by every member) or {@code memory} (nothing on
 *     disk: tests and benchmarks)
 * @param path directory of the embedded database
 * @param acceptAfter {@code commit} (ACCEPTED once committed to the database) or
 *     {@code replicate} (once held in memory by the stream's owner and its backups)
 * @param url JDBC URL of the PostgreSQL database
 * @param user PostgreSQL user
 * @param password PostgreSQL password
 * @param poolSize connections to PostgreSQL, 2 to 64
 * @param flushMs longest time an accepted message waits in memory before it is written, in
 *     {@code replicate} mode, 1 to 60000 ms
 * @param maxBatch most messages written by one commit, 1 to 65536
 * @param hotWindow messages per stream whose bodies stay in memory after they are written, for
 *     fast pulls, 0 to 4096
 * @param hotWindowBytes most bytes of written message bodies the cluster keeps in memory for
 *     fast pulls, over all streams (each of the 64 buckets keeps a 64th), 0 to 2^40
 * @param maxStreamsInMemory most streams the cluster keeps in memory (each bucket a 64th), or 0
 *     for an eighth of this node's heap at 2 KB a stream
 */
public record StorageOptions(String type, String path, String acceptAfter, String url,
    String user, String password, int poolSize, int flushMs, int maxBatch, int hotWindow,
    long hotWindowBytes, int maxStreamsInMemory) {

  public static final String EMBEDDED = "embedded";
  public static final String POSTGRESQL = "postgresql";
  public static final String MEMORY = "memory";
  public static final String COMMIT = "commit";
  public static final String REPLICATE = "replicate";

  /** Default of {@code storage.type}: {@value}. */
  public static final String DEFAULT_TYPE = EMBEDDED;
  /** Default of {@code storage.path}: {@value}. */
  public static final String DEFAULT_PATH = "data";
  /** Default of {@code storage.acceptAfter}: {@value}. */
  public static final String DEFAULT_ACCEPT_AFTER = COMMIT;
  /** Default of {@code storage.url}: none. */
  public static final String DEFAULT_URL = "";
  /** Default of {@code storage.user}: none. */
  public static final String DEFAULT_USER = "";
  /** Default of {@code storage.password}: none. */
  public static final String DEFAULT_PASSWORD = "";
  /** Default of {@code storage.poolSize}: {@value}. */
  public static final int DEFAULT_POOL_SIZE = 4;
  /** Default of {@code storage.flushMs}: {@value}. */
  public static final int DEFAULT_FLUSH_MS = 100;
  /** Default of {@code storage.maxBatch}: {@value}. */
  public static final int DEFAULT_MAX_BATCH = 1024;
  /** Default of {@code storage.hotWindow}: {@value}. */
  public static final int DEFAULT_HOT_WINDOW = 16;
  /** Default of {@code storage.hotWindowBytes}: {@value} (64 MiB). */
  public static final long DEFAULT_HOT_WINDOW_BYTES = 64L << 20;
  /** Default of {@code storage.maxStreamsInMemory}: {@value} (from the heap). */
  public static final int DEFAULT_MAX_STREAMS_IN_MEMORY = 0;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public StorageOptions {
    ConfigKey.STORAGE_TYPE.checkString(type);
    ConfigKey.STORAGE_PATH.checkString(path);
    Values.checkPath(ConfigKey.STORAGE_PATH.path(), path);
    ConfigKey.STORAGE_ACCEPT_AFTER.checkString(acceptAfter);
    ConfigKey.STORAGE_URL.checkString(url);
    ConfigKey.STORAGE_USER.checkString(user);
    ConfigKey.STORAGE_PASSWORD.checkString(password);
    ConfigKey.STORAGE_POOL_SIZE.checkInt(poolSize);
    ConfigKey.STORAGE_FLUSH_MS.checkInt(flushMs);
    ConfigKey.STORAGE_MAX_BATCH.checkInt(maxBatch);
    ConfigKey.STORAGE_HOT_WINDOW.checkInt(hotWindow);
    ConfigKey.STORAGE_HOT_WINDOW_BYTES.checkLong(hotWindowBytes);
    ConfigKey.STORAGE_MAX_STREAMS_IN_MEMORY.checkInt(maxStreamsInMemory);
    if (type.equals(POSTGRESQL) && !url.startsWith("jdbc:postgresql:")) {
      throw new ConfigException("storage.url must be a jdbc:postgresql: URL when storage.type is "
          + "postgresql (got " + Values.shown(url) + ")");
    }
  }

  /** @return the options with every default: an embedded database under ./data */
  public static StorageOptions defaults() {
    return new StorageOptions(DEFAULT_TYPE, DEFAULT_PATH, DEFAULT_ACCEPT_AFTER, DEFAULT_URL,
        DEFAULT_USER, DEFAULT_PASSWORD, DEFAULT_POOL_SIZE, DEFAULT_FLUSH_MS, DEFAULT_MAX_BATCH,
        DEFAULT_HOT_WINDOW, DEFAULT_HOT_WINDOW_BYTES, DEFAULT_MAX_STREAMS_IN_MEMORY);
  }

  /** @return whether messages are kept in a database (embedded or PostgreSQL) */
  public boolean durable() {
    return !type.equals(MEMORY);
  }

  /**
   * @return {@code maxStreamsInMemory}, or when 0 the number derived from this JVM's heap: an
   *     eighth of it, at 2 KB a stream (a stream with a message or two takes about 1 KB)
   */
  public int streamsInMemory() {
    return maxStreamsInMemory > 0 ? maxStreamsInMemory
        : (int) Math.min(Integer.MAX_VALUE, Runtime.getRuntime().maxMemory() / 8 / 2048);
  }

  /** @return whether ACCEPTED waits for the commit */
  public boolean acceptAfterCommit() {
    return acceptAfter.equals(COMMIT);
  }

  @Override
  public String toString() {
    return "StorageOptions[type=" + type + ", path=" + path + ", acceptAfter=" + acceptAfter
        + ", url=" + url + ", user=" + user + ", password=" + PhoenixConfig.REDACTED
        + ", poolSize=" + poolSize + ", flushMs=" + flushMs + ", maxBatch=" + maxBatch
        + ", hotWindow=" + hotWindow + ", hotWindowBytes=" + hotWindowBytes
        + ", maxStreamsInMemory=" + maxStreamsInMemory + "]";
  }
}

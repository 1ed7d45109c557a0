package io.phoenix.stream.log;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.phoenix.config.ClusterOptions;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;

/**
 * {@link MessageLog} in PostgreSQL (storage.type {@code postgresql}): one database shared by
 * every member of a cluster, reached through a small connection pool. The schema is created and
 * migrated with Flyway (history in {@code phoenix_schema_history}); tables are
 * {@code phoenix_meta}, {@code phoenix_streams} and {@code phoenix_messages}
 * (see {@code db/phoenix/V1__streams.sql}).
 *
 * <p>Opening refuses, without writing anything, a database that holds other tables but no
 * Phoenix history, or one migrated by a newer Phoenix. A commit is one transaction: messages
 * inserted (an offset already holding the same message is left as it is; one holding another
 * message is not written and returned), stream rows raised with {@code GREATEST}, so members
 * may write the same message or row concurrently.
 *
 * <p>Thread-safe (each call takes its own pooled connection).
 */
public final class PostgresMessageLog implements MessageLog {
  /** The newest schema version this code knows. */
  static final String SCHEMA_VERSION = "1";
  /**
   * An offset stored again with the same message is left as it is; one that holds another
   * message fails the commit (the row's message_id set to null, refused by NOT NULL), which
   * then finds those entries and is made again without them: no cost when none is.
   */
  private static final String INSERT_MESSAGE = "INSERT INTO phoenix_messages (to_eid, from_eid, "
      + "msg_offset, message_id, msg_type, accepted_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) "
      + "ON CONFLICT (to_eid, from_eid, msg_offset) DO UPDATE SET message_id = NULL "
      + "WHERE phoenix_messages.message_id <> EXCLUDED.message_id";
  /** One order of stream rows for every member: by the table's key, (to_eid, from_eid). */
  private static final Comparator<StreamRow> KEY_ORDER =
      Comparator.comparing(StreamRow::to).thenComparing(StreamRow::from);
  private static final String UPSERT_STREAM = "INSERT INTO phoenix_streams (to_eid, from_eid, "
      + "head, delivered, read_pos, receiver_runs) VALUES (?, ?, ?, ?, ?, ?) "
      + "ON CONFLICT (to_eid, from_eid) DO UPDATE SET "
      + "head = GREATEST(phoenix_streams.head, EXCLUDED.head), "
      + "delivered = GREATEST(phoenix_streams.delivered, EXCLUDED.delivered), "
      + "read_pos = GREATEST(phoenix_streams.read_pos, EXCLUDED.read_pos), "
      + "receiver_runs = COALESCE(EXCLUDED.receiver_runs, phoenix_streams.receiver_runs)";

  private final HikariDataSource pool;
  private volatile String epoch;

  private PostgresMessageLog(HikariDataSource pool, String epoch) {
    this.pool = pool;
    this.epoch = epoch;
  }

  /**
   * Connects, creates or migrates the schema, and reads (or creates) the epoch. A transaction
   * left open and idle is ended after the default member timeout (see
   * {@link #open(String, String, String, int, int)}).
   *
   * @throws LogException (one line) when the database cannot be reached, refuses the login, is
   *     not Phoenix's, or was migrated by a newer Phoenix
   */
  public static PostgresMessageLog open(String url, String user, String password, int poolSize)
      throws LogException {
    return open(url, user, password, poolSize, ClusterOptions.DEFAULT_MEMBER_TIMEOUT_SECONDS);
  }

  /**
   * As {@link #open(String, String, String, int)}; the server ends a session of this node that
   * leaves a transaction open and idle for {@code idleInTransactionSeconds}. This node's own
   * transactions never wait for it between statements: one that does belongs to a process that
   * froze mid-commit (a long pause, a suspended machine), whose locks would otherwise hold every
   * other member's commits of the same streams for as long as it stays frozen. Once the
   * cluster declared such a member dead ({@code cluster.memberTimeoutSeconds}), its
   * transactions are ended too; when it wakes, its commit fails and is tried again.
   */
  public static PostgresMessageLog open(String url, String user, String password, int poolSize,
      int idleInTransactionSeconds) throws LogException {
    HikariConfig c = new HikariConfig();
    c.setConnectionInitSql("SET idle_in_transaction_session_timeout = "
        + Math.multiplyExact(idleInTransactionSeconds, 1000));
    c.setJdbcUrl(url);
    c.setUsername(user.isEmpty() ? null : user);
    c.setPassword(password.isEmpty() ? null : password);
    c.setMaximumPoolSize(poolSize);
    c.setMinimumIdle(1);
    c.setPoolName("phoenix-store");
    c.setConnectionTimeout(5_000);
    c.setValidationTimeout(3_000);
    c.setInitializationFailTimeout(1); // fail at once (one attempt) when the database is not there
    c.addDataSourceProperty("reWriteBatchedInserts", "true");
    c.addDataSourceProperty("connectTimeout", "5");
    c.addDataSourceProperty("loginTimeout", "10");
    c.addDataSourceProperty("socketTimeout", "30");
    c.addDataSourceProperty("tcpKeepAlive", "true");
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(c);
    } catch (RuntimeException e) {
      throw new LogException("cannot connect to " + url + ": " + rootMessage(e), e);
    }
    try {
      migrate(pool, url);
      return new PostgresMessageLog(pool, epoch(pool));
    } catch (LogException | RuntimeException e) {
      pool.close();
      if (e instanceof LogException le) {
        throw le;
      }
      throw new LogException("cannot prepare the database at " + url + ": " + rootMessage(e), e);
    }
  }

  private static void migrate(HikariDataSource pool, String url) throws LogException {
    Flyway flyway = Flyway.configure()
        .dataSource(pool)
        .locations("classpath:db/phoenix")
        .table("phoenix_schema_history")
        .load();
    try {
      MigrationInfo current = flyway.info().current();
      if (current != null && current.getVersion() != null
          && current.getVersion().compareTo(MigrationVersion.fromVersion(SCHEMA_VERSION)) > 0) {
        throw new LogException("the database at " + url + " has schema version "
            + current.getVersion() + ", newer than this node knows ("
            + MigrationVersion.fromVersion(SCHEMA_VERSION) + "): run a newer Phoenix");
      }
      flyway.migrate();
    } catch (FlywayException e) {
      throw new LogException("the database at " + url + " cannot be used: "
          + firstLine(e.getMessage()) + " (give Phoenix a database of its own)", e);
    }
  }

  private static String epoch(HikariDataSource pool) throws LogException {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO phoenix_meta (meta_key, "
          + "meta_value) VALUES ('epoch', ?) ON CONFLICT (meta_key) DO NOTHING")) {
        insert.setString(1, UUID.randomUUID().toString());
        insert.executeUpdate();
      }
      try (PreparedStatement select = c.prepareStatement(
          "SELECT meta_value FROM phoenix_meta WHERE meta_key = 'epoch'");
           ResultSet rs = select.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    } catch (SQLException e) {
      throw new LogException("cannot read the store's epoch: " + e.getMessage(), e);
    }
  }

  @Override
  public String epoch() {
    return epoch;
  }

  @Override
  public boolean lookupsBlock() {
    return true;
  }

  @Override
  public long[] offsetsOf(List<IdKey> keys) throws LogException {
    long[] out = new long[keys.size()];
    if (keys.isEmpty()) {
      return out;
    }
    String[] to = new String[keys.size()];
    String[] from = new String[keys.size()];
    String[] ids = new String[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      to[i] = keys.get(i).to();
      from[i] = keys.get(i).from();
      ids[i] = keys.get(i).messageId();
    }
    // One statement text whatever the number of ids (prepared once per connection), and one
    // index probe per id: a scalar subquery per row keeps the planner from hashing the table.
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement(ID_LOOKUP)) {
      // Planned at each run, never from a cached generic plan: one planned while the table
      // was nearly empty scans a whole stream per id (the primary key's prefix) until the next
      // ANALYZE, 60-80 ms a lookup for one conversation of a few thousand messages.
      s.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0);
      s.setArray(1, c.createArrayOf("varchar", to));
      s.setArray(2, c.createArrayOf("varchar", from));
      s.setArray(3, c.createArrayOf("varchar", ids));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out[(int) rs.getLong(1) - 1] = rs.getLong(2);
        }
      }
      return out;
    } catch (SQLException e) {
      throw new LogException("looking message ids up failed: " + e.getMessage(), e);
    }
  }

  /** Offsets of message ids: ordinality (1-based) and offset of the ids that are stored. */
  private static final String ID_LOOKUP = "SELECT i, o FROM (SELECT k.i, (SELECT m.msg_offset "
      + "FROM phoenix_messages m WHERE m.to_eid = k.t AND m.from_eid = k.f "
      + "AND m.message_id = k.id LIMIT 1) AS o "
      + "FROM unnest(?, ?, ?) WITH ORDINALITY AS k(t, f, id, i)) x WHERE o IS NOT NULL";

  @Override
  public StreamRow stream(String from, String to) throws LogException {
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement("SELECT head, delivered, read_pos, "
             + "receiver_runs FROM phoenix_streams WHERE to_eid = ? AND from_eid = ?")) {
      s.setString(1, to);
      s.setString(2, from);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? row(from, to, rs) : null;
      }
    } catch (SQLException e) {
      throw new LogException("reading stream " + from + "->" + to + " failed: " + e.getMessage(),
          e);
    }
  }

  @Override
  public List<Entry> commit(List<Entry> entries, List<StreamRow> rows) throws LogException {
    List<Entry> displaced = new ArrayList<>(0);
    // In the order of the table's key, like the rows: two members writing the same unwritten
    // messages (each carries the other's below its own) insert them in one order, not in
    // orders that deadlock.
    List<Entry> writing = new ArrayList<>(Entry.firstPerOffset(entries, displaced));
    writing.sort(ENTRY_ORDER);
    for (int attempt = 1; ; attempt++) {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          insert(c, writing);
          upsert(c, rows);
          c.commit();
          return Entry.inOrderOf(entries, displaced);
        } catch (SQLException e) {
          c.rollback();
          if (!offsetTaken(e) || attempt == MAX_COMMIT_ATTEMPTS) {
            throw e;
          }
        }
        // Some offset holds another message: leave those entries out and write the rest.
        // (Another commit may take one more meanwhile: then again.)
        List<Entry> taken = heldByOthers(c, writing);
        c.rollback();
        java.util.Set<Entry> out = java.util.Collections.newSetFromMap(
            new java.util.IdentityHashMap<>());
        out.addAll(taken);
        writing.removeIf(out::contains);
        displaced.addAll(taken);
      } catch (SQLException e) {
        throw new LogException("writing " + entries.size() + " messages failed: "
            + e.getMessage(), e);
      }
    }
  }

  /** Commits that find an offset taken by another message are tried again, this many times. */
  private static final int MAX_COMMIT_ATTEMPTS = 4;

  private static final Comparator<Entry> ENTRY_ORDER = Comparator.comparing(Entry::to)
      .thenComparing(Entry::from).thenComparingLong(Entry::offset);

  private static void insert(Connection c, List<Entry> entries) throws SQLException {
    if (entries.isEmpty()) {
      return;
    }
    try (PreparedStatement s = c.prepareStatement(INSERT_MESSAGE)) {
      for (Entry e : entries) {
        s.setString(1, e.to());
        s.setString(2, e.from());
        s.setLong(3, e.offset());
        s.setString(4, e.messageId());
        s.setShort(5, (short) e.type());
        s.setLong(6, e.acceptedAt());
        s.setBytes(7, e.body());
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  private static void upsert(Connection c, List<StreamRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (PreparedStatement s = c.prepareStatement(UPSERT_STREAM)) {
      // An upsert batch touches a row once, and rows in the order of the table's key:
      // the members sharing the database write the same rows (the sender's node the head,
      // the recipient's node DELIVERED), and transactions that lock common rows in
      // different orders deadlock.
      List<StreamRow> merged = StreamRow.merged(rows);
      merged.sort(KEY_ORDER);
      for (StreamRow r : merged) {
        s.setString(1, r.to());
        s.setString(2, r.from());
        s.setLong(3, r.head());
        s.setLong(4, r.delivered());
        s.setLong(5, r.read());
        s.setBytes(6, r.runs() == null ? null : runBytes(r.runs()));
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /**
   * Whether a commit failed because an entry's offset holds another message: the insert sets
   * that row's message_id to null (see {@link #INSERT_MESSAGE}), which its NOT NULL refuses.
   */
  private static boolean offsetTaken(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if (NOT_NULL_VIOLATION.equals(x.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static final String NOT_NULL_VIOLATION = "23502";

  /** The entries whose offset holds another message. */
  private static List<Entry> heldByOthers(Connection c, List<Entry> entries)
      throws SQLException {
    String[] to = new String[entries.size()];
    String[] from = new String[entries.size()];
    Long[] offsets = new Long[entries.size()];
    for (int i = 0; i < entries.size(); i++) {
      to[i] = entries.get(i).to();
      from[i] = entries.get(i).from();
      offsets[i] = entries.get(i).offset();
    }
    List<Entry> out = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement(STORED_IDS)) {
      s.setArray(1, c.createArrayOf("varchar", to));
      s.setArray(2, c.createArrayOf("varchar", from));
      s.setArray(3, c.createArrayOf("int8", offsets));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          Entry e = entries.get((int) rs.getLong(1) - 1);
          if (!e.messageId().equals(rs.getString(2))) {
            out.add(e);
          }
        }
      }
    }
    return out;
  }

  /** The message_ids stored at offsets: ordinality (1-based) and id, where one is stored. */
  private static final String STORED_IDS = "SELECT i, id FROM (SELECT k.i, (SELECT "
      + "m.message_id FROM phoenix_messages m WHERE m.to_eid = k.t AND m.from_eid = k.f "
      + "AND m.msg_offset = k.o) AS id "
      + "FROM unnest(?, ?, ?) WITH ORDINALITY AS k(t, f, o, i)) x WHERE id IS NOT NULL";


  @Override
  public List<Entry> read(String from, String to, long after, long before, int max,
      long notBefore) throws LogException {
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement("SELECT msg_offset, message_id, msg_type, "
             + "accepted_at, body FROM phoenix_messages WHERE to_eid = ? AND from_eid = ? "
             + "AND msg_offset > ? AND msg_offset < ? AND accepted_at >= ? "
             + "ORDER BY msg_offset LIMIT ?")) {
      s.setString(1, to);
      s.setString(2, from);
      s.setLong(3, after);
      s.setLong(4, before);
      s.setLong(5, notBefore);
      s.setInt(6, max);
      List<Entry> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(new Entry(from, to, rs.getLong(1), rs.getString(2), rs.getShort(3),
              rs.getLong(4), rs.getBytes(5)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new LogException("reading " + from + "->" + to + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<StreamRow> backlogInto(String to) throws LogException {
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement("SELECT from_eid, head, delivered, read_pos, "
             + "receiver_runs FROM phoenix_streams WHERE to_eid = ? AND head > delivered")) {
      s.setString(1, to);
      List<StreamRow> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(new StreamRow(rs.getString(1), to, rs.getLong(2), rs.getLong(3),
              rs.getLong(4), runs(rs.getBytes(5))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new LogException("reading the streams into " + to + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void eachStream(StreamVisitor each) throws LogException {
    String to = "";
    String from = "";
    boolean first = true;
    while (true) { // pages in key order, each after the last row of the one before
      List<StreamRow> page = new ArrayList<>(STREAM_PAGE);
      try (Connection c = pool.getConnection();
           PreparedStatement s = c.prepareStatement("SELECT to_eid, from_eid, head, delivered, "
               + "read_pos, receiver_runs FROM phoenix_streams" + (first ? ""
               : " WHERE (to_eid, from_eid) > (?, ?)") + " ORDER BY to_eid, from_eid LIMIT ?")) {
        int p = 1;
        if (!first) {
          s.setString(p++, to);
          s.setString(p++, from);
        }
        s.setInt(p, STREAM_PAGE);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            page.add(new StreamRow(rs.getString(2), rs.getString(1), rs.getLong(3),
                rs.getLong(4), rs.getLong(5), runs(rs.getBytes(6))));
          }
        }
      } catch (SQLException e) {
        throw new LogException("reading the streams failed: " + e.getMessage(), e);
      }
      for (StreamRow r : page) {
        each.visit(r);
      }
      if (page.size() < STREAM_PAGE) {
        return;
      }
      StreamRow last = page.get(page.size() - 1);
      to = last.to();
      from = last.from();
      first = false;
    }
  }

  /** Rows of {@link #eachStream} read at a time. */
  private static final int STREAM_PAGE = 1_000;

  @Override
  public boolean isEmpty() throws LogException {
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM phoenix_streams)"
             + " OR EXISTS (SELECT 1 FROM phoenix_messages)");
         ResultSet rs = s.executeQuery()) {
      rs.next();
      return !rs.getBoolean(1);
    } catch (SQLException e) {
      throw new LogException("reading the database failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void adoptEpoch(String epoch) throws LogException {
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement("UPDATE phoenix_meta SET meta_value = ? WHERE "
             + "meta_key = 'epoch' AND NOT EXISTS (SELECT 1 FROM phoenix_streams) "
             + "AND NOT EXISTS (SELECT 1 FROM phoenix_messages)")) {
      s.setString(1, epoch);
      if (s.executeUpdate() != 1) {
        throw new LogException("the database holds streams already: its epoch stays");
      }
      this.epoch = epoch;
    } catch (SQLException e) {
      throw new LogException("writing the store's epoch failed: " + e.getMessage(), e);
    }
  }

  @Override
  public int trimExpired(long cutoff, int max) throws LogException {
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement("DELETE FROM phoenix_messages WHERE "
             + "(to_eid, from_eid, msg_offset) IN (SELECT to_eid, from_eid, msg_offset FROM "
             + "phoenix_messages WHERE accepted_at < ? LIMIT ?)")) {
      s.setLong(1, cutoff);
      s.setInt(2, max);
      return s.executeUpdate();
    } catch (SQLException e) {
      throw new LogException("deleting expired messages failed: " + e.getMessage(), e);
    }
  }

  @Override
  public long bytesOnDisk() {
    try (Connection c = pool.getConnection();
         PreparedStatement s = c.prepareStatement("SELECT pg_database_size(current_database())");
         ResultSet rs = s.executeQuery()) {
      return rs.next() ? rs.getLong(1) : -1;
    } catch (SQLException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  private static StreamRow row(String from, String to, ResultSet rs) throws SQLException {
    return new StreamRow(from, to, rs.getLong(1), rs.getLong(2), rs.getLong(3),
        runs(rs.getBytes(4)));
  }

  private static byte[] runBytes(long[] runs) {
    ByteBuffer b = ByteBuffer.allocate(8 * runs.length);
    for (long v : runs) {
      b.putLong(v);
    }
    return b.array();
  }

  private static long[] runs(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    long[] out = new long[bytes.length / 8];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getLong();
    }
    return out;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return firstLine(root.getMessage() == null ? root.toString() : root.getMessage());
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}

package io.phoenix.stream.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.TestPostgres;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@link MessageLog} contract on a real PostgreSQL, and what opening refuses. */
class PostgresMessageLogTest extends MessageLogContract {
  private String url;

  @Override
  MessageLog create() throws Exception {
    url = TestPostgres.newDatabase();
    return open(url);
  }

  @Override
  MessageLog reopen() throws Exception {
    return open(url);
  }

  private static MessageLog open(String url) throws LogException {
    return PostgresMessageLog.open(url, TestPostgres.USER, TestPostgres.PASSWORD, 4);
  }

  private static List<String> tables(String url) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, TestPostgres.USER, TestPostgres.PASSWORD);
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables "
             + "WHERE table_schema = 'public' ORDER BY table_name")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static void execute(String url, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(url, TestPostgres.USER, TestPostgres.PASSWORD);
         Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void theSchemaIsCreatedOnce() throws Exception {
    assertEquals(List.of("phoenix_messages", "phoenix_meta", "phoenix_schema_history",
        "phoenix_streams"), tables(url));
  }

  @Test
  void aDatabaseWithOtherTablesIsRefusedAndLeftAlone() throws Exception {
    String other = TestPostgres.newDatabase();
    execute(other, "CREATE TABLE orders (id INT PRIMARY KEY)");
    LogException e = assertThrows(LogException.class, () -> open(other));
    assertTrue(e.getMessage().contains("give Phoenix a database of its own"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    assertEquals(List.of("orders"), tables(other), "nothing written to a foreign database");
  }

  @Test
  void aSchemaMigratedByANewerPhoenixIsRefused() throws Exception {
    log.close();
    execute(url, "INSERT INTO phoenix_schema_history (installed_rank, version, description, "
        + "type, script, checksum, installed_by, installed_on, execution_time, success) "
        + "VALUES (2, '2', 'future', 'SQL', 'V2__future.sql', 0, 'phoenix', now(), 1, true)");
    LogException e = assertThrows(LogException.class, () -> open(url));
    assertTrue(e.getMessage().contains("has schema version 2, newer than this node knows (1)"),
        e.getMessage());
    log = create();
  }

  @Test
  void aWrongPasswordAndAnUnreachableServerAreOneLineEach() throws Exception {
    LogException wrong = assertThrows(LogException.class,
        () -> PostgresMessageLog.open(url, TestPostgres.USER, "not-the-password", 2));
    assertTrue(wrong.getMessage().contains("password authentication failed"), wrong.getMessage());
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    LogException unreachable = assertThrows(LogException.class, () -> PostgresMessageLog.open(
        "jdbc:postgresql://127.0.0.1:" + closed + "/phoenix", "phoenix", "x", 2));
    assertTrue(unreachable.getMessage().startsWith("cannot connect to jdbc:postgresql://"),
        unreachable.getMessage());
    assertTrue(!unreachable.getMessage().contains("\n"), unreachable.getMessage());
  }

  /**
   * Two nodes sharing the database write the same streams' rows at once (the sender's node the
   * head, the recipient's node the DELIVERED position), each batch listing them in its own
   * order. Every commit goes through: rows are locked in one order, so the transactions never
   * deadlock (PostgreSQL would abort one of each deadlocked pair).
   */
  @Test
  void twoNodesWritingTheSameStreamsInOppositeOrdersDoNotDeadlock() throws Exception {
    MessageLog other = open(url);
    try {
      int streams = 16;
      int rounds = 150;
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (MessageLog writer : List.of(log, other)) {
          boolean ascending = writer == log;
          done.add(pool.submit(() -> {
            start.await();
            for (int round = 1; round <= rounds; round++) {
              List<MessageLog.StreamRow> rows = new ArrayList<>();
              for (int i = 0; i < streams; i++) {
                int s = ascending ? i : streams - 1 - i;
                rows.add(ascending
                    ? new MessageLog.StreamRow("from-" + s, "to-" + s, round, 0, 0, null)
                    : new MessageLog.StreamRow("from-" + s, "to-" + s, 0, round, 0, null));
              }
              writer.commit(List.of(), rows);
            }
            return null;
          }));
        }
        for (java.util.concurrent.Future<?> f : done) {
          f.get(120, java.util.concurrent.TimeUnit.SECONDS); // throws if a commit failed
        }
      } finally {
        pool.shutdownNow();
      }
      for (int i = 0; i < streams; i++) {
        MessageLog.StreamRow row = log.stream("from-" + i, "to-" + i);
        assertEquals(rounds, row.head());
        assertEquals(rounds, row.delivered());
      }
    } finally {
      other.close();
    }
  }
}

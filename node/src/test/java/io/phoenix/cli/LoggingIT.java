package io.phoenix.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log of the real artifact: with {@code PHOENIX_LOG_FORMAT=json} every stderr line is one
 * JSON object, and in both formats each session opening and closing is exactly one line, the
 * closing one with its reason. Skipped when the jar has not been built.
 */
class LoggingIT {
  static Vertx vertx;

  @TempDir
  Path dir;

  @BeforeAll
  static void requireJar() {
    assumeTrue(NodeProcess.jarExists(), "no target/phoenix.jar: build it with mvn package");
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() {
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  void jsonFormatWritesOneJsonObjectPerLine() throws Exception {
    List<String> lines;
    try (NodeProcess node = NodeProcess.start(dir, TestNode.config(),
        Map.of("PHOENIX_LOG_FORMAT", "json"))) {
      try (TestClient alice = TestClient.login(vertx, Transport.TCP, node, "json-alice", "phone")) {
        alice.barrier();
      }
      try (TestClient bob = TestClient.login(vertx, Transport.WS, node, "json-bob", "tab\"1")) {
        bob.sendText("not a frame");
        Goodbye bye = bob.expectGoodbye();
        assertEquals(400, bye.getStatusCode());
      }
      awaitInLog(node, "session closed eid=json-alice", "session closed eid=json-bob");
      assertEquals(0, node.terminate(), node::tail);
      lines = Files.readAllLines(node.log());
    }

    List<String> messages = new ArrayList<>();
    for (String line : lines) {
      JsonObject event;
      try {
        event = new JsonObject(line);
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON object: " + line, e);
      }
      for (String field : List.of("timestamp", "level", "threadName", "loggerName",
          "formattedMessage")) {
        assertTrue(event.containsKey(field), () -> "no " + field + " in " + line);
      }
      messages.add(event.getString("formattedMessage"));
    }
    assertTrue(messages.stream().anyMatch(m -> m.startsWith("starting node ")), messages::toString);
    assertTrue(messages.stream().anyMatch(m -> m.matches("node \\S+ stopped")), messages::toString);

    assertEquals("session opened eid=json-alice resource=phone transport=tcp",
        only(messages, "session opened eid=json-alice ").replaceAll(" remote=\\S+$", ""));
    assertEquals("session closed eid=json-alice resource=phone transport=tcp "
        + "reason=\"connection closed by peer\"", only(messages, "session closed eid=json-alice "));
    only(messages, "session opened eid=json-bob ");
    assertEquals("session closed eid=json-bob resource=tab\"1 transport=ws "
        + "reason=\"400 text messages are not frames: send binary\"",
        only(messages, "session closed eid=json-bob "));
  }

  /** A client-chosen resource with a line break cannot split a session line (or forge one). */
  @Test
  void textFormatKeepsEachSessionEventOnOneLine() throws Exception {
    List<String> lines;
    try (NodeProcess node = NodeProcess.start(dir, TestNode.config(),
        Map.of("PHOENIX_LOG_FORMAT", "text"))) {
      try (TestClient carol = TestClient.login(vertx, Transport.TCP, node, "text-carol",
          "desk\n12:00:00.000 INFO  [main] forged - session opened eid=mallory")) {
        carol.barrier();
      }
      awaitInLog(node, "session closed eid=text-carol");
      lines = Files.readAllLines(node.log());
    }
    String opened = only(lines, "session opened eid=text-carol ");
    assertTrue(opened.contains("resource=desk\\n12:00:00.000 INFO  [main] forged - session "
        + "opened eid=mallory transport=tcp remote="), opened);
    String closed = only(lines, "session closed eid=text-carol ");
    assertTrue(closed.endsWith(" reason=\"connection closed by peer\""), closed);
    assertTrue(lines.stream().noneMatch(l -> l.startsWith("12:00:00.000 INFO  [main] forged")),
        () -> String.join("\n", lines));
  }

  /**
   * A request whose path does not decode gets 400 and no stack trace in the log: anyone can
   * send one, and a node must not log an ERROR for each.
   */
  @Test
  void aPathThatDoesNotDecodeGets400WithoutAnErrorInTheLog() throws Exception {
    try (NodeProcess node = NodeProcess.start(dir, TestNode.config(),
        Map.of("PHOENIX_LOG_FORMAT", "text"))) {
      for (int i = 0; i < 3; i++) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", node.httpPort())) {
          s.setSoTimeout(10_000);
          s.getOutputStream().write(("GET /% HTTP/1.1\r\nhost: 127.0.0.1\r\n"
              + "connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          String answer = new String(s.getInputStream().readAllBytes(),
              java.nio.charset.StandardCharsets.ISO_8859_1);
          assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        }
      }
      String log = read(node.log());
      assertTrue(!log.contains("ERROR") && !log.contains("Unhandled exception"), log);
    }
  }

  private static void awaitInLog(NodeProcess node, String... texts) {
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      String log = read(node.log());
      for (String t : texts) {
        if (!log.contains(t)) {
          return false;
        }
      }
      return true;
    });
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }

  /** The one line (or message) containing {@code text}; fails on none or several. */
  private static String only(List<String> lines, String text) {
    List<String> found = lines.stream().filter(l -> l.contains(text)).toList();
    if (found.size() != 1) {
      fail("expected one line with \"" + text + "\", got " + found.size() + ":\n"
          + String.join("\n", lines));
    }
    return found.get(0);
  }
}

package io.phoenix.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.protocol.v1.Welcome;
import io.phoenix.testing.Jwt;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The operational contract of PROTOCOL.md §9 (and decisions.md 31, 32) on the real artifact:
 * {@code java -jar target/phoenix.jar} as a child process. The READY line, the token command,
 * clients of both transports served and told Goodbye 503 on SIGTERM with exit code 0, bad
 * configurations refused with one "config error:" line, and environment overrides.
 * Skipped when the jar has not been built ({@code mvn -DskipTests package}).
 */
class NodeProcessIT {
  private static final Path JAR = NodeProcess.JAR.toAbsolutePath();
  private static final String SECRET = "it-secret-0123456789abcdef0123456789abcdef";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  static Vertx vertx;

  @TempDir
  Path dir;
  private final List<Child> children = new ArrayList<>();

  @BeforeAll
  static void requireJar() {
    assumeTrue(Files.isRegularFile(JAR), "no " + JAR + ": build it with mvn -DskipTests package");
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() {
    if (vertx != null) {
      vertx.close();
    }
  }

  @AfterEach
  void stopChildren() {
    children.forEach(Child::kill);
  }

  @Test
  void nodeIsReadyServesTokenHoldersAndSaysGoodbye503OnSigterm() throws Exception {
    int tcp = TestNode.freePort();
    int http = TestNode.freePort();
    JsonObject config = config(tcp, http);
    String id = config.getJsonObject("node").getString("id");
    Path file = write("node.json", config.encodePrettily());
    // Vert.x's file cache of a node that was killed: removed by the next node to start
    Process gone = new ProcessBuilder("true").start();
    assertEquals(0, gone.waitFor());
    Files.createDirectories(tmp().resolve("phoenix-vertx-" + gone.pid() + "-killed/webroot"));

    Child node = launch(Map.of(), "node", "--config", file.toString());
    String ready = node.awaitStdoutLine(START_TIMEOUT);
    assertEquals("READY node=" + id + " tcp=" + tcp + " http=" + http, ready);
    assertEquals(List.of(), tempFiles(name -> name.endsWith("-killed")),
        "a killed node's file cache left in java.io.tmpdir");
    // the embedded store's native library is loaded from a copy removed at once, so that not
    // even a killed node leaves its 15 MB in the temporary directory
    assertEquals(List.of(), tempFiles(name -> name.startsWith("librocksdbjni")
        || name.startsWith("phoenix-rocksdb")), "left in java.io.tmpdir while running");

    Child tokenCommand = launch(Map.of(), "token", "--config", file.toString(), "alice");
    assertEquals(0, tokenCommand.awaitExit(Duration.ofSeconds(60)), tokenCommand::stderr);
    assertEquals(1, tokenCommand.stdout().size(), () -> "token stdout: " + tokenCommand.stdout());
    String token = tokenCommand.stdout().get(0);
    assertTrue(token.matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"),
        "not a JWT: " + token);

    List<TestClient> clients = new ArrayList<>();
    try {
      for (Transport t : Transport.values()) {
        TestClient c = TestClient.connect(vertx, t, "127.0.0.1", tcp, http, "/socket");
        clients.add(c);
        c.hello(token, "device-" + t);
        Welcome w = welcome(c.next());
        assertEquals("alice", w.getIdentity().getEid());
        assertEquals("device-" + t, w.getIdentity().getConnectionResourceId());
        assertEquals(id, w.getIdentity().getNode());
        assertPingPong(c);
      }

      node.process.destroy(); // SIGTERM
      for (TestClient c : clients) {
        assertEquals(503, c.expectGoodbye().getStatusCode(), c.transport() + " client");
      }
      assertEquals(0, node.awaitExit(Duration.ofSeconds(30)), node::stderr);
      assertEquals(List.of(ready), node.stdout(), "stdout must hold only the READY line");
      assertEquals(List.of(), tempFiles(name -> true), "left in java.io.tmpdir after the stop");
    } finally {
      clients.forEach(TestClient::close);
    }
  }

  enum BadConfig { INVALID_JSON, PORT_NOT_A_NUMBER, FRAME_LIMIT_TOO_SMALL, UNKNOWN_KEY,
    MISSING_FILE }

  @ParameterizedTest
  @EnumSource(BadConfig.class)
  void badConfigurationStopsTheNodeWithOneLineNamingTheKey(BadConfig bad) throws Exception {
    JsonObject config = config(TestNode.freePort(), TestNode.freePort());
    String name = "bad-" + bad.name().toLowerCase(Locale.ROOT) + ".json";
    String named = switch (bad) {
      case INVALID_JSON -> {
        String text = config.encodePrettily();
        write(name, text.substring(0, text.lastIndexOf('}'))); // unterminated object
        yield name;
      }
      case PORT_NOT_A_NUMBER -> {
        config.getJsonObject("tcp").put("port", "abc");
        write(name, config.encode());
        yield "tcp.port";
      }
      case FRAME_LIMIT_TOO_SMALL -> {
        config.getJsonObject("limits").put("maxFrameBytes", 12);
        write(name, config.encode());
        yield "limits.maxFrameBytes";
      }
      case UNKNOWN_KEY -> {
        config.getJsonObject("limits").put("maxFrameBites", 2048);
        write(name, config.encode());
        yield "limits.maxFrameBites";
      }
      case MISSING_FILE -> name; // never written
    };

    Child node = launch(Map.of(), "node", "--config", dir.resolve(name).toString());
    int exit = node.awaitExit(Duration.ofSeconds(30));
    assertEquals(2, exit, () -> "exit code; stderr: " + node.stderr());
    List<String> lines = node.stderrLines().stream().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), () -> "expected one line on stderr, got:\n" + node.stderr());
    String line = lines.get(0);
    assertTrue(line.startsWith("config error:"), line);
    assertTrue(line.contains(named), () -> "does not name " + named + ": " + line);
    assertFalse(line.contains("Exception"), line);
    assertTrue(node.stderrLines().stream().noneMatch(l -> l.strip().startsWith("at ")),
        node::stderr);
    assertEquals(List.of(), node.stdout(), "a refused configuration printed on stdout");
  }

  @Test
  void theImageConfigurationRefusesToStartWithoutASecret() throws Exception {
    // docker/node.json, as the image runs it: no secret in the file, none in the environment
    Path imageConfig = Path.of("..", "docker", "node.json").toAbsolutePath();
    Child node = launch(Map.of(), "node", "--config", imageConfig.toString());
    assertEquals(2, node.awaitExit(Duration.ofSeconds(30)), node::stderr);
    assertEquals(List.of("config error: auth.jwtSecret, auth.publicKeyFile or auth.jwksUrl must"
        + " be set (in the file, or with PHOENIX_AUTH_JWT_SECRET, PHOENIX_AUTH_PUBLIC_KEY_FILE or"
        + " PHOENIX_AUTH_JWKS_URL): without any of them no token can be checked"),
        node.stderrLines(), node::stderr);
    assertEquals(List.of(), node.stdout());
  }

  @Test
  void environmentOverridesTheConfiguredTcpPort() throws Exception {
    int configured = TestNode.freePort();
    int overridden = TestNode.freePort();
    int http = TestNode.freePort();
    JsonObject config = config(configured, http);
    String id = config.getJsonObject("node").getString("id");
    Path file = write("node.json", config.encode());

    Child node = launch(Map.of("PHOENIX_TCP_PORT", String.valueOf(overridden)),
        "node", "--config", file.toString());
    assertEquals("READY node=" + id + " tcp=" + overridden + " http=" + http,
        node.awaitStdoutLine(START_TIMEOUT));

    long now = Jwt.nowSeconds();
    String token = Jwt.hs256(SECRET, new JsonObject().put("sub", "bob").put("iss", "phoenix")
        .put("iat", now).put("exp", now + 600));
    try (TestClient c = TestClient.connect(vertx, Transport.TCP, "127.0.0.1", overridden, http,
        "/socket")) {
      c.hello(token, "r");
      assertEquals("bob", welcome(c.next()).getIdentity().getEid());
      assertPingPong(c);
    }
  }

  @Test
  void aHealthyStartLogsNoWarningTheClusterAndTheDashboardAddress() throws Exception {
    int http = TestNode.freePort();
    JsonObject config = config(TestNode.freePort(), http);
    String id = config.getJsonObject("node").getString("id");
    Child node = launch(Map.of(), "node", "--config", write("node.json", config.encode())
        .toString());
    node.awaitStdoutLine(START_TIMEOUT);
    String dashboard = "dashboard: http://127.0.0.1:" + http + "/";
    await().atMost(Duration.ofSeconds(30)).until(() -> node.stderr().contains(dashboard));
    node.process.destroy();
    assertEquals(0, node.awaitExit(Duration.ofSeconds(30)), node::stderr);
    List<String> log = node.stderrLines();
    assertTrue(log.stream().anyMatch(l -> l.endsWith(" - cluster: 1 member [" + id + "]")),
        node::stderr);
    assertTrue(log.stream().noneMatch(l -> l.contains(" WARN ") || l.contains(" ERROR ")),
        () -> "a healthy start warns about nothing:\n" + node.stderr());
  }

  enum Port { TCP, HTTP, CLUSTER, EVENT_BUS }

  @ParameterizedTest
  @EnumSource(Port.class)
  void aPortInUseIsNamedInOneLine(Port which) throws Exception {
    JsonObject config = config(TestNode.freePort(), TestNode.freePort());
    config.getJsonObject("cluster").put("eventBusPort", TestNode.freePort());
    String key = switch (which) {
      case TCP -> "tcp.port";
      case HTTP -> "http.port";
      case CLUSTER -> "cluster.port";
      case EVENT_BUS -> "cluster.eventBusPort";
    };
    int port = switch (which) {
      case TCP -> config.getJsonObject("tcp").getInteger("port");
      case HTTP -> config.getJsonObject("http").getInteger("port");
      case CLUSTER -> config.getJsonObject("cluster").getInteger("port");
      case EVENT_BUS -> config.getJsonObject("cluster").getInteger("eventBusPort");
    };
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", port));
      Child node = launch(Map.of(), "node", "--config",
          write("node.json", config.encode()).toString());
      assertEquals(1, node.awaitExit(Duration.ofSeconds(60)), node::stderr);
      assertEquals(List.of("node failed to start: " + key + " " + port + " is already in use (on "
          + "127.0.0.1): stop what listens there, or set another " + key), node.stderrLines());
      assertEquals(List.of(), node.stdout());
    }
  }

  @Test
  void aSecondNodeOnATakenClusterPortSaysSoInOneLine() throws Exception {
    JsonObject first = config(TestNode.freePort(), TestNode.freePort());
    Child running = launch(Map.of(), "node", "--config", write("first.json", first.encode())
        .toString());
    running.awaitStdoutLine(START_TIMEOUT);
    JsonObject second = config(TestNode.freePort(), TestNode.freePort());
    int clusterPort = first.getJsonObject("cluster").getInteger("port");
    second.getJsonObject("cluster").put("port", clusterPort)
        .put("name", first.getJsonObject("cluster").getString("name"))
        .put("members", first.getJsonObject("cluster").getJsonArray("members"));
    Child node = launch(Map.of(), "node", "--config", write("second.json", second.encode())
        .toString());
    assertEquals(1, node.awaitExit(Duration.ofSeconds(60)), node::stderr);
    assertEquals(List.of("node failed to start: cluster.port " + clusterPort + " is already in use"
        + " (on 127.0.0.1): stop what listens there, or set another cluster.port"),
        node.stderrLines());
  }

  @Test
  void aClusterHostOfAnotherMachineIsNamedInOneLine() throws Exception {
    JsonObject config = config(TestNode.freePort(), TestNode.freePort());
    int port = config.getJsonObject("cluster").getInteger("port");
    config.getJsonObject("cluster").put("host", "192.0.2.7") // TEST-NET-1, never local
        .put("members", new JsonArray().add("192.0.2.7:" + port));
    Child node = launch(Map.of(), "node", "--config", write("node.json", config.encode())
        .toString());
    assertEquals(1, node.awaitExit(Duration.ofSeconds(60)), node::stderr);
    assertEquals(List.of("node failed to start: cluster.host 192.0.2.7 is not an address of this "
        + "machine: cannot bind cluster.port " + port),
        node.stderrLines());
  }

  // ------------------------------------------------------------------ helpers

  private static JsonObject config(int tcpPort, int httpPort) {
    int clusterPort = TestNode.freePort();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    return new JsonObject()
        .put("node", new JsonObject().put("id", "it-" + suffix))
        .put("tcp", new JsonObject().put("host", "127.0.0.1").put("port", tcpPort))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPort)
            .put("webSocketPath", "/socket"))
        .put("auth", new JsonObject().put("jwtSecret", SECRET).put("issuer", "phoenix"))
        .put("cluster", new JsonObject().put("name", "it-" + UUID.randomUUID())
            .put("host", "127.0.0.1").put("port", clusterPort)
            .put("members", new JsonArray().add("127.0.0.1:" + clusterPort)))
        .put("limits", new JsonObject().put("maxFrameBytes", 65536));
  }

  /** What the children left in their temporary directory, by name. */
  private List<String> tempFiles(java.util.function.Predicate<String> which) throws IOException {
    try (var files = Files.list(tmp())) {
      return files.map(p -> p.getFileName().toString()).filter(which).sorted().toList();
    }
  }

  /** The children's {@code java.io.tmpdir}: a directory of this test's own. */
  private Path tmp() throws IOException {
    return Files.createDirectories(dir.resolve("tmp"));
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  /**
   * Starts {@code java -jar phoenix.jar ARGS} with a clean PHOENIX_* environment and a
   * temporary directory of this test's own.
   */
  private Child launch(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-Dhazelcast.phone.home.enabled=false", "-Djava.io.tmpdir=" + tmp(),
        "-jar", JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.toUpperCase(Locale.ROOT).startsWith("PHOENIX_")
        || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS")
        || k.equals("_JAVA_OPTIONS"));
    pb.environment().putAll(env);
    Child child = new Child(pb.start());
    children.add(child);
    return child;
  }

  private static void assertPingPong(TestClient c) {
    long stamp = System.nanoTime();
    c.send(Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(stamp)).build());
    Frame f = c.next();
    assertEquals(Frame.BodyCase.PONG, f.getBodyCase(), () -> "expected Pong, got " + f);
    assertEquals(stamp, f.getPong().getTimestamp());
  }

  private static Welcome welcome(Frame f) {
    assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), () -> "expected Welcome, got " + f);
    return f.getWelcome();
  }

  /** A child process whose stdout and stderr are read line by line on daemon threads. */
  private static final class Child {
    final Process process;
    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final List<String> out = Collections.synchronizedList(new ArrayList<>());
    private final List<String> err = Collections.synchronizedList(new ArrayList<>());
    private final Thread outReader;
    private final Thread errReader;

    Child(Process process) throws IOException {
      this.process = process;
      process.getOutputStream().close(); // nothing on stdin
      outReader = reader(process.getInputStream(), line -> {
        out.add(line);
        pending.add(line);
      });
      errReader = reader(process.getErrorStream(), err::add);
    }

    private static Thread reader(InputStream in, java.util.function.Consumer<String> sink) {
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(in, StandardCharsets.UTF_8))) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            sink.accept(line);
          }
        } catch (IOException e) {
          // the process is gone
        }
      }, "child-output");
      t.setDaemon(true);
      t.start();
      return t;
    }

    /** The next stdout line; fails if the process exits first or nothing comes in time. */
    String awaitStdoutLine(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        String line = pending.poll(200, TimeUnit.MILLISECONDS);
        if (line != null) {
          return line;
        }
        if (!process.isAlive()) {
          outReader.join(5_000);
          line = pending.poll();
          if (line != null) {
            return line;
          }
          fail("process exited (" + process.exitValue() + ") before printing; stderr:\n"
              + stderr());
        }
      }
      return fail("nothing on stdout within " + timeout + "; stderr:\n" + stderr());
    }

    /** Waits for the exit and for all output; returns the exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        fail("process still running after " + timeout + "; stderr:\n" + stderr());
      }
      outReader.join(10_000);
      errReader.join(10_000);
      return process.exitValue();
    }

    List<String> stdout() {
      synchronized (out) {
        return List.copyOf(out);
      }
    }

    List<String> stderrLines() {
      synchronized (err) {
        return List.copyOf(err);
      }
    }

    String stderr() {
      return String.join("\n", stderrLines());
    }

    void kill() {
      try {
        if (process.isAlive()) {
          process.destroy();
          if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
          }
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}

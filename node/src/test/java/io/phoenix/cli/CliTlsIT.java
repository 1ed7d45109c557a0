package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.JarCommand;
import io.phoenix.testing.JarCommand.Result;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPki;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code phoenix chat} and {@code phoenix bench}, run from the real jar, against a node whose
 * TCP and HTTP listeners use a self-signed certificate: with {@code --ca} (the certificate
 * itself) they work over {@code tls://} and {@code wss://}; without it they refuse with one line
 * naming the host and why, and print no stack trace. Skipped when the jar has not been built.
 */
class CliTlsIT {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static final long PROCESS_SECONDS = 90;

  @TempDir
  static Path dir;
  static TestNode node;
  static TestPki.Issued self;
  static Path config;
  static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(NodeProcess.jarExists(), "no target/phoenix.jar: build it with mvn package");
    self = TestPki.selfSigned(dir, "node", "localhost", "127.0.0.1");
    JsonObject json = TestNode.config().put("tls", new JsonObject().put("tcp", true)
        .put("http", true).put("certFile", self.cert().toString())
        .put("keyFile", self.key().toString()));
    json.getJsonObject("limits").put("messagesPerSecond", 100_000);
    node = nodes.start(json);
    config = Files.writeString(dir.resolve("node.json"), json.encode());
    vertx = nodes.vertx();
  }

  static String endpoint(String scheme) {
    return scheme.equals("tls") ? "tls://localhost:" + node.tcpPort()
        : "wss://localhost:" + node.httpPort() + "/socket";
  }

  /** Runs the jar with {@code input} on stdin; stdout and stderr together, line by line. */
  static Result run(String input, String... args) throws Exception {
    return JarCommand.run(dir, input, PROCESS_SECONDS, args);
  }

  static void assertNoStackTrace(Result r) {
    for (String l : r.lines()) {
      assertFalse(l.startsWith("\tat ") || l.contains("Exception"), () -> "stack trace in\n"
          + r.text());
    }
  }

  /** The one line explaining the refusal. */
  static String refusalLine(Result r, String host) {
    List<String> about = r.lines().stream().filter(l -> l.contains("not trusted")).toList();
    assertEquals(1, about.size(), () -> "one line about the certificate in\n" + r.text());
    assertTrue(about.get(0).contains("the certificate of " + host + " is not trusted: it is not"
        + " signed by a trusted CA"), about.get(0));
    assertNoStackTrace(r);
    return about.get(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tls", "wss"})
  void chatWorksWithCaAndRefusesWithoutIt(String scheme) throws Exception {
    String bob = "bob-cli-" + scheme;
    try (TestClient receiver = TestClient.connect(vertx, scheme.equals("tls") ? Transport.TCP
        : Transport.WS, "127.0.0.1", node.tcpPort(), node.httpPort(), "/socket",
        new io.vertx.core.net.PemTrustOptions().addCertPath(self.cert().toString()))) {
      receiver.hello(node.token(bob), "r1");
      assertEquals(Frame.BodyCase.WELCOME, receiver.next().getBodyCase());

      Result ok = run("hello over " + scheme + "\n", "chat", "--as", "alice-cli", "--to", bob,
          "--server", endpoint(scheme), "--ca", self.cert().toString(),
          "--config", config.toString());
      assertEquals(0, ok.exit(), ok::text);
      assertNoStackTrace(ok);
      Message m = receiver.nextMatching(f -> f.getBodyCase() == Frame.BodyCase.MESSAGE)
          .getMessage();
      assertEquals("hello over " + scheme, m.getPayload().toStringUtf8());
    }

    Result refused = run("never sent\n", "chat", "--as", "alice-cli", "--to", bob,
        "--server", endpoint(scheme), "--config", config.toString());
    assertEquals(1, refused.exit(), refused::text);
    int port = scheme.equals("tls") ? node.tcpPort() : node.httpPort();
    assertTrue(refusalLine(refused, "localhost:" + port).startsWith("* could not connect: "));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tls", "wss"})
  void benchWorksWithCaAndRefusesWithoutIt(String scheme) throws Exception {
    Result ok = run("", "bench", "--server", endpoint(scheme), "--ca", self.cert().toString(),
        "--config", config.toString(), "--connections", "2", "--rate", "20", "--warmup", "0",
        "--duration", "1", "--json", "--quiet");
    assertEquals(0, ok.exit(), ok::text);
    JsonObject summary = new JsonObject(ok.lines().stream().filter(l -> l.startsWith("{"))
        .findFirst().orElseThrow());
    assertEquals(scheme, summary.getString("transport"));
    assertEquals(0, summary.getLong("errorCount"), summary::encode);
    assertTrue(summary.getLong("accepted") > 0, summary::encode);

    Result refused = run("", "bench", "--server", endpoint(scheme), "--config", config.toString(),
        "--connections", "2", "--rate", "20", "--warmup", "0", "--duration", "1", "--quiet");
    assertEquals(1, refused.exit(), refused::text);
    int port = scheme.equals("tls") ? node.tcpPort() : node.httpPort();
    assertTrue(refusalLine(refused, "localhost:" + port).startsWith("bench failed: "));
  }

}

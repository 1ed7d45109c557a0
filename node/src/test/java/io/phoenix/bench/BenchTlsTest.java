package io.phoenix.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPki;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code phoenix bench} against a node whose TCP and HTTP ports have TLS (a self-signed
 * certificate, given with {@code --ca}): it reads the node's /metrics over https, whether it
 * learns that the HTTP port has TLS from a {@code wss://} server, from the configuration
 * ({@code tls.http}) or from {@code --metrics https://…}; a certificate it does not trust is
 * named in one line, as for its connections, and plain HTTP to that port says how to ask for
 * https.
 */
class BenchTlsTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  @TempDir
  static Path dir;
  static TestNode node;
  static TestPki.Issued self;
  static Path config;

  @BeforeAll
  static void start() throws IOException {
    self = TestPki.selfSigned(dir, "node", "localhost", "127.0.0.1");
    JsonObject json = TestNode.config().put("tls", new JsonObject().put("tcp", true)
        .put("http", true).put("certFile", self.cert().toString())
        .put("keyFile", self.key().toString()));
    json.getJsonObject("limits").put("messagesPerSecond", 100_000);
    node = nodes.start(json);
    // what the bench reads: the node's own settings with the ports it got
    json.getJsonObject("tcp").put("port", node.tcpPort());
    json.getJsonObject("http").put("port", node.httpPort());
    config = Files.writeString(dir.resolve("node.json"), json.encode());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"wss server", "tls config", "metrics https"})
  void theNodesMetricsAreReadOverHttps(String how) {
    List<String> args = new ArrayList<>(List.of("bench", "--ca", self.cert().toString(),
        "--connections", "2", "--rate", "20", "--warmup", "0", "--duration", "1", "--json",
        "--quiet"));
    switch (how) {
      case "wss server" -> args.addAll(List.of("--token-secret", TestNode.SECRET,
          "--server", "wss://localhost:" + node.httpPort() + "/socket"));
      case "tls config" -> args.addAll(List.of("--config", config.toString()));
      default -> args.addAll(List.of("--token-secret", TestNode.SECRET,
          "--server", "tls://localhost:" + node.tcpPort(),
          "--metrics", "https://localhost:" + node.httpPort()));
    }
    Map.Entry<Integer, String> r = BenchSmokeTest.bench(args.toArray(String[]::new));
    assertEquals(0, r.getKey(), r.getValue());
    List<String> rows = BenchSmokeTest.jsonLines(r.getValue());
    assertEquals(1, rows.size(), r.getValue());
    JsonObject s = new JsonObject(rows.get(0));
    assertEquals(0, s.getLong("errorCount"), s::encode);
    JsonObject n = s.getJsonObject("node");
    assertNull(n.getString("reason"), n::encode);
    assertEquals(true, n.getBoolean("available"), n::encode);
    assertTrue(n.getDouble("cpuCores") > 0, n::encode);
  }

  /** An idle run over TLS says so in its transport, as a messages run does: tls or wss. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tls", "wss"})
  void idleRowsNameTheTlsTransport(String scheme) {
    String server = scheme.equals("tls") ? "tls://localhost:" + node.tcpPort()
        : "wss://localhost:" + node.httpPort() + "/socket";
    Map.Entry<Integer, String> r = BenchSmokeTest.bench("bench", "--ca", self.cert().toString(),
        "--token-secret", TestNode.SECRET, "--server", server, "--idle", "2", "--warmup", "0",
        "--duration", "1", "--json", "--quiet");
    assertEquals(0, r.getKey(), r.getValue());
    List<String> rows = BenchSmokeTest.jsonLines(r.getValue());
    assertEquals(1, rows.size(), r.getValue());
    JsonObject s = new JsonObject(rows.get(0));
    assertEquals("idle", s.getString("mode"), s::encode);
    assertEquals(scheme, s.getString("transport"), s::encode);
    assertEquals(2, s.getLong("sessions"), s::encode);
    assertTrue(IdleRun.describe(s).startsWith(scheme.toUpperCase(java.util.Locale.ROOT)
        + " idle sessions: 2 open"), () -> IdleRun.describe(s));
  }

  /** Without the CA file the JVM's trust store decides, and it does not know the certificate. */
  @Test
  void anUntrustedCertificateIsNamedInOneLine() {
    BenchOptions o = new BenchOptions()
        .metrics(new BenchOptions.Server("127.0.0.1", node.httpPort()), true);
    NodeProbe probe = new NodeProbe(o, 0, Duration.ofSeconds(10));
    assertEquals("https", probe.uri().getScheme());
    IOException e = assertThrows(IOException.class, probe::sample);
    assertEquals("GET https://127.0.0.1:" + node.httpPort() + "/metrics failed: the certificate"
        + " of 127.0.0.1:" + node.httpPort() + " is not trusted: it is not signed by a trusted CA"
        + " (self-signed, or its CA is not in the trust store or the CA file)", e.getMessage());
  }

  /**
   * A configured port of 0 (the node picks one; CliTlsIT's configuration) names no port: the
   * figures are unreadable, the run is not failed.
   */
  @Test
  void portZeroMakesTheFiguresUnreadableNotTheRunFail() {
    BenchOptions o = new BenchOptions().metrics(new BenchOptions.Server("127.0.0.1", 0), true);
    assertThrows(IOException.class, new NodeProbe(o, 0, Duration.ofSeconds(10))::sample);
  }

  /** Plain HTTP to the TLS port gets no answer at all: the reason says how to ask for https. */
  @Test
  void plainHttpToTheTlsPortSaysHowToAskForHttps() {
    BenchOptions o = new BenchOptions()
        .metrics(new BenchOptions.Server("127.0.0.1", node.httpPort()));
    NodeProbe probe = new NodeProbe(o, 0, Duration.ofSeconds(10));
    IOException e = assertThrows(IOException.class, probe::sample);
    assertTrue(e.getMessage().startsWith("GET http://127.0.0.1:" + node.httpPort()
        + "/metrics failed: "), e.getMessage());
    assertTrue(e.getMessage().endsWith(" (if that port has TLS: --metrics https://127.0.0.1:"
        + node.httpPort() + ")"), e.getMessage());
  }
}

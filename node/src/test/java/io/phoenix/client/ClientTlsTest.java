package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PhoenixClient over {@code tls://} and {@code wss://} against real nodes whose certificates a
 * test CA issued: the chain and the host name are verified; a certificate from another CA, or
 * for another host, stops the client (FAILED) with one line naming the endpoint and why.
 */
class ClientTlsTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  @TempDir
  static Path dir;
  static TestPki ca;
  static TestPki stranger;
  static TestNode node;
  static TestNode misnamed;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    ca = TestPki.create(dir, "phoenix");
    stranger = TestPki.create(dir, "stranger");
    node = nodes.start(TestNode.config().put("tls", tls(ca.issue("node", "localhost",
        "127.0.0.1"))));
    misnamed = nodes.start(TestNode.config().put("tls", tls(ca.issue("misnamed",
        "other.example"))));
    vertx = nodes.vertx();
  }

  static JsonObject tls(TestPki.Issued leaf) {
    return new JsonObject().put("tcp", true).put("http", true)
        .put("certFile", leaf.cert().toString()).put("keyFile", leaf.key().toString());
  }

  @Test
  void tlsAndWssClientsVerifyTheNodeAndTalk() {
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient a = alice.builder(vertx, node.token("alice-tls"),
        "tls://localhost:" + node.tcpPort()).trustedCa(ca.caFile()).build();
    PhoenixClient b = bob.builder(vertx, node.token("bob-tls"),
        "wss://127.0.0.1:" + node.httpPort() + "/socket").trustedCa(ca.caFile()).build();
    try {
      assertEquals("alice-tls", await(a.connect()).getEid());
      assertEquals("bob-tls", await(b.connect()).getEid());
      assertEquals(200, await(a.send("bob-tls", "over tls")).getStatusCode());
      assertEquals("over tls", bob.nextMessage().getPayload().toStringUtf8());
      assertEquals(200, await(b.send("alice-tls", "over wss")).getStatusCode());
      assertEquals("over wss", alice.nextMessage().getPayload().toStringUtf8());
    } finally {
      await(a.close());
      await(b.close());
    }
  }

  /** The node's CA is not in the JVM's trust store, nor is it the CA the client was given. */
  @ParameterizedTest
  @ValueSource(strings = {"jvm", "stranger"})
  void aCertificateFromAnUntrustedCaStopsTheClient(String trust) {
    for (String endpoint : new String[] {"tls://127.0.0.1:" + node.tcpPort(),
        "wss://127.0.0.1:" + node.httpPort() + "/socket"}) {
      String reason = refusal(endpoint, trust.equals("jvm") ? null : stranger.caFile());
      assertTrue(reason.startsWith("the certificate of 127.0.0.1:"), reason);
      assertTrue(reason.contains(" is not trusted: it is not signed by a trusted CA"), reason);
    }
  }

  @Test
  void aCertificateForAnotherHostStopsTheClient() {
    for (String endpoint : new String[] {"tls://127.0.0.1:" + misnamed.tcpPort(),
        "wss://localhost:" + misnamed.httpPort() + "/socket"}) {
      String reason = refusal(endpoint, ca.caFile());
      assertTrue(reason.contains(" is not trusted: it is not issued for this host"), reason);
    }
  }

  /**
   * A connection closed before the handshake (a node at its connection limit with TLS on its
   * port closes new connections so, PROTOCOL item 8a; a node going down does too) is a loss to
   * retry, not a server to distrust: the client tries again, and connects once the endpoint
   * serves.
   */
  @Test
  void aConnectionClosedBeforeTheHandshakeIsRetriedNotDistrusted() throws Exception {
    java.util.concurrent.atomic.AtomicInteger closed =
        new java.util.concurrent.atomic.AtomicInteger();
    io.vertx.core.net.NetServer closing = vertx.createNetServer().connectHandler(so -> {
      closed.incrementAndGet();
      so.close();
    });
    int port = await(closing.listen(0, "127.0.0.1")).actualPort();
    NodeRecorder r = new NodeRecorder();
    PhoenixClient c = r.builder(vertx, node.token("dave"), "tls://127.0.0.1:" + port,
        "tls://127.0.0.1:" + node.tcpPort()).trustedCa(ca.caFile()).build();
    try {
      c.connect();
      StateChange lost = r.nextState(s -> s.state() != ConnectionState.CONNECTING);
      assertEquals(ConnectionState.RECONNECTING, lost.state(), lost::toString);
      assertTrue(closed.get() >= 1, "the closing endpoint was tried");
      // the next endpoint is the node: the same client connects there
      r.nextState(ConnectionState.CONNECTED);
      assertEquals(ConnectionState.CONNECTED, c.state());
    } finally {
      await(c.close());
      await(closing.close());
    }
  }

  @Test
  void aCaFileWithoutACertificateIsRefusedAtBuild() throws Exception {
    Path notPem = Files.writeString(dir.resolve("not-a-ca.pem"), "hello\n");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> PhoenixClient.builder(vertx).trustedCa(notPem));
    assertEquals("CA file " + notPem + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        e.getMessage());
  }

  /** Connects, expects FAILED at once (no retries), returns the one-line reason. */
  private static String refusal(String endpoint, Path caFile) {
    NodeRecorder r = new NodeRecorder();
    ClientBuilder b = r.builder(vertx, node.token("carol"), endpoint);
    if (caFile != null) {
      b.trustedCa(caFile);
    }
    PhoenixClient c = b.build();
    try {
      Throwable failure = Recorder.failure(c.connect());
      StateChange failed = r.nextState(ConnectionState.FAILED);
      assertEquals(ConnectionState.FAILED, c.state());
      String reason = failed.reason();
      assertFalse(reason.contains("\n"), reason);
      assertTrue(reason.startsWith("the certificate of "), reason);
      assertEquals("connection failed: " + reason, failure.getMessage());
      assertInstanceOf(IllegalStateException.class, failure);
      return reason;
    } finally {
      await(c.close());
    }
  }
}

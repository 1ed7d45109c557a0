package io.phoenix.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.config.ConfigLoader;
import io.phoenix.config.TlsOptions;
import io.phoenix.node.PhoenixNode;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TLS on both listeners of a real node: TLS over TCP and WSS clients talk to each other, a
 * plaintext client on a TLS port gets nothing, HTTPS serves the probes, and a bad certificate or
 * key is refused before any listener opens, with one line naming the file.
 */
class TlsTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  @TempDir
  static Path dir;
  static Path cert;
  static Path key;
  static TestNode node;
  static Vertx vertx;
  static PemTrustOptions trust;

  @BeforeAll
  static void start() throws IOException {
    Path[] pair = selfSigned("node");
    cert = pair[0];
    key = pair[1];
    trust = new PemTrustOptions().addCertPath(cert.toString());
    vertx = nodes.vertx();
    node = nodes.start(TestNode.config().put("tls", tls(cert, key)));
  }

  /** A fresh self-signed certificate for "localhost" and its key, as PEM files in {@link #dir}. */
  static Path[] selfSigned(String name) throws IOException {
    SelfSignedCertificate generated = SelfSignedCertificate.create("localhost");
    try {
      return new Path[] {
          Files.copy(Path.of(generated.certificatePath()), dir.resolve(name + "-cert.pem")),
          Files.copy(Path.of(generated.privateKeyPath()), dir.resolve(name + "-key.pem"))};
    } finally {
      generated.delete();
    }
  }

  static JsonObject tls(Path cert, Path key) {
    return new JsonObject().put("tcp", true).put("http", true)
        .put("certFile", cert.toString()).put("keyFile", key.toString());
  }

  static TestClient connectTls(Transport t) {
    return TestClient.connect(vertx, t, "127.0.0.1", node.tcpPort(), node.httpPort(), "/socket",
        trust);
  }

  static void login(TestClient c, String eid) {
    c.hello(node.token(eid), "r1");
    Frame f = c.next();
    assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), () -> "expected Welcome, got " + f);
  }

  static Message nextMessage(TestClient c) {
    return c.nextMatching(f -> f.getBodyCase() == Frame.BodyCase.MESSAGE).getMessage();
  }

  @Test
  void tlsTcpClientAndWssClientExchangeMessages() {
    try (TestClient alice = connectTls(Transport.TCP);
         TestClient bob = connectTls(Transport.WS)) {
      login(alice, "alice");
      login(bob, "bob");
      assertEquals(200, alice.sendAndAwaitAccepted(TestClient.message("m1", "bob").build())
          .getStatusCode());
      Message m = nextMessage(bob);
      assertEquals("m1", m.getMessageId());
      assertEquals("alice", m.getFrom().getEid());
      assertEquals("hello m1", m.getPayload().toStringUtf8());

      bob.send(TestClient.ack(AckMethod.DELIVERED, "m1", "alice", "bob",
          m.getPeer().getOffset()).build());
      assertEquals(200, bob.sendAndAwaitAccepted(TestClient.message("m2", "alice").build())
          .getStatusCode());
      assertEquals("m2", nextMessage(alice).getMessageId());
    }
  }

  @Test
  void plaintextClientsOnTlsPortsGetNothingAndTheNodeKeepsServing() {
    try (TestClient plain = TestClient.connect(vertx, Transport.TCP, "127.0.0.1", node.tcpPort(),
        node.httpPort(), "/socket")) {
      plain.hello(node.token("mallory"), "r1");
      plain.awaitClosed();
      assertEquals(List.of(), plain.drain(), "a plaintext client must get no frame");
    }
    AssertionError ws = assertThrows(AssertionError.class, () -> TestClient.connect(vertx,
        Transport.WS, "127.0.0.1", node.tcpPort(), node.httpPort(), "/socket"));
    assertTrue(ws.getMessage().contains("could not connect"), ws.getMessage());

    for (Transport t : Transport.values()) {
      try (TestClient carol = connectTls(t)) {
        login(carol, "carol-" + t);
        assertEquals(List.of(), carol.barrier());
      }
    }
  }

  @Test
  void probesAnswerOverHttps() throws Exception {
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
        .setTrustOptions(trust).setVerifyHost(false));
    try {
      String answer = http.request(HttpMethod.GET, node.httpPort(), "127.0.0.1", "/health/live")
          .compose(req -> req.send())
          .compose(resp -> resp.body().map(body -> resp.statusCode() + " " + body))
          .await(10, TimeUnit.SECONDS);
      assertEquals("200 " + new JsonObject().put("status", "UP").encode(), answer);
    } finally {
      http.close();
    }
  }

  /** Both ports present the configured certificate; TLS 1.2 and 1.3 are both accepted. */
  @ParameterizedTest
  @CsvSource({"TCP, TLSv1.2", "TCP, TLSv1.3", "WS, TLSv1.2", "WS, TLSv1.3"})
  void bothPortsServeTheCertificateOverModernTls(Transport t, String protocol) throws Exception {
    NetClient client = vertx.createNetClient(new NetClientOptions().setSsl(true)
        .setTrustOptions(trust).setHostnameVerificationAlgorithm("")
        .setEnabledSecureTransportProtocols(Set.of(protocol)));
    try {
      int port = t == Transport.TCP ? node.tcpPort() : node.httpPort();
      NetSocket socket = client.connect(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
      SSLSession session = socket.sslSession();
      assertEquals(protocol, session.getProtocol());
      assertEquals(certificate(cert), session.getPeerCertificates()[0]);
      socket.close();
    } finally {
      client.close();
    }
  }

  static Certificate certificate(Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  // ------------------------------------------------------------- bad certificate or key

  static String refusal(Path certFile, Path keyFile) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ServerTls.check(
        vertx, new TlsOptions(true, false, certFile.toString(), keyFile.toString())));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertEquals(null, e.getCause(), "the message alone must explain the refusal");
    return e.getMessage();
  }

  @Test
  void theGeneratedPairPassesTheCheck() {
    ServerTls.check(vertx, new TlsOptions(true, true, cert.toString(), key.toString()));
  }

  @Test
  void keyOfAnotherCertificateIsRefused() throws IOException {
    Path otherKey = selfSigned("other")[1];
    assertEquals("tls.keyFile " + otherKey + " is not the private key of the certificate in "
        + "tls.certFile " + cert, refusal(cert, otherKey));
  }

  @Test
  void certificateFileWithoutACertificateIsRefused() throws IOException {
    Path notPem = Files.writeString(dir.resolve("not-a-cert.pem"), "hello\n");
    assertEquals("tls.certFile " + notPem
        + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)", refusal(notPem, key));
    // the files swapped: the key where the certificate belongs
    assertTrue(refusal(key, cert).startsWith("tls.certFile " + key + " holds no PEM certificate"));
  }

  @Test
  void truncatedCertificateIsRefused() throws IOException {
    List<String> lines = Files.readAllLines(cert);
    List<String> truncated = new java.util.ArrayList<>(lines.subList(0, lines.size() / 2));
    truncated.add("-----END CERTIFICATE-----");
    Path damaged = Files.write(dir.resolve("truncated-cert.pem"), truncated);
    assertTrue(refusal(damaged, key).startsWith("tls.certFile " + damaged
        + " is not a valid PEM certificate: "), () -> refusal(damaged, key));
  }

  @Test
  void keyFileWithoutAKeyIsRefused() throws IOException {
    Path notKey = Files.writeString(dir.resolve("not-a-key.pem"), "not a key\n");
    assertTrue(refusal(cert, notKey).startsWith("tls.keyFile " + notKey
        + " is not a usable PEM private key: "), () -> refusal(cert, notKey));
    // the certificate given as the key
    assertTrue(refusal(cert, cert).startsWith("tls.keyFile " + cert
        + " is not a usable PEM private key: "), () -> refusal(cert, cert));
  }

  @Test
  void emptyFilesAreRefused() throws IOException {
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertEquals("tls.certFile " + empty + " is empty", refusal(empty, key));
    assertEquals("tls.keyFile " + empty + " is empty", refusal(cert, empty));
  }

  /** Through a real node start: the node does not start and says why, in one line. */
  @Test
  void nodeWithAMismatchedKeyDoesNotStart() throws Exception {
    Path otherKey = selfSigned("stranger")[1];
    PhoenixNode refused = new PhoenixNode(ConfigLoader.fromJson(
        TestNode.config().put("tls", tls(cert, otherKey))));
    try {
      Exception e = assertThrows(Exception.class, () -> refused.start().await(60, TimeUnit.SECONDS));
      assertEquals("tls.keyFile " + otherKey + " is not the private key of the certificate in "
          + "tls.certFile " + cert, e.getMessage());
      assertEquals(null, e.getCause());
    } finally {
      refused.stop(Duration.ofSeconds(30));
    }
  }
}

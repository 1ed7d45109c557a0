package io.phoenix.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.config.ConfigException;
import io.phoenix.config.ConfigLoader;
import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.MessageSignature;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPki;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Three members with {@code cluster.tls}: the event bus speaks only TLS with mutual
 * authentication, messages (signed ones included, byte for byte) cross nodes over it, and a
 * fourth process that joins the Hazelcast cluster with a certificate from another CA exchanges
 * no event-bus message with them, either way.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTlsTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  @TempDir
  static Path dir;
  static TestPki ca;
  static List<JsonObject> configs;
  static TestNode n1;
  static TestNode n2;
  static TestNode n3;
  static int busPort;
  static Vertx vertx;

  static JsonObject secure(JsonObject config, TestPki pki, String name) {
    TestPki.Issued member = pki.issue(name, "127.0.0.1", "localhost");
    config.getJsonObject("cluster").put("tls", true);
    config.put("tls", new JsonObject().put("certFile", member.cert().toString())
        .put("keyFile", member.key().toString()).put("caFile", pki.caFile().toString()));
    config.getJsonObject("limits").put("messagesPerSecond", 100_000);
    return config;
  }

  @BeforeAll
  static void start() {
    ca = TestPki.create(dir, "cluster");
    configs = TestNode.clusterConfigs(4);
    busPort = TestNode.freePort();
    configs.get(0).getJsonObject("cluster").put("eventBusPort", busPort);
    n1 = nodes.start(secure(configs.get(0), ca, "m1"));
    n2 = nodes.start(secure(configs.get(1), ca, "m2"));
    n3 = nodes.start(secure(configs.get(2), ca, "m3"));
    vertx = nodes.vertx();
  }

  @Test
  @Order(1)
  void theEventBusPortSpeaksOnlyTlsAndOnlyToMembers() throws Exception {
    NetClient plain = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5000));
    NetClient noCertificate = vertx.createNetClient(new NetClientOptions().setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.caFile().toString()))
        .setHostnameVerificationAlgorithm("").setConnectTimeout(5000));
    try {
      for (NetClient client : new NetClient[] {plain, noCertificate}) {
        CountDownLatch closed = new CountDownLatch(1);
        NetSocket s;
        try {
          s = client.connect(busPort, "127.0.0.1").await(10, TimeUnit.SECONDS);
        } catch (Exception handshakeRefused) {
          // refused during the handshake: nothing exchanged. Only a TLS client can be: the
          // plain one reaching the port is what shows that something listens there
          assertSame(noCertificate, client, "nothing listens on the event-bus port "
              + busPort + ": " + handshakeRefused);
          continue;
        }
        s.closeHandler(v -> closed.countDown());
        s.write("not a member speaking\r\n\r\n".repeat(20));
        assertTrue(closed.await(15, TimeUnit.SECONDS), "a client without a member certificate"
            + " must be disconnected");
      }
    } finally {
      plain.close();
      noCertificate.close();
    }
  }

  @ParameterizedTest
  @CsvSource({"Ed25519, TCP", "P-256, WS"})
  @Order(2)
  void signedMessagesCrossNodesOverTlsByteForByte(String curve, Transport t) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(curve.equals("Ed25519") ? "Ed25519" : "EC");
    if (!curve.equals("Ed25519")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    }
    DeviceKey key = DeviceKey.of(g.generateKeyPair().getPrivate());
    String a = "alice-ctls-" + curve;
    String b = "bob-ctls-" + curve;
    try (TestClient alice = login(n1, t, n1.token(a, key.jwk()));
         TestClient bob = login(n3, t, n3.token(b));
         TestClient bobTablet = login(n2, t, n2.token(b), "tablet")) {
      Message.Builder m = TestClient.message("s1", b);
      Message good = m.setSignature(key.sign(m.buildPartial(), a)).build();
      assertEquals(200, alice.sendAndAwaitAccepted(good).getStatusCode());
      for (TestClient device : new TestClient[] {bob, bobTablet}) {
        Message got = device.nextMessage();
        assertEquals("s1", got.getMessageId());
        assertEquals(good.getSignature(), got.getSignature(), "byte for byte across nodes");
        assertTrue(MessageSignature.verify(got, a, key.publicKey()));
      }
      Message forged = good.toBuilder().setMessageId("s2").build();
      assertEquals(401, alice.sendAndAwaitAccepted(forged).getStatusCode());
      assertEquals(List.of(), bob.barrier());
      assertEquals(List.of(), bobTablet.barrier());
    }
  }

  @Test
  @Order(3)
  void aMemberWithoutATrustedCertificateExchangesNoEventBusMessage() throws Exception {
    TestPki other = TestPki.create(dir, "other");
    TestNode intruder = TestNode.start(secure(configs.get(3), other, "intruder"));
    try {
      await().atMost(Duration.ofSeconds(30)).until(() ->
          n1.node().clusterMembers() == 4 && intruder.node().clusterMembers() == 4);
      List<String> onMember = new CopyOnWriteArrayList<>();
      List<String> onIntruder = new CopyOnWriteArrayList<>();
      MessageConsumer<String> memberProbe = n1.node().vertx().eventBus()
          .<String>consumer("phoenix.test.member-probe", msg -> {
            onMember.add(msg.body());
            msg.reply("ok");
          });
      MessageConsumer<String> intruderProbe = intruder.node().vertx().eventBus()
          .<String>consumer("phoenix.test.intruder-probe", msg -> {
            onIntruder.add(msg.body());
            msg.reply("ok");
          });
      memberProbe.completion().await(10, TimeUnit.SECONDS);
      intruderProbe.completion().await(10, TimeUnit.SECONDS);

      // a trusted member gets through (over TLS)
      assertEquals("ok", n2.node().vertx().eventBus().<String>request(
          "phoenix.test.member-probe", "from m2").await(10, TimeUnit.SECONDS).body());
      // the intruder knows the addresses (Hazelcast told it) but cannot deliver or receive
      assertFails(intruder.node().vertx(), "phoenix.test.member-probe", "from intruder");
      assertFails(intruder.node().vertx(), "phoenix.node." + n1.id(), "forged frame");
      assertFails(n3.node().vertx(), "phoenix.test.intruder-probe", "from m3");
      assertEquals(List.of("from m2"), onMember);
      assertEquals(List.of(), onIntruder);

      // and a chat message between trusted members still crosses
      try (TestClient alice = login(n1, Transport.TCP, n1.token("alice-after"));
           TestClient bob = login(n2, Transport.TCP, n2.token("bob-after"))) {
        assertEquals(200, alice.sendAndAwaitAccepted(TestClient.message("after", "bob-after")
            .build()).getStatusCode());
        assertEquals("after", bob.nextMessage().getMessageId());
      }
    } finally {
      intruder.close();
    }
  }

  @Test
  @Order(4)
  void clusterTlsNeedsCertificateKeyAndCa() {
    JsonObject config = TestNode.config();
    config.getJsonObject("cluster").put("tls", true);
    assertEquals("config error: tls.certFile is required when cluster.tls is true",
        assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(config)).getMessage());
    TestPki.Issued m = ca.issue("lonely", "127.0.0.1");
    config.put("tls", new JsonObject().put("certFile", m.cert().toString())
        .put("keyFile", m.key().toString()));
    assertEquals("config error: tls.caFile is required when cluster.tls is true",
        assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(config)).getMessage());
    config.getJsonObject("tls").put("caFile", dir.resolve("missing.pem").toString());
    assertEquals("config error: tls.caFile cannot be read: " + dir.resolve("missing.pem"),
        assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(config)).getMessage());
  }

  static void assertFails(Vertx from, String address, String body) {
    Exception e = assertThrows(Exception.class, () -> from.eventBus().request(address, body,
        new DeliveryOptions().setSendTimeout(3000)).await(20, TimeUnit.SECONDS));
    assertNotNull(e.getMessage());
  }

  static TestClient login(TestNode n, Transport t, String token) {
    return login(n, t, token, "r");
  }

  static TestClient login(TestNode n, Transport t, String token, String resource) {
    TestClient c = TestClient.connect(vertx, t, n);
    c.hello(token, resource);
    Frame f = c.next();
    assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), f::toString);
    return c;
  }
}

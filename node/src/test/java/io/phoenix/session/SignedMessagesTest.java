package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.MessageSignature;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Http;
import io.phoenix.testing.Jwt;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Messages signed with the device key a token binds (PROTOCOL.md §10), on a real node, for
 * Ed25519 and P-256 over TCP and WebSocket: every row of §10's table, the signature reaching the
 * recipient byte for byte (pushed and pulled), unsupported {@code cnf} keys refused at Hello,
 * and a session's signed messages answered and delivered in the order they were sent.
 */
class SignedMessagesTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static TestNode strict;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("messagesPerSecond", 100_000);
    node = nodes.start(config);
    JsonObject strictConfig = TestNode.config();
    strictConfig.getJsonObject("auth").put("requireKeyBinding", true);
    strict = nodes.start(strictConfig);
    vertx = nodes.vertx();
  }

  static DeviceKey newKey(String curve) {
    try {
      KeyPairGenerator g;
      if (curve.equals("Ed25519")) {
        g = KeyPairGenerator.getInstance("Ed25519");
      } else {
        g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
      }
      return DeviceKey.of(g.generateKeyPair().getPrivate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Arguments> curvesAndTransports() {
    List<Arguments> out = new ArrayList<>();
    for (String curve : new String[] {"Ed25519", "P-256"}) {
      for (Transport t : Transport.values()) {
        out.add(Arguments.of(curve, t));
      }
    }
    return out.stream();
  }

  static TestClient login(TestNode n, Transport t, String token, String resource) {
    TestClient c = TestClient.connect(vertx, t, n);
    c.hello(token, resource);
    Frame f = c.next();
    assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), () -> "expected Welcome, got " + f);
    return c;
  }

  static Message signed(DeviceKey key, String signer, Message.Builder m) {
    return m.setSignature(key.sign(m.buildPartial(), signer)).build();
  }

  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("curvesAndTransports")
  void everyRowOfTheTable(String curve, Transport t) {
    DeviceKey key = newKey(curve);
    String a = "alice-" + curve + "-" + t;
    String b = "bob-" + curve + "-" + t;
    try (TestClient alice = login(node, t, node.token(a, key.jwk()), "phone");
         TestClient bob = login(node, t, node.token(b), "laptop")) {
      // bound key, signature verifies: as usual, and the recipient gets it byte for byte
      Message good = signed(key, a, TestClient.message("m1", b));
      assertEquals(200, alice.sendAndAwaitAccepted(good).getStatusCode());
      Message pushed = bob.nextMessage();
      assertEquals("m1", pushed.getMessageId());
      assertEquals(good.getSignature(), pushed.getSignature());
      assertTrue(MessageSignature.verify(pushed, pushed.getFrom().getEid(), key.publicKey()),
          "the recipient can verify the signature itself");
      assertEquals(208, alice.sendAndAwaitAccepted(good).getStatusCode(), "a retry");

      // from set explicitly to oneself, and an encrypted body: signed the same way
      Message explicit = signed(key, a, TestClient.message("m2", b).setFrom(Identity.newBuilder()
          .setEid(a)).clearPayload().setEncryptionType("E2E").setEncrypted("c2VjcmV0"));
      assertEquals(200, alice.sendAndAwaitAccepted(explicit).getStatusCode());
      assertEquals(explicit.getSignature(), bob.nextMessage().getSignature());

      // bound key, signature set and wrong: 401, nothing stored or forwarded
      Message.Builder tampered = good.toBuilder().setMessageId("m3");
      assertEquals(401, alice.sendAndAwaitAccepted(tampered.build()).getStatusCode());
      Message otherKey = signed(newKey(curve), a, TestClient.message("m4", b));
      assertEquals(401, alice.sendAndAwaitAccepted(otherKey).getStatusCode());
      Message otherSender = signed(key, "someone-else", TestClient.message("m5", b));
      assertEquals(401, alice.sendAndAwaitAccepted(otherSender).getStatusCode());
      Message garbage = TestClient.message("m6", b).setSignature(Base64.getEncoder()
          .encodeToString(new byte[64])).build();
      assertEquals(401, alice.sendAndAwaitAccepted(garbage).getStatusCode());
      Message shortSig = TestClient.message("m7", b).setSignature("AAAA").build();
      assertEquals(401, alice.sendAndAwaitAccepted(shortSig).getStatusCode());
      // bound key, signature empty: 401
      assertEquals(401, alice.sendAndAwaitAccepted(TestClient.message("m8", b).build())
          .getStatusCode());
      // not base64 at all: 400, as §5 says, before any signature check
      assertEquals(400, alice.sendAndAwaitAccepted(TestClient.message("m9", b)
          .setSignature("not base64!").build()).getStatusCode());
      assertEquals(List.of(), bob.barrier(), "nothing refused reaches the recipient");

      // the stored message keeps its signature: a pull returns it byte for byte
      bob.send(TestClient.ack(AckMethod.PULL_REQUEST, "p1", a, b, 0).build());
      Message pulled = bob.nextMessage();
      assertEquals("m1", pulled.getMessageId());
      assertEquals(good.getSignature(), pulled.getSignature());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"TCP", "WS"})
  void withoutABoundKeyASignatureIsPassedThroughUnchecked(Transport t) {
    String a = "plain-alice-" + t;
    String b = "plain-bob-" + t;
    try (TestClient alice = login(node, t, node.token(a), "r");
         TestClient bob = login(node, t, node.token(b), "r")) {
      String signature = Base64.getEncoder().encodeToString("any bytes at all".getBytes());
      Message m = TestClient.message("u1", b).setSignature(signature).build();
      assertEquals(200, alice.sendAndAwaitAccepted(m).getStatusCode());
      assertEquals(signature, bob.nextMessage().getSignature());
    }
  }

  @Test
  void requireKeyBindingRefusesATokenWithoutCnfAtHello() {
    for (Transport t : Transport.values()) {
      try (TestClient c = TestClient.connect(vertx, t, strict)) {
        c.hello(strict.token("unbound-" + t), "r");
        assertEquals(401, c.expectGoodbye().getStatusCode());
      }
      DeviceKey key = newKey("Ed25519");
      String a = "bound-" + t;
      try (TestClient alice = login(strict, t, strict.token(a, key.jwk()), "r")) {
        assertEquals(404, alice.sendAndAwaitAccepted(signed(key, a, TestClient.message("d1",
            "nobody").setType(2))).getStatusCode(), "a signed DEVICE message to nobody online");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"jwk\":{\"kty\":\"RSA\",\"n\":\"sXch\",\"e\":\"AQAB\"}}",
      "{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"AAAA\"}}",
      "{\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AAAA\"}}",
      "{\"jwk\":{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"9GXjPGGvmRq9F6Ng5dQQ_s31mfhxrcNZxRGONrmH30k\"}}",
      "{\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}}",
      "{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"Ag\"}}",
      "{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
          + "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
          + "\"y\":\"x_FEzRu9m37HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}}",
      "{\"jwk\":\"not an object\"}",
      "{\"jkt\":\"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs\"}",
      "{\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
          + "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
          + "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}}"})
  void anUnsupportedCnfIsRefusedAtHelloAndTheNodeServesOthers(String cnf) {
    String token = Jwt.hs256(TestNode.SECRET, new JsonObject().put("sub", "odd").put("iss",
        "phoenix").put("exp", Jwt.nowSeconds() + 600).put("cnf", new JsonObject(cnf)));
    try (TestClient c = TestClient.connect(vertx, Transport.TCP, node)) {
      c.hello(token, "r");
      assertEquals(401, c.expectGoodbye().getStatusCode());
    }
    String notAnObject = Jwt.hs256(TestNode.SECRET, new JsonObject().put("sub", "odd")
        .put("iss", "phoenix").put("cnf", "a string"));
    try (TestClient c = TestClient.connect(vertx, Transport.WS, node)) {
      c.hello(notAnObject, "r");
      assertEquals(401, c.expectGoodbye().getStatusCode());
    }
    try (TestClient fine = login(node, Transport.TCP, node.token("fine"), "r")) {
      assertEquals(List.of(), fine.barrier());
    }
  }

  /**
   * {@code "cnf": null} is a cnf claim that holds no key: refused at Hello like any other
   * unsupported one, not taken for a token that binds nothing (whose session may send
   * unsigned messages). Checked for an HS256 token and for an ES256 token of a key file.
   */
  @Test
  void aCnfThatIsNullIsRefusedAtHello(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    String hs = "{\"sub\":\"null-cnf\",\"iss\":\"phoenix\",\"exp\":" + (Jwt.nowSeconds() + 600)
        + ",\"cnf\":null}";
    try (TestClient c = TestClient.connect(vertx, Transport.TCP, node)) {
      c.hello(Jwt.hs256(TestNode.SECRET, new JsonObject().put("alg", "HS256"), hs), "r");
      Frame f = c.next();
      assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), f::toString);
      assertEquals(401, f.getGoodbye().getStatusCode());
      assertEquals("invalid token: cnf must hold a jwk (an Ed25519 or P-256 public key)",
          f.getGoodbye().getReason());
    }
    com.nimbusds.jose.jwk.ECKey idpKey = io.phoenix.testing.TestIdp.ec(null);
    JsonObject config = TestNode.config();
    config.getJsonObject("auth").put("publicKeyFile", io.phoenix.testing.TestIdp.pemFile(
        dir.resolve("idp.pem"), idpKey).toString()).put("issuer", "");
    try (TestNode idpNode = TestNode.start(config);
         TestClient c = TestClient.connect(vertx, Transport.WS, idpNode)) {
      // signed as text: nimbus's own claims set would leave a null claim out
      com.nimbusds.jose.JWSObject es = new com.nimbusds.jose.JWSObject(
          new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.ES256),
          new com.nimbusds.jose.Payload(hs));
      es.sign(new com.nimbusds.jose.crypto.ECDSASigner(idpKey));
      c.hello(es.serialize(), "r");
      Frame f = c.next();
      assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), f::toString);
      assertEquals(401, f.getGoodbye().getStatusCode());
    }
  }

  /**
   * An Ed25519 "public key" of small order (the neutral point, and the points of order 2, 4 and
   * 8) has no private key: with it, the signature R = neutral point, S = 0 verifies for every
   * message, so anyone holding the token could send. Such a key, a non-canonical encoding and
   * bytes that are no point of the curve are not a usable key: Goodbye 401 at Hello.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "0100000000000000000000000000000000000000000000000000000000000000", // neutral, order 1
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
      "0000000000000000000000000000000000000000000000000000000000000000", // order 4
      "0000000000000000000000000000000000000000000000000000000000000080", // order 4
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1
      "0200000000000000000000000000000000000000000000000000000000000000"}) // no point: y = 2
  void anEd25519KeyThatNoPrivateKeyMatchesIsRefusedAtHello(String hex) {
    byte[] x = java.util.HexFormat.of().parseHex(hex);
    JsonObject jwk = new JsonObject().put("kty", "OKP").put("crv", "Ed25519")
        .put("x", Base64.getUrlEncoder().withoutPadding().encodeToString(x));
    String a = "small-" + hex.substring(0, 8);
    for (Transport t : Transport.values()) {
      try (TestClient c = TestClient.connect(vertx, t, node)) {
        c.hello(node.token(a, jwk), "r");
        Frame f = c.next();
        if (f.hasWelcome()) { // show what such a session could do before failing
          byte[] neutralR = new byte[64];
          neutralR[0] = 1;
          int status = c.sendAndAwaitAccepted(TestClient.message("forged", "victim")
              .setSignature(Base64.getEncoder().encodeToString(neutralR)).build())
              .getStatusCode();
          throw new AssertionError("welcomed with x=" + hex + " over " + t
              + "; a message with a forged signature got " + status);
        }
        assertEquals(401, f.getGoodbye().getStatusCode(), f::toString);
        assertTrue(f.getGoodbye().getReason().startsWith("invalid token: cnf"), f::toString);
      }
    }
    try (TestClient fine = login(node, Transport.TCP, node.token("fine"), "r")) {
      assertEquals(List.of(), fine.barrier());
    }
  }

  /**
   * Signatures are verified off the event loop, several at once: answers and deliveries must
   * still follow the order the messages were sent, through the pause when too many wait.
   */
  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("curvesAndTransports")
  void answersAndDeliveriesKeepTheSendingOrder(String curve, Transport t) {
    DeviceKey key = newKey(curve);
    String a = "order-alice-" + curve + "-" + t;
    String b = "order-bob-" + curve + "-" + t;
    int n = 400;
    List<Integer> expected = new ArrayList<>();
    List<String> expectedDelivered = new ArrayList<>();
    try (TestClient alice = login(node, t, node.token(a, key.jwk()), "r");
         TestClient bob = login(node, t, node.token(b), "r")) {
      for (int i = 0; i < n; i++) {
        Message.Builder m = TestClient.message("o" + i, b);
        Message out;
        if (i % 7 == 3) {
          out = m.build(); // unsigned: 401 at once, no worker
          expected.add(401);
        } else if (i % 11 == 5) {
          out = m.setSignature(Base64.getEncoder().encodeToString(new byte[64])).build();
          expected.add(401);
        } else if (i % 13 == 9) {
          out = signed(key, a, m.setType(7)); // signed, but a bad type: 400, not verified
          expected.add(400);
        } else {
          out = signed(key, a, m);
          expected.add(200);
          expectedDelivered.add("o" + i);
        }
        alice.send(out);
      }
      List<String> answered = new ArrayList<>();
      List<Integer> statuses = new ArrayList<>();
      java.util.Map<String, Integer> statusOf = new java.util.HashMap<>();
      while (answered.size() < n) {
        MessagePeerAckSignal ack = alice.nextMatching(f -> f.hasAck()).getAck();
        assertEquals(AckMethod.ACCEPTED_VALUE, ack.getMethod(), ack::toString);
        answered.add(ack.getMessageId());
        statusOf.put(ack.getMessageId(), ack.getStatusCode());
      }
      for (int i = 0; i < n; i++) {
        statuses.add(statusOf.get("o" + i));
      }
      assertEquals(expected, statuses, "each message's answer");
      List<String> sent = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sent.add("o" + i);
      }
      assertEquals(sent, answered, "answers in the order of sending, refusals included");
      List<String> delivered = new ArrayList<>();
      long lastOffset = 0;
      while (delivered.size() < expectedDelivered.size()) {
        Message m = bob.nextMessage();
        assertTrue(m.getPeer().getOffset() > lastOffset, "offsets increase");
        lastOffset = m.getPeer().getOffset();
        delivered.add(m.getMessageId());
      }
      assertEquals(expectedDelivered, delivered, "deliveries in the order of sending");
    }
  }

  /**
   * The checks before the signature's run as each message arrives, and what they refuse is not
   * verified: a session sending signed messages back to back, far over its rate limit, has the
   * excess answered 429 and a signed message of a bad type answered 400, and the node verified
   * exactly the messages it accepted ({@code phoenix_signatures_verified_total}). A flood
   * costs the verifier threads what the rate limit lets through, not what was sent.
   */
  @Test
  void messagesRefusedBeforeTheirSignatureAreNotVerified() throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("messagesPerSecond", 10);
    DeviceKey key = newKey("Ed25519");
    try (TestNode limited = TestNode.start(config);
         TestClient alice = login(limited, Transport.TCP,
             limited.token("flood-alice", key.jwk()), "r");
         TestClient bob = login(limited, Transport.TCP, limited.token("flood-bob"), "r")) {
      double before = verifiedValid(limited);
      int n = 200;
      for (int i = 0; i < n; i++) {
        Message.Builder m = TestClient.message("f" + i, "flood-bob");
        alice.send(signed(key, "flood-alice", i % 20 == 7 ? m.setType(7) : m));
      }
      Map<Integer, Integer> answers = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        answers.merge(alice.nextMatching(f -> f.hasAck()).getAck().getStatusCode(), 1,
            Integer::sum);
      }
      int accepted = answers.getOrDefault(200, 0);
      assertEquals(n / 20, answers.getOrDefault(400, 0), answers::toString);
      assertTrue(accepted >= 10 && answers.getOrDefault(429, 0) > n / 2, answers::toString);
      assertEquals(n, accepted + n / 20 + answers.getOrDefault(429, 0), answers::toString);
      assertEquals(accepted, verifiedValid(limited) - before, 0.0,
          "verified: the accepted messages only; answers " + answers);
      for (int i = 0; i < accepted; i++) {
        assertTrue(bob.nextMessage().getMessageId().startsWith("f"), "each accepted one pushed");
      }
    }
  }

  private static double verifiedValid(TestNode n) throws Exception {
    return Http.metric(Http.get("http://127.0.0.1:" + n.httpPort() + "/metrics").body(),
        "phoenix_signatures_verified_total{result=\"valid\"}");
  }
}

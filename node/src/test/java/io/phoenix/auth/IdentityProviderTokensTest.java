package io.phoenix.auth;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.testing.Http;
import io.phoenix.testing.Jwt;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestIdp;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens of an identity provider on a real node (PROTOCOL.md §10): RS256 and ES256 tokens from
 * the keys of {@code auth.publicKeyFile} and of a JWKS served by the test are welcomed; a
 * rotated key with a new kid is picked up with one refresh; alg confusion, {@code none}, a
 * {@code crit} header, wrong aud or iss, expired or not-yet-valid tokens and keys of another
 * provider get Goodbye 401; a JWKS that fails later keeps the last good keys and shows in
 * /health/ready and /metrics.
 */
class IdentityProviderTokensTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  @TempDir
  static Path dir;
  static Vertx vertx;
  static TestIdp idp;
  static RSAKey jwksRsa;
  static ECKey jwksEc;
  static RSAKey fileRsa;
  static ECKey fileEc;
  static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    vertx = nodes.vertx();
    jwksRsa = TestIdp.rsa("rsa-1");
    jwksEc = TestIdp.ec("ec-1");
    fileRsa = TestIdp.rsa(null);
    fileEc = TestIdp.ec(null);
    idp = new TestIdp().publish(jwksRsa).publish(jwksEc).serve(vertx);
    JsonObject config = TestNode.config();
    config.getJsonObject("auth").put("issuer", TestIdp.ISSUER).put("audience", TestIdp.AUDIENCE)
        .put("publicKeyFile", TestIdp.pemFile(dir.resolve("idp.pem"), fileRsa, fileEc).toString())
        .put("jwksUrl", idp.url()).put("jwksMinRefreshSeconds", 1).put("clockSkewSeconds", 30);
    node = nodes.start(config);
  }

  @AfterAll
  static void stop() {
    idp.close(); // before the node and the Vert.x it serves on (closed by the extension)
  }

  /** Says Hello with {@code token}; returns the answer (Welcome or Goodbye). */
  static Frame hello(String token, Transport t) {
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.hello(token, "r1");
      Frame f = c.next();
      if (f.getBodyCase() == Frame.BodyCase.GOODBYE) {
        c.awaitClosed();
      }
      return f;
    }
  }

  static void welcomed(String token, String eid) {
    for (Transport t : Transport.values()) {
      Frame f = hello(token, t);
      assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), () -> "over " + t + ": " + f);
      assertEquals(eid, f.getWelcome().getIdentity().getEid());
    }
  }

  static String refused(String token) {
    Frame f = hello(token, Transport.TCP);
    assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), () -> "expected Goodbye, got " + f);
    assertEquals(401, f.getGoodbye().getStatusCode(), f::toString);
    return f.getGoodbye().getReason();
  }

  @Test
  void rs256AndEs256TokensFromTheKeyFileAndTheJwksAreWelcomed() {
    welcomed(TestIdp.token(fileRsa, "file-rsa"), "file-rsa");
    welcomed(TestIdp.token(fileEc, "file-ec"), "file-ec");
    welcomed(TestIdp.token(jwksRsa, "jwks-rsa"), "jwks-rsa");
    welcomed(TestIdp.token(jwksEc, "jwks-ec"), "jwks-ec");
    welcomed(node.token("hs256-still"), "hs256-still"); // the node's own secret keeps working
  }

  @Test
  void aRotatedKeyIsPickedUpWithOneRefresh() {
    ECKey rotated = TestIdp.ec("ec-2");
    idp.publish(rotated);
    String token = TestIdp.token(rotated, "rotated");
    // past the interval since the last fetch (refreshes are rate-limited, 1 s here): the first
    // token with the new kid makes the node fetch the key set once, and is welcomed
    await().pollDelay(Duration.ofMillis(1100)).until(() -> true);
    int before = idp.fetches();
    Frame first = hello(token, Transport.TCP);
    assertEquals(Frame.BodyCase.WELCOME, first.getBodyCase(), first::toString);
    assertEquals(1, idp.fetches() - before, "fetches of the key set for the new kid");
    welcomed(token, "rotated");
  }

  @Test
  void unknownKidsTriggerAtMostOneRefreshPerInterval() {
    RSAKey stranger = TestIdp.rsa("nobody-knows-me");
    // past the interval since the last fetch: this burst may fetch once, not once per token
    await().pollDelay(Duration.ofMillis(1100)).until(() -> true);
    int before = idp.fetches();
    for (int i = 0; i < 6; i++) {
      refused(TestIdp.token(stranger, "stranger-" + i));
    }
    assertTrue(idp.fetches() - before <= 1, () -> (idp.fetches() - before) + " fetches");
    assertTrue(idp.fetches() - before >= 1, "an unknown kid must trigger a refresh");
  }

  @Test
  void tokensOfAnotherProviderAreRefused() {
    // same kid as a published key, another key pair
    assertTrue(refused(TestIdp.token(TestIdp.rsa("rsa-1"), "mallory")).startsWith(
        "invalid token"));
    assertTrue(refused(TestIdp.token(TestIdp.ec("ec-1"), "mallory")).startsWith("invalid token"));
    // no kid at all: not the file's keys either
    refused(TestIdp.token(TestIdp.ec(null), "mallory"));
  }

  @Test
  void algorithmConfusionAndUnsignedTokensAreRefused() throws Exception {
    JWTClaimsSet claims = TestIdp.claims("mallory").build();
    // HS256 "signed" with a public key (the PEM text and the DER bytes) as the HMAC secret
    TestIdp.pemFile(dir.resolve("pub.pem"), fileRsa);
    for (byte[] secret : new byte[][] {java.nio.file.Files.readAllBytes(dir.resolve("pub.pem")),
        fileRsa.toRSAPublicKey().getEncoded()}) {
      SignedJWT hs = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
      hs.sign(new MACSigner(java.util.Arrays.copyOf(secret, Math.max(32, secret.length))));
      refused(hs.serialize());
    }
    // RS256 header naming the EC key's kid
    SignedJWT mismatched = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("ec-1")
        .build(), claims);
    mismatched.sign(new com.nimbusds.jose.crypto.RSASSASigner(jwksRsa));
    refused(mismatched.serialize());
    // alg none
    assertEquals("invalid token: unsigned tokens (alg none) are refused",
        refused(new PlainJWT(claims).serialize()));
    // an algorithm the node does not take (HS512 with the right secret's bytes)
    SignedJWT hs512 = new SignedJWT(new JWSHeader(JWSAlgorithm.HS512), claims);
    hs512.sign(new MACSigner(java.util.Arrays.copyOf(TestNode.SECRET.getBytes(), 64)));
    refused(hs512.serialize());
  }

  @Test
  void wrongAudienceIssuerAndValidityAreRefused() {
    long now = System.currentTimeMillis();
    refused(TestIdp.token(jwksEc, TestIdp.claims("a").audience("someone-else").build()));
    refused(TestIdp.token(jwksEc, TestIdp.claims("a").issuer("https://evil.test/").build()));
    assertEquals("invalid token: Expired JWT", refused(TestIdp.token(jwksRsa, TestIdp.claims("a")
        .expirationTime(new Date(now - 120_000)).build())));
    for (ECKey key : new ECKey[] {jwksEc, fileEc}) { // "JWT before use time" before
      String early = refused(TestIdp.token(key, TestIdp.claims("a")
          .notBeforeTime(new Date(now + 120_000)).build()));
      assertTrue(early.matches("invalid token: not valid yet \\(nbf is 1(20|19) s ahead of the "
          + "node's clock, which tolerates 30 s\\)"), early);
    }
    // within the clock skew (30 s) both ways: still welcome
    welcomed(TestIdp.token(jwksRsa, TestIdp.claims("skewed").expirationTime(
        new Date(now - 10_000)).notBeforeTime(new Date(now + 10_000)).build()), "skewed");
    // HS256 tokens are held to the same audience
    refused(Jwt.hs256(TestNode.SECRET, new JsonObject().put("sub", "a").put("iss",
        TestIdp.ISSUER).put("aud", "someone-else").put("exp", Jwt.nowSeconds() + 600)));
    refused(Jwt.hs256(TestNode.SECRET, new JsonObject().put("sub", "a").put("iss",
        TestIdp.ISSUER).put("aud", TestIdp.AUDIENCE).put("exp", Jwt.nowSeconds() - 600)));
  }

  /**
   * RFC 7515 §4.1.11: a header whose {@code crit} names an extension the node does not support
   * (it supports none) is refused, whatever key signed it; nimbus said "Invalid signature".
   */
  @Test
  void criticalHeaderParametersAreRefused() throws Exception {
    JWTClaimsSet claims = TestIdp.claims("crit").build();
    for (com.nimbusds.jose.jwk.JWK key : new com.nimbusds.jose.jwk.JWK[] {jwksRsa, jwksEc,
        fileRsa, fileEc}) {
      boolean rsa = key instanceof RSAKey;
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(rsa ? JWSAlgorithm.RS256
          : JWSAlgorithm.ES256).keyID(key.getKeyID()).criticalParams(Set.of("https://ext.test/x"))
          .customParam("https://ext.test/x", 1).build(), claims);
      jwt.sign(rsa ? new RSASSASigner((RSAKey) key) : new ECDSASigner((ECKey) key));
      assertEquals("invalid token: it has critical header parameters the node does not support: "
          + "[https://ext.test/x]", refused(jwt.serialize()), key::getKeyID);
    }
  }

  @Test
  void aJwksThatFailsLaterKeepsItsKeysAndShowsInHealthAndMetrics() throws Exception {
    try {
      idp.mode(TestIdp.Mode.FAIL);
      // an unknown kid makes the node fetch (at most once a second), and the fetch fails
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        refused(TestIdp.token(TestIdp.ec("unknown-" + System.nanoTime()), "x"));
        return "STALE".equals(readyDetails().getJsonObject("jwks").getString("status"));
      });
      JsonObject jwks = readyDetails().getJsonObject("jwks");
      assertEquals("HTTP status 500", jwks.getString("error"));
      assertTrue(jwks.getInteger("keys") >= 2, jwks::encode);
      String metrics = Http.get("http://127.0.0.1:" + node.httpPort() + "/metrics").body();
      assertTrue(metrics.contains("phoenix_jwks_stale 1.0"), "stale gauge");
      assertTrue(metrics.matches("(?s).*phoenix_jwks_refresh_failures_total [1-9].*"),
          "failure counter");
      welcomed(TestIdp.token(jwksEc, "kept"), "kept"); // the last good keys still work
    } finally {
      idp.mode(TestIdp.Mode.SERVE);
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> {
      refused(TestIdp.token(TestIdp.ec("unknown-" + System.nanoTime()), "x"));
      return "UP".equals(readyDetails().getJsonObject("jwks").getString("status"));
    });
  }

  static JsonObject readyDetails() throws Exception {
    java.net.http.HttpResponse<String> r = Http.get("http://127.0.0.1:" + node.httpPort()
        + "/health/ready");
    assertEquals(200, r.statusCode(), r::body);
    return new JsonObject(r.body()).getJsonObject("details");
  }
}

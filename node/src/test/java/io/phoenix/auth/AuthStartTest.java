package io.phoenix.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.config.ConfigException;
import io.phoenix.config.ConfigLoader;
import io.phoenix.node.PhoenixNode;
import io.phoenix.testing.TestIdp;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key material that cannot be used stops a node at start with one line naming the key, within
 * a bounded time: a JWKS URL that refuses, fails, hangs or serves a huge document, a public key
 * file that holds no key, and a configuration with no way to check a token.
 */
class AuthStartTest {
  @TempDir
  static Path dir;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  /** The one-line reason a node with this {@code auth} group does not start. */
  static String refusal(JsonObject auth) throws Exception {
    JsonObject config = TestNode.config();
    auth.forEach(e -> config.getJsonObject("auth").put(e.getKey(), e.getValue()));
    PhoenixNode node = new PhoenixNode(ConfigLoader.fromJson(config));
    long started = System.nanoTime();
    try {
      Exception e = assertThrows(Exception.class, () -> node.start().await(60, TimeUnit.SECONDS));
      assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(40),
          "refused within a bounded time");
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      return e.getMessage();
    } finally {
      node.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  void aJwksThatCannotBeFetchedStopsTheNode() throws Exception {
    String closed = "http://127.0.0.1:" + TestNode.freePort() + "/jwks.json";
    String reason = refusal(new JsonObject().put("jwksUrl", closed));
    assertTrue(reason.startsWith("auth.jwksUrl " + closed + " could not be fetched: "), reason);

    try (TestIdp failing = new TestIdp().mode(TestIdp.Mode.FAIL).serve(vertx)) {
      assertEquals("auth.jwksUrl " + failing.url() + " could not be fetched: HTTP status 500",
          refusal(new JsonObject().put("jwksUrl", failing.url())));
    }
  }

  @Test
  void aJwksUrlThatHangsIsGivenUpWithinTheFetchTimeout() throws Exception {
    try (TestIdp hanging = new TestIdp().mode(TestIdp.Mode.HANG).serve(vertx)) {
      assertEquals("auth.jwksUrl " + hanging.url() + " could not be fetched: no complete answer"
          + " within " + JwksSource.FETCH_TIMEOUT_MS + " ms",
          refusal(new JsonObject().put("jwksUrl", hanging.url())));
      assertEquals(1, hanging.fetches());
    }
  }

  @Test
  void aHugeJwksIsRefused() throws Exception {
    try (TestIdp huge = new TestIdp().mode(TestIdp.Mode.HUGE).serve(vertx)) {
      assertEquals("auth.jwksUrl " + huge.url() + " could not be fetched: the document is larger"
          + " than " + JwksSource.MAX_BYTES + " bytes",
          refusal(new JsonObject().put("jwksUrl", huge.url())));
    }
  }

  @Test
  void aPublicKeyFileWithoutAKeyStopsTheNode() throws Exception {
    Path text = Files.writeString(dir.resolve("not-a-key.pem"), "hello\n");
    assertEquals("auth.publicKeyFile " + text + " holds no PEM public key (-----BEGIN PUBLIC "
        + "KEY-----)", refusal(new JsonObject().put("publicKeyFile", text.toString())));

    Path privateKey = TestPki.selfSigned(dir, "pk", "localhost").key();
    assertEquals("auth.publicKeyFile " + privateKey + " block 1 is a PRIVATE KEY, not a PUBLIC "
        + "KEY or CERTIFICATE",
        refusal(new JsonObject().put("publicKeyFile", privateKey.toString())));

    Path damaged = Files.writeString(dir.resolve("damaged.pem"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    assertEquals("auth.publicKeyFile " + damaged + " block 1 is not an RSA or EC public key",
        refusal(new JsonObject().put("publicKeyFile", damaged.toString())));

    Path small = TestIdp.pemFile(dir.resolve("small.pem"), new com.nimbusds.jose.jwk.gen
        .RSAKeyGenerator(1024, true).generate());
    assertEquals("auth.publicKeyFile " + small + " block 1 is an RSA key of 1024 bits; at least "
        + "2048 are needed", refusal(new JsonObject().put("publicKeyFile", small.toString())));
  }

  @Test
  void aCertificateFileServesAsAPublicKeyFile() throws Exception {
    // an identity provider may publish a certificate: its key is taken
    Path cert = TestPki.selfSigned(dir, "idp-cert", "idp.test").cert();
    JsonObject config = TestNode.config();
    config.getJsonObject("auth").put("publicKeyFile", cert.toString());
    try (TestNode node = TestNode.start(config)) {
      assertTrue(node.tcpPort() > 0);
    }
  }

  @Test
  void theTokenCommandNeedsASecret() throws Exception {
    Path cert = TestPki.selfSigned(dir, "idp-only", "idp.test").cert();
    JsonObject config = TestNode.config();
    config.getJsonObject("auth").remove("jwtSecret");
    config.getJsonObject("auth").put("publicKeyFile", cert.toString());
    Path file = Files.writeString(dir.resolve("idp-only.json"), config.encode());
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", file.toString(),
        "alice"));
  }

  /** What a node would refuse at Hello (or a lifetime auth.tokenTtlSeconds may not have). */
  @Test
  void theTokenCommandRefusesWhatNoNodeWouldTake() throws Exception {
    Path file = Files.writeString(dir.resolve("node.json"), TestNode.config().encode());
    String f = file.toString();
    assertEquals(0, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "--ttl",
        "31536000", "e".repeat(256)));
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "e".repeat(257)));
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "é".repeat(129)));
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, ""));
    // characters a Hello refuses in a sub
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "x\ny"));
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "x\u0000y"));
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "x\ud800"));
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "--ttl",
        "31536001", "alice"));
    assertEquals(2, io.phoenix.cli.PhoenixCommand.run("token", "--config", f, "--ttl", "0",
        "alice"));
  }

  @Test
  void aNodeWithNoWayToCheckATokenDoesNotLoad() {
    JsonObject config = TestNode.config();
    config.getJsonObject("auth").remove("jwtSecret");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(config));
    assertEquals("config error: auth.jwtSecret, auth.publicKeyFile or auth.jwksUrl must be set "
        + "(in the file, or with PHOENIX_AUTH_JWT_SECRET, PHOENIX_AUTH_PUBLIC_KEY_FILE or "
        + "PHOENIX_AUTH_JWKS_URL): without any of them no token can be checked", e.getMessage());
    config.getJsonObject("auth").put("jwksUrl", "ftp://idp.test/keys");
    assertEquals("config error: auth.jwksUrl must be an http:// or https:// URL (got "
        + "\"ftp://idp.test/keys\")", assertThrows(ConfigException.class,
        () -> ConfigLoader.fromJson(config)).getMessage());
  }
}

package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.MessageSignature;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPki;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code phoenix chat --key FILE} against a node that requires key binding: the chat's own
 * tokens bind the key, every line goes out signed, and the recipient can verify it with the
 * sender's public key; without {@code --key} the chat is refused at Hello.
 */
class ChatSigningTest {
  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"Ed25519", "P-256"})
  void aSignedConversationFromTheTerminal(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(curve.equals("Ed25519") ? "Ed25519" : "EC");
    if (!curve.equals("Ed25519")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    }
    byte[] pkcs8 = g.generateKeyPair().getPrivate().getEncoded();
    Path keyFile = TestPki.writePem(dir.resolve("device.pem"), "PRIVATE KEY", pkcs8);
    DeviceKey key = DeviceKey.read(keyFile);

    JsonObject json = TestNode.config();
    json.getJsonObject("auth").put("requireKeyBinding", true);
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(json);
         TestClient bob = TestClient.connect(vertx, Transport.TCP, node)) {
      Path config = Files.writeString(dir.resolve("node.json"), json.encode());
      bob.hello(node.token("bob-signed", DeviceKeyJwk.of(curve)), "r");
      assertEquals(Frame.BodyCase.WELCOME, bob.next().getBodyCase());

      ChatCommandTest.Terminal alice = new ChatCommandTest.Terminal("--as", "alice-signed",
          "--to", "bob-signed", "--server", "127.0.0.1:" + node.tcpPort(),
          "--config", config.toString(), "--key", keyFile.toString());
      alice.expectStarting("* connected to tcp://127.0.0.1:" + node.tcpPort(), false);
      alice.type("signed hello");
      Message m = bob.nextMessage();
      assertEquals("signed hello", m.getPayload().toStringUtf8());
      assertTrue(MessageSignature.verify(m, "alice-signed", key.publicKey()),
          "the recipient verifies the sender's signature");
      assertEquals(0, alice.endInput());

      ChatCommandTest.Terminal unbound = new ChatCommandTest.Terminal("--as", "carol-unbound",
          "--to", "bob-signed", "--server", "127.0.0.1:" + node.tcpPort(),
          "--config", config.toString());
      unbound.expectStarting("* could not connect: connection failed: Goodbye 401", false);
      assertEquals(1, unbound.endInput());
    } finally {
      vertx.close();
    }
  }

  /** A public key for bob's own token (he only receives here). */
  static final class DeviceKeyJwk {
    static JsonObject of(String curve) throws Exception {
      KeyPairGenerator g = KeyPairGenerator.getInstance(curve.equals("Ed25519") ? "Ed25519"
          : "EC");
      if (!curve.equals("Ed25519")) {
        g.initialize(new ECGenParameterSpec("secp256r1"));
      }
      return DeviceKey.of(g.generateKeyPair().getPrivate()).jwk();
    }
  }
}

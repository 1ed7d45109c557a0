package io.phoenix.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Device keys from PKCS#8 PEM (JDK only): both kinds load with the right public key and JWK,
 * sign and verify; other keys and files that hold no key are refused with one line.
 */
class DeviceKeyTest {
  @TempDir
  Path dir;

  static KeyPair pair(String kind) throws Exception {
    KeyPairGenerator g;
    switch (kind) {
      case "Ed25519", "Ed448", "RSA" -> g = KeyPairGenerator.getInstance(kind);
      case "P-256" -> {
        g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
      }
      case "P-384" -> {
        g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
      }
      default -> throw new IllegalArgumentException(kind);
    }
    return g.generateKeyPair();
  }

  static String pem(byte[] der) {
    return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(der)
        + "\n-----END PRIVATE KEY-----\n";
  }

  static final Message M = Message.newBuilder().setMessageId("id")
      .setTo(Identity.newBuilder().setEid("bob")).setType(1)
      .setPayload(ByteString.copyFromUtf8("x")).build();

  @ParameterizedTest
  @ValueSource(strings = {"Ed25519", "P-256"})
  void loadsDerivesThePublicKeySignsAndVerifies(String kind) throws Exception {
    KeyPair pair = pair(kind);
    Path file = Files.writeString(dir.resolve("key.pem"), pem(pair.getPrivate().getEncoded()));
    DeviceKey key = DeviceKey.read(file);
    assertEquals(pair.getPublic(), key.publicKey(), "the public key derived from the private");
    assertEquals(kind, key.jwk().getString("crv"));
    String signature = key.sign(M, "alice");
    assertEquals(64, Base64.getDecoder().decode(signature).length);
    Message signed = M.toBuilder().setSignature(signature).build();
    assertTrue(MessageSignature.verify(signed, "alice", pair.getPublic()));
    assertFalse(MessageSignature.verify(signed, "alice", pair(kind).getPublic()));
    assertFalse(MessageSignature.verify(M, "alice", pair.getPublic()), "no signature");
    assertFalse(MessageSignature.verify(M.toBuilder().setSignature("AAAA").build(), "alice",
        pair.getPublic()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Ed448", "P-384", "RSA"})
  void otherKeysAreRefused(String kind) throws Exception {
    Path file = Files.writeString(dir.resolve("key.pem"),
        pem(pair(kind).getPrivate().getEncoded()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DeviceKey.read(file));
    assertTrue(e.getMessage().startsWith(file + " holds "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void filesWithoutAKeyAreRefusedInOneLine() throws Exception {
    Path text = Files.writeString(dir.resolve("text.pem"), "hello\n");
    assertEquals(text + " holds no PKCS#8 private key (-----BEGIN PRIVATE KEY-----)",
        assertThrows(IllegalArgumentException.class, () -> DeviceKey.read(text)).getMessage());
    Path junk = Files.writeString(dir.resolve("junk.pem"), pem(new byte[] {1, 2, 3}));
    assertEquals(junk + " holds no Ed25519 or P-256 private key",
        assertThrows(IllegalArgumentException.class, () -> DeviceKey.read(junk)).getMessage());
    Path missing = dir.resolve("missing.pem");
    assertEquals(missing + " does not exist",
        assertThrows(IllegalArgumentException.class, () -> DeviceKey.read(missing))
            .getMessage());
  }

  @Test
  void p256PointsMustLieOnTheCurve() throws Exception {
    ECPublicKey pub = (ECPublicKey) pair("P-256").getPublic();
    BigInteger x = pub.getW().getAffineX();
    BigInteger y = pub.getW().getAffineY();
    assertEquals(pub, DeviceKey.p256PublicKey(x, y));
    assertThrows(java.security.GeneralSecurityException.class,
        () -> DeviceKey.p256PublicKey(x, y.add(BigInteger.ONE)));
    assertThrows(java.security.GeneralSecurityException.class,
        () -> DeviceKey.ed25519PublicKey(new byte[31]));
  }

  /**
   * The point check behind {@code ed25519PublicKey} takes every real public key (both signs of
   * x come up among 200) and gives back a key that verifies what the private key signed.
   */
  @Test
  void everyRealEd25519PublicKeyPassesThePointCheck() throws Exception {
    Message m = Message.newBuilder().setMessageId("k").setTo(Identity.newBuilder().setEid("b"))
        .setType(1).setPayload(ByteString.copyFromUtf8("hi")).build();
    for (int i = 0; i < 200; i++) {
      DeviceKey key = DeviceKey.of(pair("Ed25519").getPrivate());
      byte[] x = Base64.getUrlDecoder().decode(key.jwk().getString("x"));
      java.security.PublicKey pub = DeviceKey.ed25519PublicKey(x);
      assertTrue(MessageSignature.verify(m.toBuilder().setSignature(key.sign(m, "a")).build(),
          "a", pub));
    }
  }
}

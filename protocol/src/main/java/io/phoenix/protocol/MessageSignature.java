package io.phoenix.protocol;

import io.phoenix.protocol.v1.Message;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.util.Base64;

/**
 * Signatures of Messages bound to a device key (PROTOCOL.md §10): the exact signed bytes, and
 * signing and verifying them with Ed25519 or ECDSA P-256 (the JOSE {@code r || s} form). The
 * client signs with it and the node verifies with it, so both use one definition of the bytes.
 *
 * <p>Stateless and thread-safe: every call makes its own {@link Signature} object.
 */
public final class MessageSignature {
  /** The first field of the signed bytes, naming what is signed. */
  public static final String DOMAIN = "phoenix.v1.message";
  /** JDK name of ECDSA P-256 with SHA-256 whose signatures are {@code r || s}, 32 bytes each. */
  static final String P256_ALGORITHM = "SHA256withECDSAinP1363Format";

  private MessageSignature() {}

  /**
   * The signed bytes of {@code m} sent by {@code senderEid}: for each field, its length as a
   * 4-byte big-endian unsigned integer, then its bytes — {@value #DOMAIN}, message_id, the
   * sender's eid, to.eid, type (one byte), encryption_type, payload, encrypted.
   */
  public static byte[] signedBytes(Message m, String senderEid) {
    byte[] payload = m.getPayload().toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + payload.length
        + m.getEncrypted().length() + m.getMessageId().length() * 2);
    field(out, DOMAIN.getBytes(StandardCharsets.US_ASCII));
    field(out, utf8(m.getMessageId()));
    field(out, utf8(senderEid));
    field(out, utf8(m.getTo().getEid()));
    field(out, new byte[] {(byte) m.getType()});
    field(out, utf8(m.getEncryptionType()));
    field(out, payload);
    field(out, utf8(m.getEncrypted()));
    return out.toByteArray();
  }

  /**
   * Signs {@code m} as sent by {@code senderEid} with an Ed25519 or P-256 private key.
   *
   * @return the standard base64 of the raw signature (64 bytes either way)
   * @throws IllegalArgumentException for another kind of key
   */
  public static String sign(Message m, String senderEid, PrivateKey key) {
    try {
      Signature signer = Signature.getInstance(algorithm(key));
      signer.initSign(key);
      signer.update(signedBytes(m, senderEid));
      return Base64.getEncoder().encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code m.signature} is a valid signature of {@code m}, sent by {@code senderEid},
   * made with the private key of {@code key} (Ed25519 or P-256). An empty, malformed or wrong
   * signature is simply false.
   */
  public static boolean verify(Message m, String senderEid, PublicKey key) {
    String text = m.getSignature();
    if (text.isEmpty()) {
      return false;
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (signature.length != 64) {
      return false; // both algorithms make 64 bytes
    }
    try {
      Signature verifier = Signature.getInstance(algorithm(key));
      verifier.initVerify(key);
      verifier.update(signedBytes(m, senderEid));
      return verifier.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** The JDK signature algorithm for a key: Ed25519, or ECDSA P-256 in the r||s form. */
  static String algorithm(java.security.Key key) {
    if (key instanceof ECKey ec) {
      if (!DeviceKey.isP256(ec.getParams())) {
        throw new IllegalArgumentException("an EC key must be on the curve P-256");
      }
      return P256_ALGORITHM;
    }
    if (key instanceof EdECKey ed) {
      if (!ed.getParams().getName().equalsIgnoreCase("Ed25519")) {
        throw new IllegalArgumentException("an EdDSA key must be Ed25519, not "
            + ed.getParams().getName());
      }
      return "Ed25519";
    }
    throw new IllegalArgumentException("a " + key.getAlgorithm() + " key cannot sign messages: "
        + "use Ed25519 or P-256");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void field(ByteArrayOutputStream out, byte[] bytes) {
    int n = bytes.length;
    out.write(n >>> 24);
    out.write(n >>> 16);
    out.write(n >>> 8);
    out.write(n);
    out.write(bytes, 0, n);
  }
}

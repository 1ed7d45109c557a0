package io.phoenix.protocol;

import io.phoenix.protocol.v1.Message;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * A device's signing key (PROTOCOL.md §10): an Ed25519 or P-256 private key read from a PKCS#8
 * PEM file ({@code -----BEGIN PRIVATE KEY-----}, as {@code openssl genpkey} writes it), its
 * public key, and the public key as the JWK a token's {@code cnf} claim carries. JDK only.
 *
 * <p>Immutable; thread-safe.
 *
 * @param privateKey the Ed25519 or P-256 private key
 * @param publicKey its public key
 */
public record DeviceKey(PrivateKey privateKey, PublicKey publicKey) {
  private static final ECParameterSpec P256 = p256();
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 bytes of the key follow. */
  private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b,
      0x65, 0x70, 0x03, 0x21, 0x00};

  /**
   * Reads a PKCS#8 PEM private key file.
   *
   * @throws IllegalArgumentException with a one-line reason naming the file
   */
  public static DeviceKey read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException(file + " cannot be read: " + e.getMessage());
    }
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + " " + e.getMessage());
    }
  }

  /**
   * Parses PKCS#8 PEM text.
   *
   * @throws IllegalArgumentException with a one-line reason
   */
  public static DeviceKey parse(String pem) {
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("holds no PKCS#8 private key (" + begin + ")");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("holds a damaged PEM block: " + e.getMessage());
    }
    for (String algorithm : new String[] {"Ed25519", "EC"}) {
      try {
        PrivateKey key = KeyFactory.getInstance(algorithm)
            .generatePrivate(new PKCS8EncodedKeySpec(der));
        return of(key);
      } catch (GeneralSecurityException | ClassCastException e) {
        // try the other kind
      }
    }
    throw new IllegalArgumentException("holds no Ed25519 or P-256 private key");
  }

  /** The key pair of an Ed25519 or P-256 private key. */
  public static DeviceKey of(PrivateKey key) {
    try {
      if (key instanceof EdECPrivateKey ed) {
        if (!ed.getParams().getName().equalsIgnoreCase("Ed25519")) {
          throw new IllegalArgumentException("holds an " + ed.getParams().getName()
              + " key; only Ed25519 and P-256 keys sign messages");
        }
        byte[] seed = ed.getBytes().orElseThrow(() ->
            new IllegalArgumentException("holds an Ed25519 key whose bytes cannot be read"));
        // The JDK derives the public key only while generating: feed it the private bytes.
        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        g.initialize(255, new FixedBytes(seed));
        return new DeviceKey(key, g.generateKeyPair().getPublic());
      }
      if (key instanceof ECPrivateKey ec) {
        if (!isP256(ec.getParams())) {
          throw new IllegalArgumentException("holds an EC key on another curve than P-256");
        }
        ECPoint q = multiplyG(ec.getS());
        PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(q, P256));
        return new DeviceKey(key, pub);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("holds a key the JDK cannot use: " + e.getMessage());
    }
    throw new IllegalArgumentException("holds a " + key.getAlgorithm()
        + " key; only Ed25519 and P-256 keys sign messages");
  }

  /** Signs {@code m}, sent by {@code senderEid}: the base64 text for its {@code signature}. */
  public String sign(Message m, String senderEid) {
    return MessageSignature.sign(m, senderEid, privateKey);
  }

  /**
   * The public key as a JWK for a token's {@code cnf} claim: {@code {"kty":"OKP","crv":"Ed25519",
   * "x":…}} or {@code {"kty":"EC","crv":"P-256","x":…,"y":…}}, base64url without padding.
   */
  public JsonObject jwk() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    if (publicKey instanceof ECPublicKey ec) {
      return new JsonObject().put("kty", "EC").put("crv", "P-256")
          .put("x", b64.encodeToString(unsigned32(ec.getW().getAffineX())))
          .put("y", b64.encodeToString(unsigned32(ec.getW().getAffineY())));
    }
    byte[] spki = publicKey.getEncoded();
    return new JsonObject().put("kty", "OKP").put("crv", "Ed25519")
        .put("x", b64.encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length)));
  }

  /**
   * An Ed25519 public key from its 32 bytes (the JWK's {@code x}), which must be the canonical
   * encoding (RFC 8032 §5.1.3) of a point of the curve that is not of small order. The JDK
   * takes any 32 bytes, and with a point of small order (the neutral point among them) a
   * signature that no private key made verifies: with the neutral point, R = neutral and S = 0
   * verify for every message.
   */
  public static PublicKey ed25519PublicKey(byte[] x) throws GeneralSecurityException {
    if (x.length != 32) {
      throw new java.security.spec.InvalidKeySpecException("an Ed25519 key is 32 bytes, not "
          + x.length);
    }
    Ed25519Point.check(x);
    byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
    System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, 32);
    PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    if (!(key instanceof EdECPublicKey)) {
      throw new java.security.spec.InvalidKeySpecException("not an Ed25519 key");
    }
    return key;
  }

  /**
   * A P-256 public key from its affine coordinates (the JWK's {@code x} and {@code y}), which
   * must be a point of the curve.
   */
  public static PublicKey p256PublicKey(BigInteger x, BigInteger y)
      throws GeneralSecurityException {
    BigInteger p = ((ECFieldFp) P256.getCurve().getField()).getP();
    if (x.signum() < 0 || y.signum() < 0 || x.compareTo(p) >= 0 || y.compareTo(p) >= 0
        || !y.pow(2).mod(p).equals(x.pow(3).add(P256.getCurve().getA().multiply(x))
            .add(P256.getCurve().getB()).mod(p))) {
      throw new java.security.spec.InvalidKeySpecException("the point is not on P-256");
    }
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y),
        P256));
  }

  /** Whether {@code spec} is the curve P-256 (secp256r1). */
  public static boolean isP256(ECParameterSpec spec) {
    return spec != null && spec.getOrder().equals(P256.getOrder())
        && spec.getCurve().equals(P256.getCurve()) && spec.getGenerator().equals(P256.getGenerator());
  }

  private static byte[] unsigned32(BigInteger n) {
    byte[] raw = n.toByteArray();
    byte[] out = new byte[32];
    int copy = Math.min(32, raw.length);
    System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
    return out;
  }

  private static ECParameterSpec p256() {
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
      p.init(new ECGenParameterSpec("secp256r1"));
      return p.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no P-256", e);
    }
  }

  /**
   * {@code s × G} on P-256, in affine coordinates (the JDK has no public API for it). Used once
   * per key file to find the public key, so constant time does not matter here.
   */
  private static ECPoint multiplyG(BigInteger s) {
    BigInteger p = ((ECFieldFp) P256.getCurve().getField()).getP();
    BigInteger a = P256.getCurve().getA();
    ECPoint result = ECPoint.POINT_INFINITY;
    ECPoint addend = P256.getGenerator();
    for (int i = 0; i < s.bitLength(); i++) {
      if (s.testBit(i)) {
        result = add(result, addend, p, a);
      }
      addend = add(addend, addend, p, a);
    }
    return result;
  }

  private static ECPoint add(ECPoint u, ECPoint v, BigInteger p, BigInteger a) {
    if (u.equals(ECPoint.POINT_INFINITY)) {
      return v;
    }
    if (v.equals(ECPoint.POINT_INFINITY)) {
      return u;
    }
    BigInteger x1 = u.getAffineX();
    BigInteger y1 = u.getAffineY();
    BigInteger x2 = v.getAffineX();
    BigInteger y2 = v.getAffineY();
    BigInteger slope;
    if (x1.equals(x2)) {
      if (!y1.equals(y2) || y1.signum() == 0) {
        return ECPoint.POINT_INFINITY;
      }
      slope = x1.pow(2).multiply(BigInteger.valueOf(3)).add(a)
          .multiply(y1.shiftLeft(1).modInverse(p)).mod(p);
    } else {
      slope = y2.subtract(y1).multiply(x2.subtract(x1).modInverse(p)).mod(p);
    }
    BigInteger x3 = slope.pow(2).subtract(x1).subtract(x2).mod(p);
    BigInteger y3 = slope.multiply(x1.subtract(x3)).subtract(y1).mod(p);
    return new ECPoint(x3, y3);
  }

  /** A "random" source that hands out given bytes: makes key generation deterministic. */
  private static final class FixedBytes extends SecureRandom {
    private final byte[] bytes;

    FixedBytes(byte[] bytes) {
      this.bytes = bytes.clone();
    }

    @Override
    public void nextBytes(byte[] out) {
      System.arraycopy(bytes, 0, out, 0, Math.min(bytes.length, out.length));
    }
  }

  @Override
  public String toString() {
    return "DeviceKey[" + jwk().getString("crv") + ", x=" + jwk().getString("x") + "]";
  }
}

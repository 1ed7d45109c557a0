package io.phoenix.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code auth.publicKeyFile}: one or more PEM blocks, each a public key
 * ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo) or a certificate whose public
 * key is taken. RSA keys (2048 bits or more) check RS256 tokens, EC P-256 keys ES256 tokens.
 *
 * <p>Stateless; {@link #read} does file IO: call it before Vert.x starts or on a worker.
 */
public final class PublicKeyFile {
  /** Shortest RSA key accepted, in bits. */
  public static final int MIN_RSA_BITS = 2048;
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  private PublicKeyFile() {}

  /**
   * The keys of the file as JWKs (RSA or EC P-256, without {@code kid}).
   *
   * @throws IllegalStateException with one line naming {@code auth.publicKeyFile}, the file and
   *     the reason
   */
  public static List<JWK> read(String file) {
    String text;
    try {
      text = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw failure(file, "does not exist");
    } catch (IOException e) {
      throw failure(file, "cannot be read: " + e.getMessage());
    }
    return parse(file, text);
  }

  static List<JWK> parse(String file, String text) {
    List<JWK> keys = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    int block = 0;
    while (m.find()) {
      block++;
      String type = m.group(1);
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw failure(file, "block " + block + " (" + type + ") is not valid base64");
      }
      PublicKey key = switch (type) {
        case "PUBLIC KEY" -> publicKey(file, block, der);
        case "CERTIFICATE" -> certificateKey(file, block, der);
        default -> throw failure(file, "block " + block + " is a " + type
            + ", not a PUBLIC KEY or CERTIFICATE");
      };
      keys.add(toJwk(file, block, key));
    }
    if (keys.isEmpty()) {
      throw failure(file, "holds no PEM public key (-----BEGIN PUBLIC KEY-----)");
    }
    return List.copyOf(keys);
  }

  private static PublicKey publicKey(String file, int block, byte[] der) {
    for (String algorithm : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the other
      }
    }
    throw failure(file, "block " + block + " is not an RSA or EC public key");
  }

  private static PublicKey certificateKey(String file, int block, byte[] der) {
    try {
      return CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
    } catch (GeneralSecurityException e) {
      throw failure(file, "block " + block + " is not a valid certificate");
    }
  }

  private static JWK toJwk(String file, int block, PublicKey key) {
    if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() < MIN_RSA_BITS) {
        throw failure(file, "block " + block + " is an RSA key of "
            + rsa.getModulus().bitLength() + " bits; at least " + MIN_RSA_BITS + " are needed");
      }
      return new RSAKey.Builder(rsa).build();
    }
    if (key instanceof ECPublicKey ec) {
      Curve curve = Curve.forECParameterSpec(ec.getParams());
      if (!Curve.P_256.equals(curve)) {
        throw failure(file, "block " + block + " is an EC key on "
            + (curve == null ? "an unknown curve" : curve.getName()) + "; only P-256 (ES256)");
      }
      try {
        return new ECKey.Builder(Curve.P_256, ec).build();
      } catch (IllegalStateException e) {
        throw failure(file, "block " + block + " is not a valid P-256 key");
      }
    }
    throw failure(file, "block " + block + " is a " + key.getAlgorithm()
        + " key; only RSA (RS256) and EC P-256 (ES256)");
  }

  private static IllegalStateException failure(String file, String reason) {
    return new IllegalStateException("auth.publicKeyFile " + file + " " + reason);
  }
}

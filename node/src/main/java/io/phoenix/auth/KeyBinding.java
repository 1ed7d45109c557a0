package io.phoenix.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.MessageSignature;
import io.phoenix.protocol.v1.Message;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Map;

/**
 * The device key a token binds in its {@code cnf} claim (RFC 7800, PROTOCOL.md §10): an Ed25519
 * ({@code {"kty":"OKP","crv":"Ed25519","x":…}}) or P-256 ({@code {"kty":"EC","crv":"P-256",
 * "x":…,"y":…}}) public JWK. A session with a bound key sends only messages whose
 * {@code signature} verifies with it ({@link #verify}).
 *
 * <p>Immutable; thread-safe ({@link #verify} makes its own JDK Signature object per call).
 */
public final class KeyBinding {
  private final PublicKey key;
  private final String curve;

  private KeyBinding(PublicKey key, String curve) {
    this.key = key;
    this.curve = curve;
  }

  /**
   * The key of a token's {@code cnf} claim.
   *
   * @param cnf the claim's value (a JSON object), or null when the token has none
   * @return the binding, or null when {@code cnf} is null
   * @throws IllegalArgumentException when {@code cnf} is there but is not a supported public
   *     key (another form than {@code jwk}, another {@code kty}/{@code crv}, bad coordinates, a
   *     private part); the message is fit for a Goodbye
   */
  public static KeyBinding fromCnf(Object cnf) {
    if (cnf == null) {
      return null;
    }
    if (cnf instanceof io.vertx.core.json.JsonObject json) {
      cnf = json.getMap();
    }
    Object inner = cnf instanceof Map<?, ?> m ? m.get("jwk") : null;
    if (inner instanceof io.vertx.core.json.JsonObject json) {
      inner = json.getMap();
    }
    if (!(inner instanceof Map<?, ?> jwkJson)) {
      throw new IllegalArgumentException("cnf must hold a jwk (an Ed25519 or P-256 public key)");
    }
    JWK jwk;
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> json = (Map<String, Object>) jwkJson;
      jwk = JWK.parse(json);
    } catch (java.text.ParseException | RuntimeException e) {
      throw new IllegalArgumentException("cnf jwk is not a valid key: " + e.getMessage());
    }
    if (jwk.isPrivate()) {
      throw new IllegalArgumentException("cnf jwk must be a public key, not a private one");
    }
    try {
      if (jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
        return new KeyBinding(DeviceKey.ed25519PublicKey(okp.getDecodedX()), "Ed25519");
      }
      if (jwk instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())) {
        return new KeyBinding(DeviceKey.p256PublicKey(ec.getX().decodeToBigInteger(),
            ec.getY().decodeToBigInteger()), "P-256");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("cnf jwk is not a valid key: " + e.getMessage());
    }
    throw new IllegalArgumentException("cnf jwk must be an Ed25519 (OKP) or P-256 (EC) key, not "
        + jwk.getKeyType() + curveOf(jwk));
  }

  private static String curveOf(JWK jwk) {
    if (jwk instanceof OctetKeyPair okp) {
      return " " + okp.getCurve();
    }
    if (jwk instanceof ECKey ec) {
      return " " + ec.getCurve();
    }
    return "";
  }

  /** Whether {@code m.signature} is {@code m}'s signature by this key, sent by {@code eid}. */
  public boolean verify(Message m, String senderEid) {
    return MessageSignature.verify(m, senderEid, key);
  }

  /** "Ed25519" or "P-256". */
  public String curve() {
    return curve;
  }

  public PublicKey publicKey() {
    return key;
  }

  @Override
  public String toString() {
    return "KeyBinding[" + curve + "]";
  }
}

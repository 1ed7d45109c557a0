package io.phoenix.testing;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Hand-made HS256 tokens for tests: any claims, any secret (to forge and expire them). */
public final class Jwt {
  private Jwt() {}

  public static String hs256(String secret, JsonObject claims) {
    return hs256(secret, new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims);
  }

  /** Any header too (its {@code alg} should say HS256). */
  public static String hs256(String secret, JsonObject header, JsonObject claims) {
    return hs256(secret, header, claims.encode());
  }

  /**
   * Claims as JSON text, written as given: for what a JsonObject cannot write, such as the
   * escape of an unpaired surrogate ({@code "\\ud800"}).
   */
  public static String hs256(String secret, JsonObject header, String claimsJson) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String head = b64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8));
    String payload = b64.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] sig = mac.doFinal((head + "." + payload).getBytes(StandardCharsets.US_ASCII));
      return head + "." + payload + "." + b64.encodeToString(sig);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }
}

package io.phoenix.config;

import java.nio.charset.StandardCharsets;

/**
 * Token signing and checking (config group {@code auth}).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles. {@link #toString()}
 * never shows the secret.
 *
 * @param jwtSecret HMAC secret of tokens; required and non-empty, 32 bytes or more advised
 * @param issuer issuer set in and checked on tokens; empty means no issuer
 * @param tokenTtlSeconds lifetime of issued tokens, 1 to 31536000 seconds
 * @param devTokens whether the dashboard may issue tokens for any eid (development only)
 */
public record AuthOptions(String jwtSecret, String issuer, int tokenTtlSeconds,
    boolean devTokens) {

  /** Default of {@code auth.issuer}: {@value}. */
  public static final String DEFAULT_ISSUER = "phoenix";
  /** Default of {@code auth.tokenTtlSeconds}: {@value} (one day). */
  public static final int DEFAULT_TOKEN_TTL_SECONDS = 86_400;
  /** Default of {@code auth.devTokens}: {@value}. */
  public static final boolean DEFAULT_DEV_TOKENS = false;
  /** Secrets shorter than this many bytes load with a warning. */
  public static final int RECOMMENDED_SECRET_BYTES = 32;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public AuthOptions {
    ConfigKey.AUTH_JWT_SECRET.checkString(jwtSecret);
    ConfigKey.AUTH_ISSUER.checkString(issuer);
    ConfigKey.AUTH_TOKEN_TTL_SECONDS.checkInt(tokenTtlSeconds);
  }

  /** Options without development tokens. */
  public AuthOptions(String jwtSecret, String issuer, int tokenTtlSeconds) {
    this(jwtSecret, issuer, tokenTtlSeconds, DEFAULT_DEV_TOKENS);
  }

  /**
   * The secret has no default, so it must be given.
   *
   * @return the options with {@code jwtSecret} and every other default
   */
  public static AuthOptions defaults(String jwtSecret) {
    return new AuthOptions(jwtSecret, DEFAULT_ISSUER, DEFAULT_TOKEN_TTL_SECONDS,
        DEFAULT_DEV_TOKENS);
  }

  /** @return whether an issuer is set and checked */
  public boolean hasIssuer() {
    return !issuer.isEmpty();
  }

  /** @return whether the secret is shorter than {@link #RECOMMENDED_SECRET_BYTES} in UTF-8 */
  public boolean secretIsShort() {
    return jwtSecret.getBytes(StandardCharsets.UTF_8).length < RECOMMENDED_SECRET_BYTES;
  }

  @Override
  public String toString() {
    return "AuthOptions[jwtSecret=***, issuer=" + issuer + ", tokenTtlSeconds=" + tokenTtlSeconds
        + ", devTokens=" + devTokens + "]";
  }
}

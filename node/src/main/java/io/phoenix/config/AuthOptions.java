package io.phoenix.config;

import java.nio.charset.StandardCharsets;

/**
 * Token signing and checking (config group {@code auth}): HS256 with a shared secret, and
 * RS256/ES256 tokens of an identity provider checked against PEM public keys and/or a JWKS
 * (PROTOCOL.md §10).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles. {@link #toString()}
 * never shows the secret.
 *
 * @param jwtSecret HMAC secret of HS256 tokens; empty means HS256 tokens are refused
 * @param issuer issuer set in and checked on tokens; empty means no issuer
 * @param tokenTtlSeconds lifetime of issued tokens, 1 to 31536000 seconds
 * @param devTokens whether the dashboard may issue tokens for any eid (development only)
 * @param publicKeyFile PEM file of public keys for RS256/ES256 tokens; empty means none
 * @param jwksUrl http(s) URL of a JWKS for RS256/ES256 tokens; empty means none
 * @param jwksRefreshSeconds interval of the regular JWKS refresh
 * @param jwksMinRefreshSeconds least time between two fetches caused by an unknown kid
 * @param audience the {@code aud} a token must name; empty means not checked
 * @param clockSkewSeconds tolerance on {@code exp} and {@code nbf}
 * @param requireKeyBinding whether every token must bind a device key ({@code cnf})
 */
public record AuthOptions(String jwtSecret, String issuer, int tokenTtlSeconds,
    boolean devTokens, String publicKeyFile, String jwksUrl, int jwksRefreshSeconds,
    int jwksMinRefreshSeconds, String audience, int clockSkewSeconds,
    boolean requireKeyBinding) {

  /** Default of {@code auth.jwtSecret}: empty, no HS256 tokens. */
  public static final String DEFAULT_JWT_SECRET = "";
  /** Default of {@code auth.issuer}: {@value}. */
  public static final String DEFAULT_ISSUER = "phoenix";
  /** Default of {@code auth.tokenTtlSeconds}: {@value} (one day). */
  public static final int DEFAULT_TOKEN_TTL_SECONDS = 86_400;
  /** Default of {@code auth.devTokens}: {@value}. */
  public static final boolean DEFAULT_DEV_TOKENS = false;
  /** Default of {@code auth.publicKeyFile}: none. */
  public static final String DEFAULT_PUBLIC_KEY_FILE = "";
  /** Default of {@code auth.jwksUrl}: none. */
  public static final String DEFAULT_JWKS_URL = "";
  /** Default of {@code auth.jwksRefreshSeconds}: {@value} (15 minutes). */
  public static final int DEFAULT_JWKS_REFRESH_SECONDS = 900;
  /** Default of {@code auth.jwksMinRefreshSeconds}: {@value}. */
  public static final int DEFAULT_JWKS_MIN_REFRESH_SECONDS = 60;
  /** Default of {@code auth.audience}: empty, not checked. */
  public static final String DEFAULT_AUDIENCE = "";
  /** Default of {@code auth.clockSkewSeconds}: {@value}. */
  public static final int DEFAULT_CLOCK_SKEW_SECONDS = 30;
  /** Default of {@code auth.requireKeyBinding}: {@value}. */
  public static final boolean DEFAULT_REQUIRE_KEY_BINDING = false;
  /** Secrets shorter than this many bytes load with a warning. */
  public static final int RECOMMENDED_SECRET_BYTES = 32;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public AuthOptions {
    ConfigKey.AUTH_JWT_SECRET.checkString(jwtSecret);
    ConfigKey.AUTH_ISSUER.checkString(issuer);
    ConfigKey.AUTH_TOKEN_TTL_SECONDS.checkInt(tokenTtlSeconds);
    ConfigKey.AUTH_PUBLIC_KEY_FILE.checkString(publicKeyFile);
    ConfigKey.AUTH_JWKS_URL.checkString(jwksUrl);
    ConfigKey.AUTH_JWKS_REFRESH_SECONDS.checkInt(jwksRefreshSeconds);
    ConfigKey.AUTH_JWKS_MIN_REFRESH_SECONDS.checkInt(jwksMinRefreshSeconds);
    ConfigKey.AUTH_AUDIENCE.checkString(audience);
    ConfigKey.AUTH_CLOCK_SKEW_SECONDS.checkInt(clockSkewSeconds);
    if (jwtSecret.isEmpty() && publicKeyFile.isEmpty() && jwksUrl.isEmpty()) {
      // named with their variables too: a container is configured through its environment
      throw new ConfigException("auth.jwtSecret, auth.publicKeyFile or auth.jwksUrl must be set"
          + " (in the file, or with " + ConfigKey.AUTH_JWT_SECRET.envName() + ", "
          + ConfigKey.AUTH_PUBLIC_KEY_FILE.envName() + " or " + ConfigKey.AUTH_JWKS_URL.envName()
          + "): without any of them no token can be checked");
    }
    if (!publicKeyFile.isEmpty()) {
      Values.checkReadableFile(ConfigKey.AUTH_PUBLIC_KEY_FILE.path(), publicKeyFile);
    }
  }

  /** Options with HS256 only and without development tokens. */
  public AuthOptions(String jwtSecret, String issuer, int tokenTtlSeconds) {
    this(jwtSecret, issuer, tokenTtlSeconds, DEFAULT_DEV_TOKENS);
  }

  /** Options with HS256 only. */
  public AuthOptions(String jwtSecret, String issuer, int tokenTtlSeconds, boolean devTokens) {
    this(jwtSecret, issuer, tokenTtlSeconds, devTokens, DEFAULT_PUBLIC_KEY_FILE,
        DEFAULT_JWKS_URL, DEFAULT_JWKS_REFRESH_SECONDS, DEFAULT_JWKS_MIN_REFRESH_SECONDS,
        DEFAULT_AUDIENCE, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_REQUIRE_KEY_BINDING);
  }

  /**
   * Options with {@code jwtSecret} and every other default.
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

  /** @return whether HS256 tokens are accepted (a secret is set) */
  public boolean hasSecret() {
    return !jwtSecret.isEmpty();
  }

  /** @return whether a secret is set and shorter than {@link #RECOMMENDED_SECRET_BYTES} */
  public boolean secretIsShort() {
    return hasSecret()
        && jwtSecret.getBytes(StandardCharsets.UTF_8).length < RECOMMENDED_SECRET_BYTES;
  }

  @Override
  public String toString() {
    return "AuthOptions[jwtSecret=***, issuer=" + issuer + ", tokenTtlSeconds=" + tokenTtlSeconds
        + ", devTokens=" + devTokens + ", publicKeyFile=" + publicKeyFile + ", jwksUrl="
        + jwksUrl + ", jwksRefreshSeconds=" + jwksRefreshSeconds + ", jwksMinRefreshSeconds="
        + jwksMinRefreshSeconds + ", audience=" + audience + ", clockSkewSeconds="
        + clockSkewSeconds + ", requireKeyBinding=" + requireKeyBinding + "]";
  }
}

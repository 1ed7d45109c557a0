package io.phoenix.session;

import io.phoenix.config.AuthOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

/**
 * Verifies Hello tokens and issues them: JWT signed with HS256 and the configured secret. The
 * {@code sub} claim is the eid; {@code exp}, when present, is honoured; {@code iss} must match
 * the configured issuer when one is configured.
 *
 * <p>Thread-safe. Verification is a few microseconds of CPU (HMAC), done on the event loop.
 */
public final class Authenticator {
  private final JWTAuth jwt;
  private final AuthOptions options;

  public Authenticator(Vertx vertx, AuthOptions options) {
    this.options = options;
    JWTOptions jwtOptions = new JWTOptions().setAlgorithm("HS256");
    if (!options.issuer().isEmpty()) {
      jwtOptions.setIssuer(options.issuer());
    }
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(options.jwtSecret()))
        .setJWTOptions(jwtOptions));
  }

  /** The eid the token names, or a failed future with a reason fit for a Goodbye. */
  public Future<String> authenticate(String token) {
    if (token == null || token.isEmpty()) {
      return Future.failedFuture("missing token");
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture("invalid token: " + e.getMessage()))
        .compose(user -> {
          String sub = subject(user);
          return sub == null || sub.isEmpty()
              ? Future.failedFuture("token has no sub claim")
              : Future.succeededFuture(sub);
        });
  }

  private static String subject(User user) {
    String sub = user.principal().getString("sub");
    if (sub == null) {
      JsonObject claims = user.attributes().getJsonObject("accessToken");
      sub = claims == null ? null : claims.getString("sub");
    }
    return sub;
  }

  /** A signed token for {@code eid}, valid for {@code ttlSeconds}. */
  public String issue(String eid, long ttlSeconds) {
    JWTOptions o = new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds((int) ttlSeconds);
    if (!options.issuer().isEmpty()) {
      o.setIssuer(options.issuer());
    }
    return jwt.generateToken(new JsonObject().put("sub", eid), o);
  }
}

package io.phoenix.session;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import io.micrometer.core.instrument.MeterRegistry;
import io.phoenix.auth.JwksSource;
import io.phoenix.auth.KeyBinding;
import io.phoenix.auth.PublicKeyFile;
import io.phoenix.auth.PublicKeyTokens;
import io.phoenix.config.AuthOptions;
import io.phoenix.protocol.v1.Message;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Verifies Hello tokens and issues them (PROTOCOL.md §3, §10). HS256 tokens are checked with
 * {@code auth.jwtSecret} (vertx-auth-jwt); RS256 and ES256 tokens with the keys of
 * {@code auth.publicKeyFile} and {@code auth.jwksUrl} ({@link PublicKeyTokens}, nimbus-jose-jwt);
 * any other {@code alg}, {@code none} included, is refused. {@code sub} is the eid; {@code iss}
 * (when configured), {@code aud} (when configured), {@code exp} and {@code nbf} (with
 * {@code auth.clockSkewSeconds}) are checked; a header with {@code crit} is refused (the node
 * supports no JWS extension), and so is a {@code sub} holding an unpaired surrogate or a control
 * character ({@link #subCharactersRefusal}). A {@code cnf} claim binds a device key
 * ({@link KeyBinding}); with {@code auth.requireKeyBinding} a token without one is refused.
 *
 * <p>Thread-safe. HS256 tokens are checked on the caller's event loop (an HMAC: microseconds);
 * RS256/ES256 tokens, whose JDK verification costs hundreds of microseconds, and message
 * signatures ({@link #signatureCheck}) on the node's verifier threads. Futures complete on the
 * caller's context; a token with an unknown {@code kid} may first wait for a JWKS refresh.
 */
public final class Authenticator {
  /**
   * What a good Hello token says: the eid, the bound device key or null, and when a session on
   * it ends (its {@code exp} plus {@code auth.clockSkewSeconds}, in epoch milliseconds;
   * {@link Long#MAX_VALUE} for a token without {@code exp}).
   */
  public record Authenticated(String eid, KeyBinding binding, long validUntilMillis) {}

  /** Threads that verify message signatures (see {@link SignatureCheck}). */
  static final int VERIFIER_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

  /** Characters of a refused {@code crit} echoed in the refusal, at most. */
  private static final int MAX_SHOWN = 64;
  private final Vertx vertx;
  private final JWTAuth hs256;
  private final AuthOptions options;
  private final PublicKeyTokens publicKeys;
  private final JwksSource jwks;
  private WorkerExecutor verifiers;

  /** HS256 only (issuing and checking with {@code auth.jwtSecret}); no public keys. */
  public Authenticator(Vertx vertx, AuthOptions options) {
    this(vertx, options, null, null);
  }

  private Authenticator(Vertx vertx, AuthOptions options, PublicKeyTokens publicKeys,
      JwksSource jwks) {
    this.vertx = vertx;
    this.options = options;
    this.publicKeys = publicKeys;
    this.jwks = jwks;
    if (options.hasSecret()) {
      JWTOptions jwtOptions = new JWTOptions().setAlgorithm("HS256")
          .setLeeway(options.clockSkewSeconds());
      if (!options.issuer().isEmpty()) {
        jwtOptions.setIssuer(options.issuer());
      }
      if (!options.audience().isEmpty()) {
        jwtOptions.setAudience(List.of(options.audience()));
      }
      this.hs256 = JWTAuth.create(vertx, new JWTAuthOptions()
          .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(options.jwtSecret()))
          .setJWTOptions(jwtOptions));
    } else {
      this.hs256 = null;
    }
  }

  /**
   * The node's authenticator: reads {@code auth.publicKeyFile} (on a worker) and fetches
   * {@code auth.jwksUrl} once (then keeps refreshing it).
   *
   * @return a future failing with one line naming the key when the key file holds no usable
   *     key or the JWKS cannot be fetched
   */
  public static Future<Authenticator> start(Vertx vertx, AuthOptions options,
      MeterRegistry registry) {
    return vertx.executeBlocking(() -> options.publicKeyFile().isEmpty()
        ? List.<com.nimbusds.jose.jwk.JWK>of() : PublicKeyFile.read(options.publicKeyFile()))
        .compose(fileKeys -> {
          if (options.jwksUrl().isEmpty()) {
            return Future.succeededFuture(create(vertx, options, fileKeys, null));
          }
          JwksSource jwks = new JwksSource(vertx, options.jwksUrl(), options.jwksRefreshSeconds(),
              options.jwksMinRefreshSeconds(), registry);
          return jwks.start().map(v -> create(vertx, options, fileKeys, jwks))
              .onFailure(e -> jwks.close());
        });
  }

  private static Authenticator create(Vertx vertx, AuthOptions options,
      List<com.nimbusds.jose.jwk.JWK> fileKeys, JwksSource jwks) {
    PublicKeyTokens publicKeys = fileKeys.isEmpty() && jwks == null ? null
        : new PublicKeyTokens(fileKeys, jwks, options.issuer(), options.audience(),
            options.clockSkewSeconds());
    return new Authenticator(vertx, options, publicKeys, jwks);
  }

  /** The eid the token names, or a failed future with a reason fit for a Goodbye. */
  public Future<String> authenticate(String token) {
    return authenticateHello(token).map(Authenticated::eid);
  }

  /**
   * The eid and bound key of a Hello token, or a failed future with a reason fit for a
   * Goodbye 401. Completes on the caller's context.
   */
  public Future<Authenticated> authenticateHello(String token) {
    try {
      return checkHello(token);
    } catch (RuntimeException e) {
      // a token the libraries choke on (e.g. an "exp" that is not a number): refused, not thrown
      return Future.failedFuture("invalid token: its claims cannot be read ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  private Future<Authenticated> checkHello(String token) {
    if (token == null || token.isEmpty()) {
      return Future.failedFuture("missing token");
    }
    JWT parsed;
    try {
      parsed = JWTParser.parse(token);
    } catch (java.text.ParseException | RuntimeException e) {
      // nimbus refuses a header whose crit is not an array of names as no JWS header at all
      String crit = refusedCrit(headerOf(token));
      return Future.failedFuture(crit != null ? crit : "invalid token: not a JWT");
    }
    if (!(parsed instanceof SignedJWT signed)) {
      return Future.failedFuture("invalid token: unsigned tokens (alg none) are refused");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    boolean hs = JWSAlgorithm.HS256.equals(alg);
    if (hs ? hs256 == null : publicKeys == null || !PublicKeyTokens.handles(alg)) {
      return Future.failedFuture("invalid token: " + shown(String.valueOf(alg))
          + " tokens are not accepted here");
    }
    String refused = refusedUnverified(signed);
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    if (hs) {
      return hs256.authenticate(new TokenCredentials(token))
          .recover(e -> Future.failedFuture("invalid token: " + e.getMessage()))
          .compose(user -> authenticated(claims(user)));
    }
    if (!publicKeys.unknownKid(signed)) {
      return verify(signed);
    }
    Context caller = vertx.getOrCreateContext();
    Promise<Authenticated> result = Promise.promise();
    jwks.refreshForUnknownKid().onComplete(v -> caller.runOnContext(x ->
        verify(signed).onComplete(result)));
    return result.future();
  }

  /**
   * The checks made here for every algorithm, since the libraries get them wrong, or null when
   * the token passes them. Each can only refuse, so it needs no signature check first.
   *
   * <p>{@code crit} (RFC 7515 §4.1.11): a recipient must refuse a token whose {@code crit} lists
   * an extension it does not understand, and this node understands none. vertx-auth-jwt (HS256)
   * ignores {@code crit}, and nimbus refuses it as a bad signature. Any {@code crit} member is
   * refused, an empty or null one too (the RFC allows neither).
   *
   * <p>{@code nbf} and {@code iat}: vertx-auth-jwt calls a token that is not valid yet, or issued
   * in the future, "expired". The bound is
   * its own (later than now + {@code auth.clockSkewSeconds}, in whole seconds; nimbus's differs
   * by under a second), so the tolerated skew stays as configured. An {@code nbf} that is not a
   * number is left to the libraries, which refuse it as unreadable.
   */
  private String refusedUnverified(SignedJWT token) {
    Map<String, Object> header;
    try { // the header as sent: nimbus's own copy forgets a crit that is empty or null
      header = JSONObjectUtils.parse(token.getHeader().getParsedBase64URL().decodeToString());
    } catch (java.text.ParseException e) {
      return "invalid token: not a JWT"; // parsed once already: does not happen
    }
    String crit = refusedCrit(header);
    if (crit != null) {
      return crit;
    }
    Map<String, Object> claims = token.getPayload().toJSONObject();
    if (claims == null) {
      return null;
    }
    long now = Instant.now().getEpochSecond();
    String early = ahead(claims, "nbf", "not valid yet", now);
    return early != null ? early : ahead(claims, "iat", "issued in the future", now);
  }

  /**
   * The refusal of a header with {@code crit}, or null when it has none (see
   * {@link #refusedUnverified}). The names echoed are cut at {@link #MAX_SHOWN} characters.
   */
  private static String refusedCrit(Map<String, Object> header) {
    if (header == null || !header.containsKey("crit")) {
      return null;
    }
    Object crit = header.get("crit");
    if (crit != null && !(crit instanceof List)) {
      return "invalid token: its crit header parameter is not a JSON array";
    }
    String names = String.valueOf(crit);
    return "invalid token: it has critical header parameters the node does not support: "
        + shown(names);
  }

  /** What a refusal echoes of a header value: at most {@link #MAX_SHOWN} characters. */
  private static String shown(String value) {
    return value.length() <= MAX_SHOWN ? value : value.substring(0, MAX_SHOWN) + "...";
  }

  /** The JSON header of a token the parser refused, or null when it is not a JSON object. */
  private static Map<String, Object> headerOf(String token) {
    int dot = token.indexOf('.');
    if (dot < 0) {
      return null;
    }
    try {
      return JSONObjectUtils.parse(new Base64URL(token.substring(0, dot)).decodeToString());
    } catch (java.text.ParseException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The refusal of a time claim later than now beyond the clock skew, or null. (vertx-auth-jwt
   * calls both an {@code nbf} and an {@code iat} in the future "expired"; nimbus does not check
   * {@code iat} at all.)
   */
  private String ahead(Map<String, Object> claims, String claim, String what, long now) {
    if (claims.get(claim) instanceof Number n && n.longValue() > now + options.clockSkewSeconds()) {
      return "invalid token: " + what + " (" + claim + " is " + (n.longValue() - now)
          + " s ahead of the node's clock, which tolerates " + options.clockSkewSeconds() + " s)";
    }
    return null;
  }

  /** RS256/ES256: hundreds of microseconds with the JDK, so on the verifier threads. */
  private Future<Authenticated> verify(SignedJWT token) {
    // with the claims whose value is null: "cnf": null must not read as no cnf
    return verifiers().executeBlocking(() -> publicKeys.verify(token).toJSONObject(true), false)
        .recover(e -> Future.failedFuture("invalid token: " + e.getMessage()))
        .compose(this::authenticated);
  }

  private Future<Authenticated> authenticated(Map<String, Object> claims) {
    Object sub = claims.get("sub");
    if (!(sub instanceof String eid) || eid.isEmpty()) {
      return Future.failedFuture("token has no sub claim");
    }
    String odd = subCharactersRefusal(eid);
    if (odd != null) {
      return Future.failedFuture(odd);
    }
    Object cnf = claims.get("cnf");
    KeyBinding binding;
    try {
      if (cnf == null && claims.containsKey("cnf")) {
        // "cnf": null is a cnf without a key, not a token that binds none
        cnf = Map.of();
      }
      binding = KeyBinding.fromCnf(cnf);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture("invalid token: " + e.getMessage());
    }
    if (binding == null && options.requireKeyBinding()) {
      return Future.failedFuture("token binds no device key (cnf), and this node requires one");
    }
    return Future.succeededFuture(new Authenticated(eid, binding, validUntil(claims.get("exp"))));
  }

  /** {@code exp} plus the clock skew, in epoch milliseconds; {@link Long#MAX_VALUE} without. */
  private long validUntil(Object exp) {
    if (!(exp instanceof Number n)) {
      return Long.MAX_VALUE; // none (one that is not a number was refused already)
    }
    double millis = (n.doubleValue() + options.clockSkewSeconds()) * 1000;
    return millis >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) millis;
  }

  /**
   * Why a Hello refuses {@code sub} for its characters, or null when they are fine: an unpaired
   * surrogate (JSON can escape one, no UTF-8 text holds it: on the wire, in the store and in
   * the cluster it would turn into "?", making the session another eid's), or a control
   * character (a NUL breaks the node's stream keys, eid NUL eid; a line break forges log
   * lines). The {@code token} command and development tokens refuse such eids too.
   */
  public static String subCharactersRefusal(String sub) {
    if (hasUnpairedSurrogate(sub)) {
      return "token sub must be well-formed Unicode: it has an unpaired surrogate";
    }
    int control = firstControl(sub);
    if (control >= 0) {
      return String.format("token sub must not hold control characters (U+%04X at index %d)",
          (int) sub.charAt(control), control);
    }
    return null;
  }

  /** The index of the first control character (C0, DEL, C1) of {@code s}, or -1. */
  static int firstControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /** Whether {@code s} holds a UTF-16 surrogate that is not half of a pair. */
  static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, Object> claims(User user) {
    JsonObject claims = user.attributes().getJsonObject("accessToken");
    return (claims != null ? claims : user.principal()).getMap();
  }

  /**
   * A per-session check of message signatures with a bound key, verifying on this node's
   * verifier threads the messages {@code precheck} passes and releasing frames in arrival
   * order on {@code context} (see {@link SignatureCheck}).
   */
  public SignatureCheck signatureCheck(KeyBinding binding, String eid, Context context,
      ToIntFunction<Message> precheck, Consumer<Boolean> meter, Runnable pause,
      Runnable resume) {
    return new SignatureCheck(binding, eid, verifiers(), context, precheck, meter, pause,
        resume);
  }

  private synchronized WorkerExecutor verifiers() {
    if (verifiers == null) {
      verifiers = vertx.createSharedWorkerExecutor("phoenix-signatures", VERIFIER_THREADS);
    }
    return verifiers;
  }

  /** The JWKS's state for /health/ready, or null without {@code auth.jwksUrl}. */
  public JsonObject jwksHealth() {
    return jwks == null ? null : jwks.health();
  }

  /** Stops the JWKS refresh. */
  public void close() {
    if (jwks != null) {
      jwks.close();
    }
  }

  /** A signed HS256 token for {@code eid}, valid for {@code ttlSeconds}. */
  public String issue(String eid, long ttlSeconds) {
    return issue(eid, ttlSeconds, null);
  }

  /**
   * A signed HS256 token for {@code eid}, valid for {@code ttlSeconds}, binding the device key
   * {@code cnfJwk} (a public JWK) when it is not null.
   *
   * @throws IllegalStateException when {@code auth.jwtSecret} is not set
   */
  public String issue(String eid, long ttlSeconds, JsonObject cnfJwk) {
    if (hs256 == null) {
      throw new IllegalStateException("auth.jwtSecret is not set: this node cannot sign tokens");
    }
    JWTOptions o = new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds((int) ttlSeconds);
    if (!options.issuer().isEmpty()) {
      o.setIssuer(options.issuer());
    }
    if (!options.audience().isEmpty()) {
      o.setAudience(List.of(options.audience()));
    }
    JsonObject claims = new JsonObject().put("sub", eid);
    if (cnfJwk != null) {
      claims.put("cnf", new JsonObject().put("jwk", cnfJwk));
    }
    return hs256.generateToken(claims, o);
  }
}

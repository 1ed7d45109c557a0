package io.phoenix.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of {@code auth.jwksUrl}: fetched at start ({@link #start}: a failure stops the
 * node), refreshed every {@code auth.jwksRefreshSeconds}, and on demand when a token names an
 * unknown {@code kid} — at most once per {@code auth.jwksMinRefreshSeconds}. A fetch is bounded
 * in time ({@link #FETCH_TIMEOUT_MS} for the whole exchange) and size ({@link #MAX_BYTES}); a
 * fetch that fails keeps the last good keys, is logged, counted
 * ({@code phoenix_jwks_refresh_failures_total}, {@code phoenix_jwks_stale}) and shown by
 * {@link #health()}. Only RSA (2048 bits or more) and EC P-256 signing keys are kept.
 *
 * <p>Thread-safe: the keys are an immutable list swapped atomically; fetches run on the
 * HTTP client's event loop, never blocking it.
 */
public final class JwksSource {
  /** Longest a fetch may take, connection to last byte. */
  public static final long FETCH_TIMEOUT_MS = 5_000;
  /** Largest JWKS document accepted. */
  public static final int MAX_BYTES = 256 * 1024;
  /** Most keys kept from one document. */
  public static final int MAX_KEYS = 100;

  private static final Logger log = LoggerFactory.getLogger(JwksSource.class);

  private final Vertx vertx;
  private final String url;
  private final long minRefreshMs;
  private final long refreshMs;
  private final HttpClient http;
  private final Counter failures;
  private volatile List<JWK> keys = List.of();
  private volatile String lastError;
  private volatile Instant lastSuccess;
  /** When the last fetch started (System.nanoTime: a wall clock set back must not stall it). */
  private long lastFetchStartNanos;
  private boolean fetchedOnce;
  private Future<Void> inFlight;
  private long timer = -1;

  public JwksSource(Vertx vertx, String url, int refreshSeconds, int minRefreshSeconds,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.url = url;
    this.refreshMs = refreshSeconds * 1000L;
    this.minRefreshMs = minRefreshSeconds * 1000L;
    this.http = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) FETCH_TIMEOUT_MS)
        .setMaxRedirects(0)
        .setKeepAlive(false));
    this.failures = Counter.builder("phoenix_jwks_refresh_failures")
        .description("JWKS fetches that failed (the last good keys stay in use)")
        .register(registry);
    Gauge.builder("phoenix_jwks_stale", this, s -> s.lastError == null ? 0 : 1)
        .description("1 while the last JWKS fetch failed and older keys are in use")
        .register(registry);
    Gauge.builder("phoenix_jwks_keys", this, s -> s.keys.size())
        .description("Signing keys currently known from the JWKS").register(registry);
  }

  /**
   * Fetches the document once and starts the regular refresh.
   *
   * @return a future failing with a one-line reason naming {@code auth.jwksUrl}
   */
  public Future<Void> start() {
    return fetch().recover(e -> Future.failedFuture(new IllegalStateException(
        "auth.jwksUrl " + url + " could not be fetched: " + e.getMessage())))
        .onSuccess(v -> timer = vertx.setPeriodic(refreshMs, id -> refresh()));
  }

  /** The current keys (immutable). */
  public List<JWK> keys() {
    return keys;
  }

  /** Whether a key with this {@code kid} is known. */
  public boolean knows(String kid) {
    for (JWK k : keys) {
      if (kid.equals(k.getKeyID())) {
        return true;
      }
    }
    return false;
  }

  /**
   * A token named an unknown {@code kid}: fetches again unless a fetch started less than
   * {@code auth.jwksMinRefreshSeconds} ago (then joins it if it still runs). Never fails.
   */
  public synchronized Future<Void> refreshForUnknownKid() {
    if (inFlight != null) {
      return inFlight;
    }
    if (fetchedOnce
        && System.nanoTime() - lastFetchStartNanos < TimeUnit.MILLISECONDS.toNanos(minRefreshMs)) {
      return Future.succeededFuture();
    }
    return refresh();
  }

  /** Fetches now (joining a fetch that runs); completes once it is over, never fails. */
  public synchronized Future<Void> refresh() {
    if (inFlight == null) {
      Future<Void> f = fetch().recover(e -> Future.succeededFuture());
      inFlight = f;
      f.onComplete(ar -> {
        synchronized (this) {
          inFlight = null;
        }
      });
      return f;
    }
    return inFlight;
  }

  /** {@code {"status":"UP"|"STALE","keys":n,"lastSuccess":…,"error":…}} for /health/ready. */
  public JsonObject health() {
    JsonObject h = new JsonObject().put("status", lastError == null ? "UP" : "STALE")
        .put("url", url).put("keys", keys.size());
    if (lastSuccess != null) {
      h.put("lastSuccess", lastSuccess.toString());
    }
    if (lastError != null) {
      h.put("error", lastError);
    }
    return h;
  }

  public void close() {
    vertx.cancelTimer(timer);
    http.close();
  }

  private Future<Void> fetch() {
    synchronized (this) {
      lastFetchStartNanos = System.nanoTime();
      fetchedOnce = true;
    }
    return download().map(JwksSource::parse).andThen(ar -> {
      if (ar.succeeded()) {
        keys = ar.result();
        lastSuccess = Instant.now();
        if (lastError != null) {
          log.info("auth.jwksUrl {} answers again: {} keys", url, keys.size());
        }
        lastError = null;
      } else {
        failures.increment();
        lastError = ar.cause().getMessage();
        log.warn("auth.jwksUrl {} could not be fetched, keeping the {} keys known: {}", url,
            keys.size(), lastError);
      }
    }).mapEmpty();
  }

  /** The document's body: status 200, at most {@link #MAX_BYTES}, within the timeout. */
  private Future<Buffer> download() {
    Promise<Buffer> body = Promise.promise();
    HttpClientRequest[] request = new HttpClientRequest[1];
    long deadline = vertx.setTimer(FETCH_TIMEOUT_MS, id -> {
      if (body.tryFail("no complete answer within " + FETCH_TIMEOUT_MS + " ms")
          && request[0] != null) {
        request[0].reset();
      }
    });
    http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
            .putHeader("accept", "application/json"))
        .compose(req -> {
          request[0] = req;
          return req.send();
        })
        .onFailure(e -> body.tryFail(e.getMessage() == null ? e.toString() : e.getMessage()))
        .onSuccess(resp -> {
          if (resp.statusCode() != 200) {
            body.tryFail("HTTP status " + resp.statusCode());
            resp.request().reset();
            return;
          }
          Buffer buffer = Buffer.buffer();
          resp.handler(chunk -> {
            if (buffer.length() + chunk.length() > MAX_BYTES) {
              if (body.tryFail("the document is larger than " + MAX_BYTES + " bytes")) {
                resp.request().reset();
              }
            } else {
              buffer.appendBuffer(chunk);
            }
          });
          resp.exceptionHandler(e -> body.tryFail(String.valueOf(e.getMessage())));
          resp.endHandler(v -> body.tryComplete(buffer));
        });
    return body.future().andThen(ar -> vertx.cancelTimer(deadline));
  }

  /** The usable signing keys of a JWKS document. */
  static List<JWK> parse(Buffer body) {
    JWKSet set;
    try {
      set = JWKSet.parse(body.toString(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.text.ParseException | RuntimeException e) {
      throw new IllegalArgumentException("not a JWKS document: " + e.getMessage());
    }
    List<JWK> usable = new ArrayList<>();
    for (JWK k : set.getKeys()) {
      if (k.isPrivate() || (k.getKeyUse() != null && !KeyUse.SIGNATURE.equals(k.getKeyUse()))) {
        continue;
      }
      boolean rsa = k instanceof RSAKey r && r.size() >= PublicKeyFile.MIN_RSA_BITS;
      boolean p256 = k instanceof ECKey ec && Curve.P_256.equals(ec.getCurve());
      if ((rsa || p256) && usable.size() < MAX_KEYS) {
        usable.add(k);
      }
    }
    return List.copyOf(usable);
  }
}

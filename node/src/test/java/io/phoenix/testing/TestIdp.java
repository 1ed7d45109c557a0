package io.phoenix.testing;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in identity provider for tests: RSA and EC P-256 signing keys with key ids, tokens
 * signed with them (nimbus-jose-jwt signers), and their JWKS served over HTTP by a real Vert.x
 * server on loopback, whose answer a test can change (rotate keys, fail, hang, grow huge) and
 * whose fetches it can count.
 */
public final class TestIdp implements AutoCloseable {
  public static final String ISSUER = "https://idp.test/";
  public static final String AUDIENCE = "phoenix";

  /** How the JWKS endpoint answers. */
  public enum Mode { SERVE, FAIL, HANG, HUGE }

  private final List<JWK> published = new CopyOnWriteArrayList<>();
  private final AtomicInteger fetches = new AtomicInteger();
  private volatile Mode mode = Mode.SERVE;
  private HttpServer server;

  /** A new RSA 2048 key with this kid. */
  public static RSAKey rsa(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new EC P-256 key with this kid. */
  public static ECKey ec(String kid) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Publishes {@code key}'s public part in the JWKS. */
  public TestIdp publish(JWK key) {
    published.add(key.toPublicJWK());
    return this;
  }

  public TestIdp mode(Mode m) {
    this.mode = m;
    return this;
  }

  /** How many times the JWKS was asked for. */
  public int fetches() {
    return fetches.get();
  }

  /** Starts serving the JWKS at {@link #url()}. */
  public TestIdp serve(Vertx vertx) {
    server = vertx.createHttpServer().requestHandler(req -> {
      fetches.incrementAndGet();
      switch (mode) {
        case SERVE -> req.response().putHeader("content-type", "application/json")
            .end(new JWKSet(new ArrayList<>(published)).toString());
        case FAIL -> req.response().setStatusCode(500).end("down");
        case HANG -> { } // never answers
        case HUGE -> {
          StringBuilder padding = new StringBuilder();
          while (padding.length() < 2_000_000) {
            padding.append("0123456789abcdef");
          }
          req.response().putHeader("content-type", "application/json")
              .end("{\"keys\":[],\"padding\":\"" + padding + "\"}");
        }
      }
    });
    try {
      server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return this;
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/.well-known/jwks.json";
  }

  /** The standard claims of a good token for {@code eid}: iss, aud, sub, iat, exp in an hour. */
  public static JWTClaimsSet.Builder claims(String eid) {
    long now = System.currentTimeMillis();
    return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject(eid)
        .issueTime(new Date(now)).expirationTime(new Date(now + 3_600_000));
  }

  /** A token for {@code eid} with the standard claims, signed by {@code key} (RS256 or ES256). */
  public static String token(JWK key, String eid) {
    return token(key, claims(eid).build());
  }

  /** A token with {@code claims}, signed by {@code key} (RS256 for RSA, ES256 for EC). */
  public static String token(JWK key, JWTClaimsSet claims) {
    try {
      JWSAlgorithm alg = key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256;
      JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r)
          : new ECDSASigner((ECKey) key);
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID())
          .type(JOSEObjectType.JWT).build(), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The standard claims plus a {@code cnf} binding {@code jwk} (a public JWK as JSON). */
  public static JWTClaimsSet bound(String eid, JsonObject jwk) {
    return claims(eid).claim("cnf", Map.of("jwk", jwk.getMap())).build();
  }

  /** Writes the public keys as PEM ({@code -----BEGIN PUBLIC KEY-----}) to {@code file}. */
  public static Path pemFile(Path file, JWK... keys) throws Exception {
    StringBuilder pem = new StringBuilder();
    for (JWK k : keys) {
      byte[] der = k instanceof RSAKey r ? r.toRSAPublicKey().getEncoded()
          : ((ECKey) k).toECPublicKey().getEncoded();
      pem.append(TestPki.pem("PUBLIC KEY", der));
    }
    return Files.writeString(file, pem);
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}

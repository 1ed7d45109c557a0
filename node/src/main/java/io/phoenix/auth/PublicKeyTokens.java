package io.phoenix.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.security.Key;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks RS256 and ES256 tokens of an identity provider (PROTOCOL.md §10) with nimbus-jose-jwt:
 * the signature against the keys of {@code auth.publicKeyFile} and {@code auth.jwksUrl}, then
 * {@code iss}, {@code aud} (when configured), {@code exp} and {@code nbf} with the clock skew,
 * and a non-empty {@code sub}. A token's {@code alg} must fit its key: RS256 only with RSA
 * keys, ES256 only with P-256 keys; every other algorithm (HS256 included: that is
 * {@code auth.jwtSecret}'s business, never a public key used as a secret) finds no key.
 *
 * <p>Thread-safe: the processor is immutable once built, the key lists are read on each call.
 */
public final class PublicKeyTokens {
  /** The algorithms this class checks. */
  public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256,
      JWSAlgorithm.ES256);

  private final List<JWK> fileKeys;
  private final JwksSource jwks;
  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

  /**
   * @param fileKeys keys of {@code auth.publicKeyFile} (they match any {@code kid})
   * @param jwks the JWKS, or null
   * @param issuer required {@code iss}, or empty
   * @param audience required {@code aud}, or empty
   * @param clockSkewSeconds tolerance on {@code exp} and {@code nbf}
   */
  public PublicKeyTokens(List<JWK> fileKeys, JwksSource jwks, String issuer, String audience,
      int clockSkewSeconds) {
    this.fileKeys = List.copyOf(fileKeys);
    this.jwks = jwks;
    JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
    if (!issuer.isEmpty()) {
      exact.issuer(issuer);
    }
    Set<String> required = new HashSet<>(Set.of("sub"));
    if (!issuer.isEmpty()) {
      required.add("iss");
    }
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
        audience.isEmpty() ? null : Set.of(audience), exact.build(), required, null);
    claims.setMaxClockSkew(clockSkewSeconds);
    processor.setJWTClaimsSetVerifier(claims);
    processor.setJWSKeySelector(new Selector());
    // plain JWTs and OAuth access tokens (RFC 9068) alike
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT,
        new JOSEObjectType("at+jwt"), null));
  }

  /** Whether {@code alg} is one this class checks. */
  public static boolean handles(JWSAlgorithm alg) {
    return ALGORITHMS.contains(alg);
  }

  /** Whether the token names a {@code kid} that no known key has (a JWKS refresh may help). */
  public boolean unknownKid(SignedJWT token) {
    String kid = token.getHeader().getKeyID();
    return jwks != null && kid != null && !jwks.knows(kid);
  }

  /**
   * Verifies signature and claims.
   *
   * @return the claims
   * @throws IllegalArgumentException with a short reason fit for a Goodbye
   */
  public JWTClaimsSet verify(SignedJWT token) {
    try {
      return processor.process(token, null);
    } catch (BadJOSEException e) {
      throw new IllegalArgumentException(e.getMessage());
    } catch (JOSEException e) {
      throw new IllegalArgumentException("cannot check the signature: " + e.getMessage());
    }
  }

  /** The keys that may have signed a token with this header: type and kid must fit. */
  private final class Selector implements JWSKeySelector<SecurityContext> {
    @Override
    public List<? extends Key> selectJWSKeys(JWSHeader header, SecurityContext context)
        throws com.nimbusds.jose.KeySourceException {
      JWSAlgorithm alg = header.getAlgorithm();
      if (!handles(alg)) {
        return List.of();
      }
      List<Key> keys = new ArrayList<>();
      try {
        for (JWK k : fileKeys) {
          add(keys, k, alg);
        }
        if (jwks != null) {
          String kid = header.getKeyID();
          for (JWK k : jwks.keys()) {
            if ((kid == null || kid.equals(k.getKeyID()))
                && (k.getAlgorithm() == null || k.getAlgorithm().equals(alg))) {
              add(keys, k, alg);
            }
          }
        }
      } catch (JOSEException e) {
        throw new com.nimbusds.jose.KeySourceException(e.getMessage(), e);
      }
      return keys;
    }

    private void add(List<Key> keys, JWK k, JWSAlgorithm alg) throws JOSEException {
      if (alg.equals(JWSAlgorithm.RS256) && k instanceof RSAKey rsa) {
        keys.add(rsa.toRSAPublicKey());
      } else if (alg.equals(JWSAlgorithm.ES256) && k instanceof ECKey ec) {
        keys.add(ec.toECPublicKey());
      }
    }
  }
}

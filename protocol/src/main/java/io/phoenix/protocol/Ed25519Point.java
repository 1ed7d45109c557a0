package io.phoenix.protocol;

import java.math.BigInteger;
import java.security.spec.InvalidKeySpecException;

/**
 * Checks the encoding of an Ed25519 public key before it is trusted: decodes the point as
 * RFC 8032 §5.1.3 says (refusing a y of p or more, an x that does not exist, and the sign bit
 * set for x = 0), then refuses a point of small order, whose multiple by the cofactor 8 is the
 * neutral point. BigInteger arithmetic, one inversion and one exponentiation: some tens of
 * microseconds, once per bound key (at Hello).
 *
 * <p>Stateless; thread-safe.
 */
final class Ed25519Point {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  /** d = -121665 / 121666 mod p. */
  private static final BigInteger D = BigInteger.valueOf(-121665)
      .multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
  /** A square root of -1 mod p: 2^((p-1)/4). */
  private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(
      P.subtract(BigInteger.ONE).shiftRight(2), P);

  private Ed25519Point() {}

  /**
   * @param encoded the 32 bytes of a public key (little-endian y, top bit the sign of x)
   * @throws InvalidKeySpecException when they do not name a point, or name one of small order
   */
  static void check(byte[] encoded) throws InvalidKeySpecException {
    byte[] bigEndian = new byte[32];
    for (int i = 0; i < 32; i++) {
      bigEndian[i] = encoded[31 - i];
    }
    boolean xOdd = (bigEndian[0] & 0x80) != 0;
    bigEndian[0] &= 0x7f;
    BigInteger y = new BigInteger(1, bigEndian);
    if (y.compareTo(P) >= 0) {
      throw new InvalidKeySpecException("not the canonical encoding of an Ed25519 point");
    }
    BigInteger y2 = y.multiply(y).mod(P);
    BigInteger u = y2.subtract(BigInteger.ONE).mod(P);
    BigInteger v = D.multiply(y2).add(BigInteger.ONE).mod(P);
    BigInteger x2 = u.multiply(v.modInverse(P)).mod(P);
    BigInteger x;
    if (x2.signum() == 0) {
      if (xOdd) {
        throw new InvalidKeySpecException("not the canonical encoding of an Ed25519 point");
      }
      x = BigInteger.ZERO;
    } else {
      x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
      if (!x.multiply(x).mod(P).equals(x2)) {
        x = x.multiply(SQRT_M1).mod(P);
      }
      if (!x.multiply(x).mod(P).equals(x2)) {
        throw new InvalidKeySpecException("not a point of Ed25519");
      }
      if (x.testBit(0) != xOdd) {
        x = P.subtract(x);
      }
    }
    // times the cofactor 8: three doublings, in projective coordinates (X : Y : Z) so that
    // none needs an inversion; the neutral point is (0 : Z : Z)
    BigInteger[] q = {x, y, BigInteger.ONE};
    for (int i = 0; i < 3; i++) {
      q = twice(q);
    }
    if (q[0].signum() == 0 && q[1].equals(q[2])) {
      throw new InvalidKeySpecException("a point of small order, which no private key matches");
    }
  }

  /**
   * Twice the point (X : Y : Z) of -x² + y² = 1 + d x² y²: with B = (X + Y)², C = X², D = Y²,
   * F = D - C and J = F - 2 Z², it is ((B - C - D) J : -F (C + D) : F J), all mod p.
   */
  private static BigInteger[] twice(BigInteger[] q) {
    BigInteger b = q[0].add(q[1]).pow(2);
    BigInteger c = q[0].pow(2);
    BigInteger d = q[1].pow(2);
    BigInteger f = d.subtract(c);
    BigInteger j = f.subtract(q[2].pow(2).shiftLeft(1));
    return new BigInteger[] {b.subtract(c).subtract(d).multiply(j).mod(P),
        f.negate().multiply(c.add(d)).mod(P), f.multiply(j).mod(P)};
  }
}

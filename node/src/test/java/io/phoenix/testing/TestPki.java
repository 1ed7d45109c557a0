package io.phoenix.testing;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at test time (EC P-256, BouncyCastle in test scope only): its
 * certificate as a PEM file, and leaf certificates it issues for given host names and IP
 * addresses, usable as TLS server and client certificates. Nothing is committed: every run
 * makes its own keys under a temporary folder.
 */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A leaf certificate (its file may hold the chain) and its PKCS#8 key, as PEM files. */
  public record Issued(Path cert, Path key) {}

  private final Path dir;
  private final String name;
  private final KeyPair keys;
  private final X509Certificate certificate;
  private final Path caFile;

  private TestPki(Path dir, String name) throws Exception {
    this.dir = dir;
    this.name = name;
    this.keys = p256();
    X500Name subject = new X500Name("CN=" + name + " test CA");
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
        new Date(System.currentTimeMillis() - 3_600_000), new Date(System.currentTimeMillis()
        + 86_400_000L), subject, keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign
        | KeyUsage.cRLSign));
    this.certificate = sign(b, keys);
    this.caFile = Files.writeString(dir.resolve(name + "-ca.pem"), pem("CERTIFICATE",
        certificate.getEncoded()));
  }

  /** A new CA named {@code name}, its files in {@code dir}. */
  public static TestPki create(Path dir, String name) {
    try {
      return new TestPki(dir, name);
    } catch (Exception e) {
      throw new IllegalStateException("cannot make a test CA", e);
    }
  }

  /** The CA certificate (PEM). */
  public Path caFile() {
    return caFile;
  }

  /**
   * A certificate for {@code names} (host names, or IP addresses such as 127.0.0.1), valid from
   * an hour ago for a day, for TLS servers and clients.
   */
  public Issued issue(String file, String... names) {
    return issue(file, new Date(System.currentTimeMillis() - 3_600_000),
        new Date(System.currentTimeMillis() + 86_400_000L), names);
  }

  /** A certificate valid from {@code notBefore} to {@code notAfter}. */
  public Issued issue(String file, Date notBefore, Date notAfter, String... names) {
    try {
      KeyPair leaf = p256();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          new X500Name("CN=" + name + " test CA"), serial(), notBefore, notAfter,
          new X500Name("CN=" + (names.length > 0 ? names[0] : file)), leaf.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      List<GeneralName> alt = new ArrayList<>();
      for (String n : names) {
        alt.add(new GeneralName(n.matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress
            : GeneralName.dNSName, n));
      }
      if (!alt.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(alt.toArray(GeneralName[]::new)));
      }
      X509Certificate cert = sign(b, keys);
      Path certFile = Files.writeString(dir.resolve(file + "-cert.pem"),
          pem("CERTIFICATE", cert.getEncoded()));
      Path keyFile = Files.writeString(dir.resolve(file + "-key.pem"),
          pem("PRIVATE KEY", leaf.getPrivate().getEncoded()));
      return new Issued(certFile, keyFile);
    } catch (Exception e) {
      throw new IllegalStateException("cannot issue a test certificate", e);
    }
  }

  /**
   * A self-signed certificate (its own issuer, no CA behind it) for {@code names}, as a server
   * would make for itself; its certificate file is also the only "CA file" that trusts it.
   */
  public static Issued selfSigned(Path dir, String file, String... names) {
    try {
      KeyPair keys = p256();
      X500Name subject = new X500Name("CN=" + names[0]);
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          new Date(System.currentTimeMillis() - 3_600_000),
          new Date(System.currentTimeMillis() + 86_400_000L), subject, keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      List<GeneralName> alt = new ArrayList<>();
      for (String n : names) {
        alt.add(new GeneralName(n.matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress
            : GeneralName.dNSName, n));
      }
      b.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(alt.toArray(GeneralName[]::new)));
      X509Certificate cert = sign(b, keys);
      return new Issued(Files.writeString(dir.resolve(file + "-cert.pem"),
          pem("CERTIFICATE", cert.getEncoded())), Files.writeString(dir.resolve(file
          + "-key.pem"), pem("PRIVATE KEY", keys.getPrivate().getEncoded())));
    } catch (Exception e) {
      throw new IllegalStateException("cannot make a self-signed certificate", e);
    }
  }

  /** PEM text of one block. */
  public static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** Writes a PEM file. */
  public static Path writePem(Path file, String type, byte[] der) throws IOException {
    return Files.writeString(file, pem(type, der));
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer)
      throws Exception {
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }

  private static KeyPair p256() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}

package io.phoenix.transport;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.phoenix.config.TlsOptions;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TCPSSLOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Date;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS of the client listeners: turns {@link TlsOptions} into Vert.x server options (certificate
 * and key from PEM files, TLS 1.2 and 1.3 only), and checks the two files before any listener
 * opens, so that a bad file stops the node with one line naming the key and the reason.
 *
 * <p>Threading: stateless. {@link #check} reads files: call it on a worker thread (or before
 * Vert.x starts), never on an event loop. {@link #apply} only sets options.
 */
public final class ServerTls {
  /** The only protocol versions the listeners accept. */
  public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  private ServerTls() {
  }

  /** Switches TLS on in {@code options} with the certificate and key of {@code tls}. */
  public static <T extends TCPSSLOptions> T apply(T options, TlsOptions tls) {
    options.setSsl(true)
        .setKeyCertOptions(keyCert(tls))
        .setEnabledSecureTransportProtocols(PROTOCOLS);
    return options;
  }

  /**
   * The server side of TLS for the listeners Phoenix serves on Netty's handlers ({@link Listener}):
   * the same certificate, key and protocol versions as {@link #apply}, on the JDK's TLS engine
   * as Vert.x uses it. Reads the files: call it on a worker thread.
   *
   * @throws IllegalStateException with a one-line message naming {@code tls.keyFile}
   */
  public static SslContext context(Vertx vertx, TlsOptions tls) {
    try {
      return SslContextBuilder.forServer(keyCert(tls).getKeyManagerFactory(vertx))
          .sslProvider(SslProvider.JDK)
          .protocols(PROTOCOLS)
          .build();
    } catch (Exception e) {
      throw failure("tls.keyFile", tls.keyFile(), "is not a usable PEM private key: "
          + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
  }

  private static KeyCertOptions keyCert(TlsOptions tls) {
    return new PemKeyCertOptions().setCertPath(tls.certFile()).setKeyPath(tls.keyFile());
  }

  /**
   * Loads the certificate and the key as the listeners will, and proves that the key belongs to
   * the certificate. Does nothing when no listener uses TLS; warns about a certificate outside
   * its validity period.
   *
   * @throws IllegalStateException with a one-line message naming {@code tls.certFile} or
   *     {@code tls.keyFile}, the file and the reason
   */
  public static void check(Vertx vertx, TlsOptions tls) {
    if (!tls.enabled()) {
      return;
    }
    checkPair(vertx, tls);
  }

  /**
   * Like {@link #check}, whether or not a listener uses TLS (the cluster's event bus uses the
   * same pair), with a short-lived Vert.x of its own to load the key.
   */
  public static void checkPair(TlsOptions tls) {
    Vertx vertx = Vertx.vertx();
    try {
      checkPair(vertx, tls);
    } finally {
      vertx.close();
    }
  }

  private static void checkPair(Vertx vertx, TlsOptions tls) {
    X509Certificate cert = certificate(tls.certFile());
    PrivateKey key = privateKey(vertx, tls, cert);
    if (!belongTogether(key, cert)) {
      throw failure("tls.keyFile", tls.keyFile(), "is not the private key of the certificate in "
          + "tls.certFile " + tls.certFile());
    }
    Date now = new Date();
    if (now.after(cert.getNotAfter())) {
      log.warn("tls.certFile {}: the certificate expired on {}; clients will refuse it",
          tls.certFile(), cert.getNotAfter().toInstant());
    } else if (now.before(cert.getNotBefore())) {
      log.warn("tls.certFile {}: the certificate is valid only from {}", tls.certFile(),
          cert.getNotBefore().toInstant());
    }
  }

  private static X509Certificate certificate(String file) {
    byte[] bytes = read("tls.certFile", file);
    if (!new String(bytes, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw failure("tls.certFile", file, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    try {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes));
      if (certs.isEmpty() || !(certs.iterator().next() instanceof X509Certificate first)) {
        throw failure("tls.certFile", file, "holds no X.509 certificate");
      }
      return first;
    } catch (CertificateException e) {
      throw failure("tls.certFile", file, "is not a valid PEM certificate: " + e.getMessage());
    }
  }

  /** The key as Vert.x loads it for the listeners (PKCS#8, PKCS#1 RSA or SEC1 EC PEM). */
  private static PrivateKey privateKey(Vertx vertx, TlsOptions tls, X509Certificate cert) {
    read("tls.keyFile", tls.keyFile());
    KeyManager[] managers;
    try {
      managers = keyCert(tls).getKeyManagerFactory(vertx).getKeyManagers();
    } catch (Exception e) {
      throw failure("tls.keyFile", tls.keyFile(), "is not a usable PEM private key: "
          + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    String type = cert.getPublicKey().getAlgorithm();
    for (KeyManager m : managers) {
      if (m instanceof X509KeyManager km) {
        String[] aliases = km.getServerAliases(type, null);
        if (aliases != null && aliases.length > 0) {
          return km.getPrivateKey(aliases[0]);
        }
      }
    }
    throw failure("tls.keyFile", tls.keyFile(), "holds no " + type
        + " private key for the certificate in tls.certFile " + tls.certFile());
  }

  /** Signs a probe with {@code key} and verifies it with the certificate's public key. */
  private static boolean belongTogether(PrivateKey key, X509Certificate cert) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> null;
    };
    if (algorithm == null) {
      return true; // no generic probe for this key type: the handshake will tell
    }
    if (!key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())) {
      return false;
    }
    byte[] probe = "phoenix tls key check".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] read(String key, String file) {
    try {
      byte[] bytes = Files.readAllBytes(Path.of(file));
      if (bytes.length == 0) {
        throw failure(key, file, "is empty");
      }
      return bytes;
    } catch (NoSuchFileException e) {
      throw failure(key, file, "does not exist");
    } catch (IOException e) {
      throw failure(key, file, "cannot be read: " + e);
    }
  }

  private static IllegalStateException failure(String key, String file, String reason) {
    String line = key + " " + file + " " + reason;
    return new IllegalStateException(line.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip());
  }
}

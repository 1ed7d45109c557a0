package io.phoenix.node;

import io.phoenix.config.TlsOptions;
import io.phoenix.transport.ServerTls;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;

/**
 * TLS of the clustered event bus ({@code cluster.tls}): each member listens and connects with
 * TLS 1.2/1.3, presents {@code tls.certFile}/{@code tls.keyFile}, and accepts only peers whose
 * certificate chains to {@code tls.caFile} (mutual authentication, in both directions). A
 * process without such a certificate completes no handshake, so it can neither send nor
 * receive an event-bus message. Hazelcast's own member protocol is not covered (its TLS is an
 * Enterprise feature): see docs/cluster.md.
 *
 * <p>Stateless. {@link #check} reads files and starts a short-lived Vert.x: call it before the
 * node's Vert.x starts, never on an event loop.
 */
public final class ClusterTls {
  private ClusterTls() {}

  /** Switches TLS with mutual authentication on in {@code bus}. */
  public static EventBusOptions apply(EventBusOptions bus, TlsOptions tls) {
    bus.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certFile())
            .setKeyPath(tls.keyFile()))
        .setTrustOptions(new PemTrustOptions().addCertPath(tls.caFile()))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(ServerTls.PROTOCOLS);
    return bus;
  }

  /**
   * Checks the member's certificate, key and CA file before the cluster is joined.
   *
   * @throws IllegalStateException with one line naming the key, the file and the reason
   */
  public static void check(TlsOptions tls) {
    ServerTls.checkPair(tls);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(Path.of(tls.caFile()));
    } catch (IOException e) {
      throw new IllegalStateException("tls.caFile " + tls.caFile() + " cannot be read: " + e);
    }
    if (!new String(bytes, java.nio.charset.StandardCharsets.US_ASCII)
        .contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalStateException("tls.caFile " + tls.caFile()
          + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    try {
      if (CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes)).isEmpty()) {
        throw new IllegalStateException("tls.caFile " + tls.caFile() + " holds no certificate");
      }
    } catch (CertificateException e) {
      throw new IllegalStateException("tls.caFile " + tls.caFile()
          + " is not a valid PEM certificate: " + e.getMessage());
    }
  }

}

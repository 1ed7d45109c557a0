package io.phoenix.client;

import java.io.EOFException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Turns a failed TLS connection into one readable line: the endpoint, and why its certificate
 * was refused (not from a trusted CA, not issued for the host, expired) or why the handshake
 * failed. Such failures are {@link UntrustedServerException}s: retrying does not help. A
 * handshake cut short by the connection (closed or reset by the other end, or not finished in
 * time) is not one of them: a node at its connection limit with TLS on its port, or one going
 * down, ends new connections so, and the client tries again like after any other loss.
 *
 * <p>Stateless; thread-safe.
 */
final class TlsProblem {
  private TlsProblem() {}

  /** {@code failure} itself, or an {@link UntrustedServerException} explaining it. */
  static Throwable explain(Endpoint endpoint, Throwable failure) {
    if (!endpoint.isTls()) {
      return failure;
    }
    String why = why(failure);
    if (why == null) {
      return failure;
    }
    return new UntrustedServerException("the certificate of " + endpoint.host() + ":"
        + endpoint.port() + " is not trusted: " + why);
  }

  /** A short reason when {@code failure} is a refused certificate, else null. */
  static String why(Throwable failure) {
    boolean handshake = false;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage() == null ? "" : t.getMessage();
      if (t instanceof CertificateExpiredException) {
        return "it has expired (" + m + ")";
      }
      if (t instanceof CertificateNotYetValidException) {
        return "it is not valid yet (" + m + ")";
      }
      if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException
          || m.contains("PKIX path") || m.contains("unable to find valid certification path")) {
        return "it is not signed by a trusted CA (self-signed, or its CA is not in the trust "
            + "store or the CA file)";
      }
      if (m.startsWith("No subject alternative") || m.startsWith("No name matching")) {
        return "it is not issued for this host (" + m + ")";
      }
      handshake |= t instanceof SSLHandshakeException;
      if (t instanceof SSLException && !handshake && m.contains("not an SSL/TLS record")) {
        return "the server does not speak TLS on this port";
      }
    }
    if (handshake && !connectionEnded(failure)) {
      return "the TLS handshake failed (" + oneLine(failure) + ")";
    }
    return null;
  }

  /**
   * Whether a failed handshake ended with the connection (closed or reset by the other end,
   * or timed out) rather than with a refusal of the server or of this client.
   */
  static boolean connectionEnded(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ClosedChannelException || t instanceof SocketException
          || t instanceof EOFException) {
        return true;
      }
      String m = t.getMessage() == null ? "" : t.getMessage();
      // Netty's "Connection closed while SSL/TLS handshake was in progress" and "handshake
      // timed out after …", the JDK's "Remote host terminated the handshake", and resets
      // reported as plain IOExceptions
      if (m.contains("Connection closed") || m.contains("terminated the handshake")
          || m.contains("timed out") || m.contains("Connection reset")
          || m.contains("Broken pipe")) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code host} is an IPv4 or IPv6 literal (no SNI is sent for those). */
  static boolean isIpLiteral(String host) {
    return host.matches("[0-9.]+") || host.indexOf(':') >= 0;
  }

  private static String oneLine(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage() == null ? root.toString() : root.getMessage();
    return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}

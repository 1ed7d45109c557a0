package io.phoenix.client;

/**
 * A TLS endpoint whose certificate did not verify (not from a trusted CA, not issued for the
 * host, expired) or whose TLS handshake was refused (not one the connection cut short: closed,
 * reset or timed out, which is retried like any loss). The message is one line naming the host
 * and port and the reason. A client that meets it stops (state FAILED): trying again would not
 * help, and going on without verification is not offered.
 *
 * <p>Immutable; thread-safe.
 */
public final class UntrustedServerException extends Exception {
  private static final long serialVersionUID = 1L;

  public UntrustedServerException(String message) {
    super(message, null, false, false);
  }

  /**
   * For code that opens its own Vert.x connections to a TLS endpoint: {@code failure} turned
   * into an UntrustedServerException when it is a refused certificate or failed handshake, else
   * {@code failure} itself.
   */
  public static Throwable explain(Endpoint endpoint, Throwable failure) {
    return TlsProblem.explain(endpoint, failure);
  }
}

package io.phoenix.protocol;

/**
 * A violation of the wire protocol by the peer: the connection is answered with
 * {@code Goodbye{status, message}} and closed. Carries no stack trace (it is expected input).
 */
public class ProtocolException extends RuntimeException {
  private final int status;

  public ProtocolException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}

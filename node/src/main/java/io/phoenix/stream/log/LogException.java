package io.phoenix.stream.log;

/**
 * A database operation failed (unreachable, disk full, corrupt). The store answers 503 to new
 * messages while writes fail and retries them; at start it stops the node with this message.
 *
 * <p>Immutable.
 */
public final class LogException extends Exception {
  private static final long serialVersionUID = 1L;

  public LogException(String message) {
    super(message);
  }

  public LogException(String message, Throwable cause) {
    super(message, cause);
  }
}

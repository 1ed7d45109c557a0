package io.phoenix.protocol;

/**
 * The HTTP-like status codes of the protocol (PROTOCOL.md §7), carried in
 * {@code MessagePeerAckSignal.status_code} and {@code Goodbye.status_code}.
 *
 * <p>Constants only; thread-safe.
 */
public final class Status {
  public static final int OK = 200;
  /** End of a SYNC listing. */
  public static final int END_OF_SYNC = 204;
  /** PULL_REQUEST answered in part: pull again after the last message received. */
  public static final int PARTIAL = 206;
  /** A retried message_id: stored once, answered with the same offset again. */
  public static final int DUPLICATE = 208;
  public static final int BAD_REQUEST = 400;
  public static final int UNAUTHORIZED = 401;
  public static final int FORBIDDEN = 403;
  /** DEVICE message with no online device to receive it. */
  public static final int NOT_FOUND = 404;
  public static final int TIMEOUT = 408;
  public static final int REPLACED = 409;
  public static final int TOO_LARGE = 413;
  public static final int RATE_LIMITED = 429;
  public static final int INTERNAL_ERROR = 500;
  public static final int UNAVAILABLE = 503;

  private Status() {}
}

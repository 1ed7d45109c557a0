package io.phoenix.client;

/**
 * Why a send did not succeed: the status of the node's ACCEPTED answer (400, 403, 404, 413,
 * 429/503 after the last retry, …), 413 also for a message the client did not write because
 * its frame is over the node's max_frame_bytes, or 0 when the client itself gave up (closed,
 * failed, or a DEVICE message cut off by a lost connection).
 *
 * <p>Immutable; thread-safe.
 */
public final class SendException extends RuntimeException {
  private final int status;

  public SendException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The ACCEPTED status, or 0 when no answer decided the outcome. */
  public int status() {
    return status;
  }
}

package io.phoenix.transport.ws;

import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.Status;

/**
 * A client broke RFC 6455 (or sent what Phoenix does not take, such as text): the session ends
 * with a Goodbye carrying {@link #status()}, then a close frame carrying {@link #closeCode()}.
 */
final class WebSocketException extends ProtocolException {
  /** RFC 6455 close code: the peer broke the protocol. */
  static final int PROTOCOL_ERROR = 1002;
  /** RFC 6455 close code: a kind of data the endpoint does not accept (here: text). */
  static final int UNSUPPORTED_DATA = 1003;

  private final int closeCode;

  WebSocketException(int closeCode, String message) {
    this(closeCode, Status.BAD_REQUEST, "websocket error: " + message);
  }

  WebSocketException(int closeCode, int status, String message) {
    super(status, message);
    this.closeCode = closeCode;
  }

  int closeCode() {
    return closeCode;
  }
}

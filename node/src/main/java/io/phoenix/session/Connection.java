package io.phoenix.session;

import io.phoenix.protocol.EncodedFrame;
import io.vertx.core.Future;

/**
 * One client connection as the session sees it, whatever the transport. Implemented by the
 * transports (TCP, WebSocket), which only adapt I/O.
 *
 * <p>Call on the connection's own context.
 */
public interface Connection {

  /** "tcp" or "ws". */
  String transport();

  /** Peer address, for logs. */
  String remoteAddress();

  /** Writes one frame; the future completes once it has been handed to the socket. */
  Future<Void> write(EncodedFrame frame);

  /** Stops reading from the peer until {@link #resume()}. */
  void pause();

  void resume();

  /** Closes once what was written so far has been flushed. */
  void close();
}

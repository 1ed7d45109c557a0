package io.phoenix.client;

import io.phoenix.protocol.v1.Frame;

/**
 * One open transport connection to a node, seen frame by frame: {@link TcpLink} or
 * {@link WebSocketLink}. Links only adapt I/O; the protocol is {@link ClientSession}'s business.
 *
 * <p>Used on the client's context.
 */
interface Link {

  /** Writes one frame, framed as the transport requires; ignored once closed. */
  void write(Frame frame);

  /** Closes the connection; {@link Handler#closed} follows. */
  void close();

  /** What a link reports. Called on the client's context. */
  interface Handler {
    /** A well-formed frame arrived. */
    void frame(Frame frame);

    /** The connection is gone, for the given reason (reported once). */
    void closed(String reason);
  }
}

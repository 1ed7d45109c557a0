package io.phoenix.protocol;

import io.vertx.core.buffer.Buffer;

/**
 * One frame serialized once, ready for either transport: the bytes are laid out as the TCP
 * form (varint length, then the body); the WebSocket form is a view of the body alone. A fan-out
 * encodes once and hands the same instance to every connection.
 *
 * <p>Immutable and thread-safe: the buffers handed out are views with their own indexes.
 */
public final class EncodedFrame {
  private final Buffer bytes;
  private final int prefixLength;

  EncodedFrame(Buffer bytes, int prefixLength) {
    this.bytes = bytes;
    this.prefixLength = prefixLength;
  }

  /** The frame with its varint length prefix, as written on a TCP stream. */
  public Buffer delimited() {
    return bytes.slice();
  }

  /**
   * Appends the frame with its varint length prefix to {@code out}: what {@link #delimited()}
   * holds, without a view of it. Reads this frame's bytes only, so several threads may append
   * the same frame at once.
   */
  public void appendDelimitedTo(Buffer out) {
    out.appendBuffer(bytes);
  }

  /** The frame body alone, as carried by one binary WebSocket message. */
  public Buffer body() {
    return bytes.slice(prefixLength, bytes.length());
  }

  /** Size of the body in bytes (what max_frame_bytes limits). */
  public int bodyLength() {
    return bytes.length() - prefixLength;
  }

  /** Size on a TCP stream, prefix included. */
  public int delimitedLength() {
    return bytes.length();
  }
}

package io.phoenix.transport.ws;

import io.phoenix.protocol.FrameTooLargeException;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.Status;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import java.util.function.Consumer;

/**
 * Joins the fragments of one binary WebSocket message and hands the whole message on. The size
 * is checked as fragments arrive, so a message over the limit is refused at the fragment that
 * crosses it, never buffered whole. Text messages are refused. Control frames (ping, pong,
 * close) are Vert.x's business and pass by.
 *
 * <p>Not thread-safe: one per connection, on its event loop.
 */
final class MessageAssembler {
  private final int maxBytes;
  private final Consumer<Buffer> sink;
  private Buffer partial;
  private boolean inText;

  MessageAssembler(int maxBytes, Consumer<Buffer> sink) {
    this.maxBytes = maxBytes;
    this.sink = sink;
  }

  /**
   * Takes the next frame.
   *
   * @throws ProtocolException 400 for text messages, 413 when the message grows past the limit
   */
  void feed(WebSocketFrame frame) {
    if (frame.isText() || (frame.isContinuation() && inText)) {
      inText = !frame.isFinal();
      throw new ProtocolException(Status.BAD_REQUEST, "text messages are not frames: send binary");
    }
    if (!frame.isBinary() && !frame.isContinuation()) {
      return;
    }
    Buffer data = frame.binaryData();
    long size = (frame.isBinary() || partial == null ? 0 : partial.length()) + data.length();
    if (size > maxBytes) {
      partial = null;
      throw new FrameTooLargeException(size, maxBytes);
    }
    if (frame.isFinal()) {
      Buffer whole = partial == null || frame.isBinary() ? data : partial.appendBuffer(data);
      partial = null;
      sink.accept(whole);
    } else if (frame.isBinary() || partial == null) {
      partial = Buffer.buffer((int) Math.min(maxBytes, 2L * data.length())).appendBuffer(data);
    } else {
      partial.appendBuffer(data);
    }
  }
}

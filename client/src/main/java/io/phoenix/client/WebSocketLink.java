package io.phoenix.client;

import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.v1.Frame;
import io.vertx.core.http.WebSocket;

/**
 * A {@link Link} over WebSocket: one binary message carries one frame, both ways.
 *
 * <p>Used on the client's context (the WebSocket's).
 */
final class WebSocketLink implements Link {
  private final WebSocket ws;
  private String closeReason = "connection closed";

  WebSocketLink(WebSocket ws, Handler handler) {
    this.ws = ws;
    ws.binaryMessageHandler(body -> {
      Frame frame;
      try {
        frame = FrameCodec.decode(body);
      } catch (ProtocolException e) {
        closeReason = "bad frame from node: " + e.getMessage();
        ws.close();
        return;
      }
      handler.frame(frame);
    });
    ws.textMessageHandler(text -> {
      closeReason = "node sent a text message";
      ws.close();
    });
    ws.exceptionHandler(e -> closeReason = "connection error: " + e.getMessage());
    ws.closeHandler(v -> handler.closed(closeReason));
  }

  @Override
  public void write(Frame frame) {
    ws.writeBinaryMessage(FrameCodec.encode(frame).body());
  }

  @Override
  public void close() {
    ws.close();
  }
}

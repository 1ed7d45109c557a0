package io.phoenix.transport.ws;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.session.Connection;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;

/**
 * A client over WebSocket with {@code http.webSocketCompression} on: Vert.x's WebSocket, which
 * negotiates permessage-deflate, carries one binary message per frame, no length prefix.
 * Without compression the node uses its own framing ({@link WebSocketConnection}).
 *
 * <p>Used on the socket's event loop.
 */
final class CompressedWebSocketConnection implements Connection {
  private final ServerWebSocket ws;

  CompressedWebSocketConnection(ServerWebSocket ws) {
    this.ws = ws;
  }

  @Override
  public String transport() {
    return "ws";
  }

  @Override
  public String remoteAddress() {
    return String.valueOf(ws.remoteAddress());
  }

  @Override
  public Future<Void> write(EncodedFrame frame) {
    return ws.writeBinaryMessage(frame.body());
  }

  @Override
  public void pause() {
    ws.pause();
  }

  @Override
  public void resume() {
    ws.resume();
  }

  @Override
  public void close() {
    if (!ws.isClosed()) {
      ws.close((short) 1000);
    }
  }
}

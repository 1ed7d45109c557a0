package io.phoenix.transport.ws;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.session.Connection;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;

/**
 * A client over WebSocket: one binary message per frame, no length prefix.
 *
 * <p>Used on the socket's event loop.
 */
final class WebSocketConnection implements Connection {
  private final ServerWebSocket ws;

  WebSocketConnection(ServerWebSocket ws) {
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

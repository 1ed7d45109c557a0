package io.phoenix.transport.tcp;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.session.Connection;
import io.vertx.core.Future;
import io.vertx.core.net.NetSocket;

/**
 * A client over TCP: frames are written with their varint length prefix.
 *
 * <p>Used on the socket's event loop.
 */
final class TcpConnection implements Connection {
  private final NetSocket socket;

  TcpConnection(NetSocket socket) {
    this.socket = socket;
  }

  @Override
  public String transport() {
    return "tcp";
  }

  @Override
  public String remoteAddress() {
    return String.valueOf(socket.remoteAddress());
  }

  @Override
  public Future<Void> write(EncodedFrame frame) {
    return socket.write(frame.delimited());
  }

  @Override
  public void pause() {
    socket.pause();
  }

  @Override
  public void resume() {
    socket.resume();
  }

  @Override
  public void close() {
    socket.end();
  }
}

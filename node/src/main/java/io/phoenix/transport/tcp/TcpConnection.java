package io.phoenix.transport.tcp;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.session.Connection;
import io.phoenix.transport.GatheredWrites;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.net.NetSocket;

/**
 * A client over TCP: frames are written with their varint length prefix. The frames written
 * during one run of the event loop's tasks go out together, in one socket write
 * ({@link GatheredWrites}).
 *
 * <p>Used on the socket's event loop.
 */
final class TcpConnection implements Connection {
  private final NetSocket socket;
  private final GatheredWrites writes;

  TcpConnection(NetSocket socket, Context context) {
    this.socket = socket;
    this.writes = new GatheredWrites(socket, context);
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
    writes.buffer(frame.delimitedLength()).appendBuffer(frame.delimited());
    return writes.written();
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
    writes.flush();
    socket.end();
  }
}

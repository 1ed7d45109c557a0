package io.phoenix.transport.tcp;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.session.Connection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * A client over TCP: frames are written with their varint length prefix. The frames written
 * during one run of the event loop's tasks go out together, in one socket write: a session that
 * answers and is pushed many frames at once pays one system call for them, not one each.
 *
 * <p>Used on the socket's event loop.
 */
final class TcpConnection implements Connection {
  private final NetSocket socket;
  private final Context context;
  private Buffer pending;
  private Promise<Void> written;

  TcpConnection(NetSocket socket, Context context) {
    this.socket = socket;
    this.context = context;
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
    if (pending == null) {
      pending = Buffer.buffer(Math.max(256, frame.delimitedLength()));
      written = Promise.promise();
      context.runOnContext(v -> flush()); // after the tasks already queued on this loop
    }
    pending.appendBuffer(frame.delimited());
    return written.future();
  }

  private void flush() {
    if (pending == null) {
      return;
    }
    Buffer out = pending;
    Promise<Void> done = written;
    pending = null;
    written = null;
    socket.write(out).onComplete(done);
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
    flush();
    socket.end();
  }
}

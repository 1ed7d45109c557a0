package io.phoenix.transport.tcp;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.session.Connection;
import io.phoenix.transport.GatheredWrites;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * A client over TCP: frames are written with their varint length prefix. The frames written
 * during one run of the event loop's tasks go out together, in one socket write
 * ({@link GatheredWrites}).
 *
 * <p>Used on the socket's event loop.
 */
final class TcpConnection implements Connection {
  /** A frame on a TCP stream: its varint length prefix, then its body. */
  private static final GatheredWrites.Framing<EncodedFrame> DELIMITED =
      new GatheredWrites.Framing<>() {
        @Override
        public int length(EncodedFrame frame) {
          return frame.delimitedLength();
        }

        @Override
        public void append(Buffer out, EncodedFrame frame) {
          frame.appendDelimitedTo(out);
        }
      };

  private final NetSocket socket;
  private final GatheredWrites<EncodedFrame> writes;

  TcpConnection(NetSocket socket, Context context) {
    this.socket = socket;
    this.writes = new GatheredWrites<>(socket, context, DELIMITED);
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
    return writes.add(frame);
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

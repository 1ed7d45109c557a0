package io.phoenix.transport.tcp;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.session.Connection;
import io.phoenix.session.Session;
import io.phoenix.transport.ChannelSocket;
import io.phoenix.transport.GatheredWrites;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * A client over TCP: the framing of its {@link ChannelSocket}, and the {@link Connection} its
 * session writes to. Frames are written with their varint length prefix; the frames written
 * during one run of the event loop's tasks go out together, in one socket write
 * ({@link GatheredWrites}).
 *
 * <p>Used on the socket's context ({@link ChannelSocket} passes Netty's events there).
 */
final class TcpConnection implements Connection, ChannelSocket.Events {

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

  private final Context context;
  private final TcpServerVerticle owner;
  private ChannelSocket socket;
  private GatheredWrites<EncodedFrame> writes;
  private Session session;
  private VarintFrameDecoder decoder;

  TcpConnection(Context context, TcpServerVerticle owner) {
    this.context = context;
    this.owner = owner;
  }

  // ------------------------------------------------- the socket's events

  @Override
  public void opened(ChannelSocket socket) {
    this.socket = socket;
    writes = new GatheredWrites<>(socket, context, DELIMITED);
    session = owner.open(this);
    decoder = new VarintFrameDecoder(owner.maxFrameBytes(),
        body -> session.onFrame(FrameCodec.decode(body)));
  }

  @Override
  public void read(Buffer chunk) {
    try {
      decoder.feed(chunk);
    } catch (ProtocolException e) {
      session.onProtocolError(e);
    }
  }

  @Override
  public void closed() {
    if (!socket.paused() && decoder.inFrame()) {
      session.onProtocolError(new ProtocolException(400, "connection ended inside a frame"));
    }
    owner.connectionClosed(session);
  }

  // ------------------------------------------------- Connection

  @Override
  public String transport() {
    return "tcp";
  }

  @Override
  public String remoteAddress() {
    return socket.remoteAddress();
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

  /** Closes the socket at once (the verticle stops). */
  void abort() {
    socket.close();
  }
}

package io.phoenix.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.session.Connection;
import io.phoenix.session.Session;
import io.phoenix.transport.GatheredWrites;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client over TCP: the last Netty handler of its socket, and the {@link Connection} its
 * session writes to. Frames are written with their varint length prefix; the frames written
 * during one run of the event loop's tasks go out together, in one socket write
 * ({@link GatheredWrites}).
 *
 * <p>The socket is registered on the event loop of its verticle's context ({@link TcpListener}),
 * so Netty calls this handler on that thread, but outside the context: each event (connected,
 * bytes read, closed) is passed on with {@code context.runOnContext}, in the order Netty
 * delivered them, and the session only ever runs on its context. Writes and pauses are made
 * from the context, on the socket's own loop, so they reach the socket directly.
 *
 * <p>Pausing stops reading from the socket; what was already read when the session paused is
 * held (in arrival order) and handed over on resume, as Vert.x's sockets do.
 */
final class TcpConnection extends ChannelInboundHandlerAdapter
    implements Connection, GatheredWrites.Sink {
  private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);

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

  private final Channel channel;
  private final Context context;
  private final TcpServerVerticle owner;
  private final GatheredWrites<EncodedFrame> writes;
  private Session session;
  private VarintFrameDecoder decoder;
  /** Chunks read before a pause took effect, or while earlier ones wait to be handed over. */
  private ArrayDeque<Buffer> held;
  private boolean paused;
  private boolean ended;

  TcpConnection(Channel channel, Context context, TcpServerVerticle owner) {
    this.channel = channel;
    this.context = context;
    this.owner = owner;
    this.writes = new GatheredWrites<>(this, context, DELIMITED);
  }

  // ------------------------------------------------- Netty's events, on the socket's loop

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    context.runOnContext(v -> opened());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf bytes = (ByteBuf) msg;
    Buffer chunk;
    try {
      // one copy, straight into the buffer the decoder reads (Buffer.buffer(byte[]) copies too)
      chunk = Buffer.buffer(bytes.readableBytes()).setBytes(0, bytes.nioBuffer());
    } finally {
      bytes.release();
    }
    context.runOnContext(v -> read(chunk));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    context.runOnContext(v -> closed());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // a reset connection, a failed TLS handshake: nothing to tell a peer that is gone
    log.debug("tcp connection from {}: {}", remoteAddress(), cause.toString());
    ctx.close();
  }

  // ------------------------------------------------- the same events, on the context

  private void opened() {
    session = owner.open(this);
    decoder = new VarintFrameDecoder(owner.maxFrameBytes(),
        body -> session.onFrame(FrameCodec.decode(body)));
  }

  private void read(Buffer chunk) {
    if (ended) {
      return;
    }
    if (paused || held != null && !held.isEmpty()) {
      if (held == null) {
        held = new ArrayDeque<>(4);
      }
      held.add(chunk);
      if (!paused) {
        handOver();
      }
      return;
    }
    feed(chunk);
  }

  private void handOver() {
    while (!paused && !ended && held != null && !held.isEmpty()) {
      feed(held.poll());
    }
    if (held != null && held.isEmpty()) {
      held = null;
    }
  }

  private void feed(Buffer chunk) {
    try {
      decoder.feed(chunk);
    } catch (ProtocolException e) {
      session.onProtocolError(e);
    }
  }

  private void closed() {
    if (session == null || ended) {
      return;
    }
    if (!paused && decoder.inFrame()) {
      session.onProtocolError(new ProtocolException(400, "connection ended inside a frame"));
    }
    ended = true;
    held = null;
    owner.connectionClosed(session);
  }

  // ------------------------------------------------- Connection, called on the context

  @Override
  public String transport() {
    return "tcp";
  }

  @Override
  public String remoteAddress() {
    SocketAddress address = channel.remoteAddress();
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }

  @Override
  public Future<Void> write(EncodedFrame frame) {
    return writes.add(frame);
  }

  @Override
  public Future<Void> write(Buffer out) {
    Promise<Void> written = Promise.promise();
    channel.writeAndFlush(Unpooled.wrappedBuffer(out.getBytes())).addListener(f -> {
      if (f.isSuccess()) {
        written.complete();
      } else {
        written.fail(f.cause());
      }
    });
    return written.future();
  }

  @Override
  public void pause() {
    paused = true;
    channel.config().setAutoRead(false);
  }

  @Override
  public void resume() {
    if (!paused) {
      return;
    }
    paused = false;
    channel.config().setAutoRead(true);
    if (held != null) {
      context.runOnContext(v -> handOver());
    }
  }

  @Override
  public void close() {
    writes.flush();
    // after everything written before it: closing at once would drop what is still queued
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /** Closes the socket at once (the verticle stops). */
  void abort() {
    channel.close();
  }
}

package io.phoenix.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's socket served by Netty's handlers on the event loop of a verticle's context: the
 * last handler of the socket's pipeline, and the {@link ByteSocket} its framing writes to.
 *
 * <p>The socket is registered on the event loop of its verticle's context ({@link Listener}), so
 * Netty calls this handler on that thread, but outside the context: each event (connected, bytes
 * read, closed) is passed on to the {@link Events} with {@code context.runOnContext}, in the order
 * Netty delivered them, and the transport only ever runs on its context. Writes and pauses are
 * made from the context, on the socket's own loop, so they reach the socket directly.
 *
 * <p>Pausing stops reading from the socket; what was already read when the transport paused is
 * held (in arrival order) and handed over on resume, as Vert.x's sockets do.
 */
public final class ChannelSocket extends ChannelInboundHandlerAdapter implements ByteSocket {
  private static final Logger log = LoggerFactory.getLogger(ChannelSocket.class);

  /** What the transport hears of its socket, on its context. */
  public interface Events {
    /** The socket is connected (or was already, when this handler was added). */
    void opened(ChannelSocket socket);

    /** Bytes read, in order; never while paused. */
    void read(Buffer chunk);

    /** The socket closed; nothing is read after this. */
    void closed();
  }

  private final Channel channel;
  private final Context context;
  private final Events events;
  /** Chunks read before a pause took effect, or while earlier ones wait to be handed over. */
  private ArrayDeque<Buffer> held;
  private boolean opened;
  private boolean paused;
  private boolean ended;
  /** {@link #end} was called: reading stays off. */
  private boolean ending;

  public ChannelSocket(Channel channel, Context context, Events events) {
    this.channel = channel;
    this.context = context;
    this.events = events;
  }

  // ------------------------------------------------- Netty's events, on the socket's loop

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (channel.isActive()) { // added to a socket already in use (after an HTTP upgrade)
      context.runOnContext(v -> opened());
    }
  }

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
    log.debug("connection from {}: {}", remoteAddress(), cause.toString());
    ctx.close();
  }

  // ------------------------------------------------- the same events, on the context

  private void opened() {
    if (!opened) {
      opened = true;
      events.opened(this);
    }
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
    events.read(chunk);
  }

  private void handOver() {
    while (!paused && !ended && held != null && !held.isEmpty()) {
      events.read(held.poll());
    }
    if (held != null && held.isEmpty()) {
      held = null;
    }
  }

  private void closed() {
    if (!opened || ended) {
      return;
    }
    ended = true;
    held = null;
    events.closed();
  }

  // ------------------------------------------------- ByteSocket, called on the context

  /** Whether reading is paused (what was read then is held, not lost). */
  public boolean paused() {
    return paused;
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
    if (!paused || ending) {
      return;
    }
    paused = false;
    channel.config().setAutoRead(true);
    if (held != null) {
      context.runOnContext(v -> handOver());
    }
  }

  @Override
  public void end() {
    // nothing read from now on is handled: a client that goes on sending is not read
    ending = true;
    paused = true;
    channel.config().setAutoRead(false);
    // after everything written before it: closing at once would drop what is still queued
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    // ...unless the client does not read it
    var late = channel.eventLoop().schedule(() -> {
      channel.close();
    }, END_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    channel.closeFuture().addListener(f -> late.cancel(false));
  }

  @Override
  public boolean writable() {
    return channel.isWritable();
  }

  @Override
  public void close() {
    channel.close();
  }
}

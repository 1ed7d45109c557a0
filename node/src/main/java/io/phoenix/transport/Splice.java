package io.phoenix.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins a client's socket to a new connection to a server inside the node, byte for byte in
 * both directions, on the client socket's event loop: the HTTP port hands the requests it does
 * not serve itself to Vert.x's HTTP server this way.
 *
 * <p>Each side reads only while the other can take what it reads (Netty's writability), so a
 * slow reader on either side holds the other back instead of filling memory. When one side
 * closes, the other is closed once what was read from the first is written.
 *
 * <p>A client may also end only its output (a half-close: {@code shutdownOutput()}, or
 * {@code nc -q0} after a piped request) and read on. That end is passed on as an end of output
 * to the server, after what was read before it, so the server still reads the requests and
 * answers them; closing the connection inside at once, as for a close, dropped every answer.
 * The connection inside never half-closes: its end closes the client's socket, as before.
 * (Vert.x's HTTP server closes as soon as it reads the end: an answer it has not written by
 * then, one that waits for a look-up or a file, is lost, as when Vert.x has the port itself.)
 *
 * <p>Runs on the client socket's event loop.
 */
public final class Splice extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(Splice.class);
  static final long WARN_EVERY_MS = 10_000;
  private static final WarnEvery warnings = new WarnEvery(WARN_EVERY_MS);

  private final Channel peer;

  private Splice(Channel peer) {
    this.peer = peer;
  }

  /**
   * Connects to {@code server} from {@code client}'s event loop, writes {@code first} (what
   * was read from the client so far; released here), and then passes bytes both ways; the
   * handler {@code front} of the client's pipeline, which read {@code first}, is replaced by
   * the splice. The client must not be reading ({@code autoRead} off) when this is called.
   *
   * @return false, with nothing done and {@code first} not released, when the two sockets of
   *     the connection inside the node would pass {@code budget}
   */
  public static boolean connect(EventLoops loops, Channel client, String front,
      ByteBuf first, SocketAddress server, ConnectionBudget budget) {
    if (!budget.take(2)) { // this end of the connection inside, and the server's end
      return false;
    }
    Bootstrap bootstrap = new Bootstrap()
        .group(client.eventLoop())
        .channelFactory(loops.socketChannels())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.AUTO_READ, false)
        .handler(new Splice(client));
    ChannelFuture connecting = bootstrap.connect(server);
    AtomicBoolean given = new AtomicBoolean();
    Runnable giveBack = () -> {
      if (given.compareAndSet(false, true)) {
        budget.give(2);
      }
    };
    connecting.channel().closeFuture().addListener(f -> giveBack.run());
    connecting.addListener((ChannelFutureListener) connected -> {
      if (!connected.isSuccess()) {
        giveBack.run(); // a channel that could not even be created never closes
        first.release();
        failed(server, connected.cause());
        client.close();
        return;
      }
      Channel inside = connected.channel();
      if (!client.isActive()) {
        first.release();
        inside.close();
        return;
      }
      client.pipeline().replace(front, "splice", new Splice(inside));
      // an end of the client's output reaches the splice as an event, not as a close; the
      // client has not read since the front stopped reading, so no end went by unseen
      client.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      inside.writeAndFlush(first);
      inside.config().setAutoRead(true);
      client.config().setAutoRead(true);
    });
    return true;
  }

  /**
   * Logs a failed connection inside the node: a warning at most every
   * {@value #WARN_EVERY_MS} ms (when the process runs out of sockets, every client would fail
   * alike), debug lines between.
   */
  private static void failed(SocketAddress server, Throwable cause) {
    if (warnings.now()) {
      log.warn("could not reach the node's HTTP server at {}: {}; closing the client's "
          + "connection", server, cause.toString());
    } else {
      log.debug("could not reach the node's HTTP server at {}: {}", server, cause.toString());
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    peer.writeAndFlush(msg);
    if (!peer.isWritable()) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      peer.config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** The client's output ended (a half-close): the server's input ends after what was read. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event == ChannelInputShutdownEvent.INSTANCE) {
      if (peer.isActive() && peer instanceof DuplexChannel duplex) {
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
          if (written.isSuccess()) {
            duplex.shutdownOutput();
          } else {
            peer.close(); // and so the client, once the server's side is inactive
          }
        });
      } else {
        ctx.close();
      }
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (peer.isActive()) {
      peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("spliced connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}

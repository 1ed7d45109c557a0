package io.phoenix.transport.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.phoenix.transport.ChannelSocket;
import io.phoenix.transport.ConnectionBudget;
import io.phoenix.transport.Splice;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a socket accepted on the HTTP port: reads the head of the connection's
 * first request and sends the connection one of two ways.
 * <ul>
 *   <li>A WebSocket upgrade the node takes at once ({@link UpgradeRequest}): the node answers
 *       101 itself and the socket becomes a {@link WebSocketConnection} on a
 *       {@link ChannelSocket}, with nothing of Vert.x's HTTP server kept per session.</li>
 *   <li>Anything else (probes, metrics, the page, upgrades to refuse): the connection is
 *       {@linkplain Splice spliced} to the node's Vert.x HTTP server inside the node, which
 *       answers it, and every later request on the connection, as it would on the port itself.
 *   </li>
 * </ul>
 * A head that has not ended after {@value #MAX_HEAD} bytes is passed on too; the server refuses
 * it as too large. A connection has {@code limits.helloTimeoutMs} to send its first request's
 * head, as a TCP client has to say Hello: then it is closed, after a 408 if it had begun.
 *
 * <p>Runs on the socket's event loop; removed from the pipeline once the way is chosen.
 */
final class HttpFront extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpFront.class);

  /** Past Vert.x's limits on a request line (4,096) and headers (8,192). */
  static final int MAX_HEAD = 16 * 1024;

  private static final byte[] TIMED_OUT = ("HTTP/1.1 408 Request Timeout\r\n"
      + "content-length: 0\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

  /** The answer to a connection refused for {@code limits.maxConnections}. */
  static final byte[] FULL = unavailable(ConnectionBudget.REFUSAL + "\n");

  private final HttpServerVerticle owner;
  private final long timeoutMs;
  /** What was read so far; handed to the splice when the connection is passed on. */
  private ByteBuf head;
  private boolean passing;
  /** Refused for {@code limits.maxConnections}: what it sends is dropped until it closes. */
  private boolean refused;
  private ScheduledFuture<?> timeout;

  /** @param timeoutMs how long the head of the first request may take to arrive */
  HttpFront(HttpServerVerticle owner, long timeoutMs) {
    this.owner = owner;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // called once the socket is registered on its loop
    timeout = ctx.executor().schedule(() -> timedOut(ctx), timeoutMs, TimeUnit.MILLISECONDS);
  }

  private void timedOut(ChannelHandlerContext ctx) {
    if (passing) {
      return;
    }
    log.debug("http connection from {}: no request within {} ms", ctx.channel().remoteAddress(),
        timeoutMs);
    if (head == null) {
      ctx.close();
    } else {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMED_OUT)).addListener(f -> ctx.close());
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (refused) {
      in.release();
      return;
    }
    try {
      if (head == null) {
        head = ctx.alloc().heapBuffer(Math.max(256, in.readableBytes()));
      }
      head.writeBytes(in);
    } finally {
      in.release();
    }
    if (passing) {
      return; // connecting to the server: goes with the rest
    }
    int end = UpgradeRequest.headEnd(head.array(), head.arrayOffset(), head.readableBytes());
    if (end < 0) {
      if (head.readableBytes() > MAX_HEAD) {
        passOn(ctx);
      }
      return;
    }
    String key = UpgradeRequest.key(head.array(), head.arrayOffset(), end,
        owner.webSocketPath());
    if (key == null) {
      passOn(ctx);
    } else {
      upgrade(ctx, key, end);
    }
  }

  /** Answers 101 and hands the socket to a WebSocket session, with any bytes after the head. */
  private void upgrade(ChannelHandlerContext ctx, String key, int end) {
    timeout.cancel(false);
    ByteBuf rest = head.skipBytes(end);
    head = null;
    ctx.writeAndFlush(Unpooled.wrappedBuffer(UpgradeRequest.switching(key)));
    ChannelSocket socket = owner.webSocket(ctx.channel());
    ctx.pipeline().replace(this, "ws", socket);
    if (rest.isReadable()) {
      socket.channelRead(ctx.pipeline().context(socket), rest);
    } else {
      rest.release();
    }
  }

  private void passOn(ChannelHandlerContext ctx) {
    timeout.cancel(false);
    passing = true;
    ctx.channel().config().setAutoRead(false);
    // the splice writes the head once connected, with whatever is read into it until then
    if (!Splice.connect(owner.loops(), ctx.channel(), ctx.name(), head, owner.insideAddress(),
        owner.budget())) {
      owner.budget().refused("http");
      passing = false;
      refused = true;
      head.release();
      head = null;
      ctx.writeAndFlush(Unpooled.wrappedBuffer(FULL)).addListener(f -> ctx.close());
    }
  }

  /** An HTTP 503 answer with {@code text} as its body, closing the connection. */
  static byte[] unavailable(String text) {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    byte[] head = ("HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8"
        + "\r\ncontent-length: " + body.length + "\r\nconnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, out, head.length, body.length);
    return out;
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (!passing && head != null) { // closed before its head ended; a passed head is the splice's
      head.release();
    }
    head = null;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("http connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}

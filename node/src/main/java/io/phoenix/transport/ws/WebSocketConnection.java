package io.phoenix.transport.ws;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.session.Connection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;

/**
 * A client over WebSocket: one binary message per frame, no length prefix. The frames written
 * during one run of the event loop's tasks go out together, with one flush (one system call),
 * as on TCP: Vert.x's {@code ServerWebSocket} flushes every message it is given on its own, so
 * data frames are handed to the connection's Netty pipeline directly, through the same
 * handlers (WebSocket encoder, compression if negotiated, TLS) Vert.x would use. Everything
 * else (handshake, reading, ping and pong, the close handshake) stays Vert.x's.
 *
 * <p>Used on the socket's event loop.
 */
final class WebSocketConnection implements Connection {
  private final ServerWebSocket ws;
  private final ChannelHandlerContext channel;
  private final Context context;
  /** For the frames before the last of a flush: their outcome is the flush's. */
  private final ChannelPromise unobserved;
  private Promise<Void> flushed;
  private boolean closing;

  WebSocketConnection(ServerWebSocket ws, Context context) {
    this.ws = ws;
    this.context = context;
    this.channel = ((WebSocketInternal) ws).channelHandlerContext();
    this.unobserved = new VoidChannelPromise(channel.channel(), false);
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
    if (closing) {
      return Future.failedFuture("WebSocket is closed");
    }
    if (flushed == null) {
      flushed = Promise.promise();
      context.runOnContext(v -> flush()); // after the tasks already queued on this loop
    }
    channel.write(new BinaryWebSocketFrame(true, 0,
        ((BufferInternal) frame.body()).getByteBuf()), unobserved);
    return flushed.future();
  }

  /**
   * Flushes what was written since the last flush. The empty buffer passes the WebSocket
   * encoder untouched; its promise completes once everything before it is on the socket, or
   * fails with the channel.
   */
  private void flush() {
    if (flushed == null) {
      return;
    }
    Promise<Void> done = flushed;
    flushed = null;
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
      if (f.isSuccess()) {
        done.complete();
      } else {
        done.fail(f.cause());
      }
    });
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
    flush();
    closing = true;
    if (!ws.isClosed()) {
      ws.close((short) 1000);
    }
  }
}

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
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;

/**
 * A client over WebSocket: one binary message per frame, no length prefix. The frames written
 * during one run of the event loop's tasks go out together, with one flush (one system call),
 * as on TCP: Vert.x's {@code ServerWebSocket} flushes every message it is given on its own, so
 * data frames are handed to the connection's Netty pipeline directly. Everything else
 * (handshake, reading, ping and pong, the close handshake) stays Vert.x's.
 *
 * <p>Without compression (the default), the frames of a turn are laid out in one buffer, each a
 * final binary WebSocket frame (RFC 6455 §5.2: a server's frames are not masked), and written
 * as bytes, which the WebSocket encoder passes on untouched; TLS, when on, still wraps them.
 * With compression negotiated the extension must set each frame's bits and compress it, so the
 * frames go one by one through the encoders, still flushed once per turn.
 *
 * <p>Used on the socket's event loop.
 */
final class WebSocketConnection implements Connection {
  /** Longest header of an unmasked frame: 2 bytes and an 8-byte length. */
  static final int MAX_HEADER = 10;

  private final ServerWebSocket ws;
  private final ChannelHandlerContext channel;
  private final Context context;
  private final boolean rawFrames;
  /** For the frames before the last of a flush: their outcome is the flush's. */
  private final ChannelPromise unobserved;
  /** The frames of this turn laid out as bytes (raw frames only). */
  private Buffer pending;
  private Promise<Void> flushed;
  private boolean closing;

  /**
   * @param compressed whether the connection may have negotiated compression (then frames go
   *     through the pipeline's encoders one by one)
   */
  WebSocketConnection(ServerWebSocket ws, Context context, boolean compressed) {
    this.ws = ws;
    this.context = context;
    this.rawFrames = !compressed;
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
    if (rawFrames) {
      int length = frame.bodyLength();
      if (pending == null) {
        pending = Buffer.buffer(Math.max(256, length + MAX_HEADER));
      }
      appendHeader(pending, length);
      pending.appendBuffer(frame.body());
    } else {
      channel.write(new BinaryWebSocketFrame(true, 0,
          ((BufferInternal) frame.body()).getByteBuf()), unobserved);
    }
    return flushed.future();
  }

  /**
   * Appends the header of a final, unmasked binary frame of {@code length} payload bytes (RFC
   * 6455 §5.2: FIN and opcode 2, then the length in 7 bits, or 126 and 16 bits, or 127 and 64
   * bits, always in the fewest bytes).
   */
  static void appendHeader(Buffer out, int length) {
    out.appendByte((byte) 0x82);
    if (length < 126) {
      out.appendByte((byte) length);
    } else if (length <= 0xFFFF) {
      out.appendByte((byte) 126).appendUnsignedShort(length);
    } else {
      out.appendByte((byte) 127).appendLong(length);
    }
  }

  /**
   * Flushes what was written since the last flush. Its promise completes once everything before
   * it is on the socket, or fails with the channel. (Without raw frames, the empty buffer
   * written for the flush passes the WebSocket encoder untouched.)
   */
  private void flush() {
    if (flushed == null) {
      return;
    }
    Promise<Void> done = flushed;
    flushed = null;
    Object bytes = Unpooled.EMPTY_BUFFER;
    if (pending != null) {
      bytes = ((BufferInternal) pending).getByteBuf();
      pending = null;
    }
    channel.writeAndFlush(bytes).addListener(f -> {
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

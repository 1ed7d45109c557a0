package io.phoenix.transport.ws;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.FrameTooLargeException;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.session.Connection;
import io.phoenix.session.Session;
import io.phoenix.transport.ByteSocket;
import io.phoenix.transport.ChannelSocket;
import io.phoenix.transport.GatheredWrites;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * A client over WebSocket, framed by the node itself (RFC 6455) on the socket of the upgrade:
 * one binary message per frame, no length prefix. The socket is the node's own
 * ({@link ChannelSocket}, when {@link HttpFront} took the upgrade) or the one Vert.x's HTTP
 * server hands over ({@link ByteSocket#of}). Like the TCP transport, the frames written during
 * one run of the event loop's tasks go out in one socket write.
 *
 * <p>It also answers what {@link WebSocketFrameDecoder} finds besides messages: a ping gets a
 * pong, and a close frame is echoed before the socket is closed. When the node closes first it
 * sends its close frame and waits up to {@value #CLOSING_TIMEOUT_MS} ms for the client's before
 * closing the socket, as RFC 6455 asks (Vert.x's own WebSocket waits as long).
 *
 * <p>Used on the socket's event loop.
 */
final class WebSocketConnection
    implements Connection, WebSocketFrameDecoder.Sink, ChannelSocket.Events {
  static final long CLOSING_TIMEOUT_MS = 10_000;
  static final int NORMAL_CLOSURE = 1000;
  private static final int MESSAGE_TOO_BIG = 1009;

  private final Context context;
  private final HttpServerVerticle owner;
  private final WebSocketFrameDecoder decoder;
  private ByteSocket socket;
  private GatheredWrites<Outgoing> writes;
  private Session session;
  private int closeCode = NORMAL_CLOSURE;
  private boolean closeSent;
  private boolean closeReceived;
  private long closingTimer = -1;

  /** @param maxBytes the largest message taken ({@code limits.maxFrameBytes}) */
  WebSocketConnection(Context context, HttpServerVerticle owner, int maxBytes) {
    this.context = context;
    this.owner = owner;
    this.decoder = WebSocketFrameDecoder.ofClientFrames(maxBytes, this);
  }

  /**
   * Starts the session on {@code socket}; what is read from it is to be passed to
   * {@link #read}, and its closing to {@link #closed}.
   */
  void start(ByteSocket socket) {
    this.socket = socket;
    this.writes = new GatheredWrites<>(socket, context, Outgoing.FRAMING);
    this.session = owner.open(this);
  }

  @Override
  public void opened(ChannelSocket socket) {
    start(socket);
  }

  @Override
  public void read(Buffer chunk) {
    decoder.feed(chunk);
  }

  /** The socket is closed: the session ends, and nothing is left to wait for. */
  @Override
  public void closed() {
    stopWaiting();
    owner.connectionClosed(session);
  }

  /** Closes the socket at once (the verticle stops). */
  void abort() {
    socket.close();
  }

  @Override
  public String transport() {
    return "ws";
  }

  @Override
  public String remoteAddress() {
    return socket.remoteAddress();
  }

  @Override
  public Future<Void> write(EncodedFrame frame) {
    if (closeSent) {
      return Future.failedFuture("the WebSocket is closing");
    }
    return append(WebSocketFrames.BINARY, frame.body());
  }

  /** Queues one unmasked, final frame for the write at the end of this turn of the loop. */
  private Future<Void> append(int opcode, Buffer payload) {
    return writes.add(new Outgoing(opcode, payload));
  }

  /** A frame to be written: header and payload are laid out when the turn's write is. */
  private record Outgoing(int opcode, Buffer payload) {
    static final GatheredWrites.Framing<Outgoing> FRAMING = new GatheredWrites.Framing<>() {
      @Override
      public int length(Outgoing frame) {
        int payload = frame.payload.length();
        return WebSocketFrames.headerLength(payload) + payload;
      }

      @Override
      public void append(Buffer out, Outgoing frame) {
        WebSocketFrames.append(out, frame.opcode, frame.payload);
      }
    };
  }

  /** Stops reading, except during the close handshake, which must find the client's close. */
  @Override
  public void pause() {
    if (!closeSent) {
      socket.pause();
    }
  }

  @Override
  public void resume() {
    socket.resume();
  }

  /**
   * Sends the close frame after what was written so far, then waits for the client's; after a
   * violation of the framing (1002) there is nothing to wait for and the socket is closed.
   */
  @Override
  public void close() {
    if (closeSent) {
      return;
    }
    closeSent = true;
    append(WebSocketFrames.CLOSE, Buffer.buffer(2).appendUnsignedShort(closeCode));
    Future<Void> sent = writes.flush();
    if (closeReceived || closeCode == WebSocketException.PROTOCOL_ERROR) {
      sent.onComplete(ar -> socket.end());
    } else {
      decoder.skipMessages();
      socket.resume(); // payloads are skipped from now on, so reading costs no memory
      closingTimer = context.owner().setTimer(CLOSING_TIMEOUT_MS, id -> {
        closingTimer = -1;
        socket.close();
      });
    }
  }

  private void stopWaiting() {
    if (closingTimer >= 0) {
      context.owner().cancelTimer(closingTimer);
      closingTimer = -1;
    }
  }

  // ------------------------------------------------------------------ from the decoder

  @Override
  public void message(byte[] bytes, int length) {
    if (!closeSent) {
      session.onFrame(FrameCodec.decode(bytes, 0, length));
    }
  }

  /**
   * The client did wrong: the session says why in a Goodbye, then the close frame carries 1009
   * for a message too large, the exception's own code for a WebSocket violation, and 1000
   * otherwise.
   */
  @Override
  public void failed(ProtocolException e) {
    closeCode = e instanceof FrameTooLargeException ? MESSAGE_TOO_BIG
        : e instanceof WebSocketException w ? w.closeCode() : NORMAL_CLOSURE;
    session.onProtocolError(e);
    if (!session.closesLater()) {
      close(); // the session closes the connection; this covers a session already ended
    }
  }

  @Override
  public void ping(byte[] payload) {
    // A client that pings without reading gets no more pongs once what waits to be written
    // passes the socket's high-water mark (RFC 6455 5.5.3 lets a pong answer only the latest
    // ping): pongs are not frames of the session, whose writes are bounded by
    // limits.maxOutboundBytes.
    if (!closeSent && socket.writable()) {
      append(WebSocketFrames.PONG, Buffer.buffer(payload));
    }
  }

  @Override
  public void close(byte[] payload) {
    closeReceived = true;
    if (closeSent) {
      stopWaiting();
      socket.end();
      return;
    }
    closeCode = echoCode(payload);
    close();
  }

  /**
   * The code to answer a client's close frame with: its own when it may be sent on the wire
   * (RFC 6455 7.4), 1000 for a close frame without one, 1002 for a malformed one.
   */
  static int echoCode(byte[] payload) {
    if (payload.length == 0) {
      return NORMAL_CLOSURE;
    }
    if (payload.length == 1) {
      return WebSocketException.PROTOCOL_ERROR;
    }
    int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
    boolean valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
        || (code >= 3000 && code <= 4999);
    if (!valid || !validUtf8(payload)) {
      return WebSocketException.PROTOCOL_ERROR;
    }
    return code;
  }

  private static boolean validUtf8(byte[] payload) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(payload, 2,
          payload.length - 2));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}

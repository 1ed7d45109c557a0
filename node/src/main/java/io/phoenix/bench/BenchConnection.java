package io.phoenix.bench;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Hello;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.protocol.v1.Welcome;
import io.phoenix.transport.ws.WebSocketFrameDecoder;
import io.phoenix.transport.ws.WebSocketFrames;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One lean client session of the bench: a raw TCP socket (varint-framed) or WebSocket (one
 * binary message per frame) that has said Hello and got Welcome. Frames are encoded with
 * {@link FrameCodec} and decoded once; no queues, no futures per frame.
 *
 * <p>A WebSocket session frames RFC 6455 itself on a plain socket ({@link WebSocketUpgrade},
 * {@link WebSocketFrames}, {@link WebSocketFrameDecoder}), writing like the TCP session: one
 * socket write per frame, each masked with its own random key as RFC 6455 asks of clients.
 * Only a session that offers compression ({@code --ws-deflate}) uses Vert.x's WebSocket client,
 * which implements permessage-deflate.
 *
 * <p>Confined to the event loop it was opened on: every method must be called there, and the
 * {@link Listener} is called there.
 */
final class BenchConnection {
  /** Receives the frames that follow Welcome. */
  interface Listener {
    void onFrame(BenchConnection connection, Frame frame);

    /** The connection closed (by either side); not called after {@link #close()}. */
    void onClosed(BenchConnection connection);
  }

  private static final Listener NOBODY = new Listener() {
    @Override
    public void onFrame(BenchConnection connection, Frame frame) {
    }

    @Override
    public void onClosed(BenchConnection connection) {
    }
  };

  /** The socket of a TCP session or of a WebSocket framed here. */
  private final NetSocket socket;
  /** Whether {@link #socket} carries WebSocket frames. */
  private final boolean framesWebSocket;
  /** Whether the node accepted the WebSocket upgrade (frames may be written). */
  private boolean upgraded;
  /** A WebSocket with compression, framed by Vert.x. */
  private final WebSocket ws;
  private final Promise<Welcome> welcomed = Promise.promise();
  private Listener listener = NOBODY;
  private Welcome welcome;
  private boolean closing;
  private long lastWriteNanos = System.nanoTime();

  private BenchConnection(NetSocket socket, boolean framesWebSocket, WebSocket ws) {
    this.socket = socket;
    this.framesWebSocket = framesWebSocket;
    this.ws = ws;
  }

  /** Wraps a connected TCP socket and says Hello; succeeds with Welcome. */
  static Future<BenchConnection> tcp(NetSocket socket, String token, String resource) {
    BenchConnection c = new BenchConnection(socket, false, null);
    VarintFrameDecoder decoder = new VarintFrameDecoder(Integer.MAX_VALUE, c::received);
    socket.handler(chunk -> {
      try {
        decoder.feed(chunk);
      } catch (ProtocolException e) {
        c.failed(e);
      }
    });
    socket.closeHandler(v -> c.closed());
    socket.exceptionHandler(e -> { });
    return c.hello(token, resource);
  }

  /**
   * Upgrades a connected socket to a WebSocket on {@code path}, then says Hello; succeeds with
   * Welcome.
   */
  static Future<BenchConnection> webSocket(NetSocket socket, String host, int port, String path,
      String token, String resource) {
    BenchConnection c = new BenchConnection(socket, true, null);
    WebSocketUpgrade upgrade = new WebSocketUpgrade(host, port, path);
    WebSocketFrameDecoder decoder = WebSocketFrameDecoder.ofServerFrames(Integer.MAX_VALUE,
        c.new ServerFrames());
    socket.handler(chunk -> {
      Buffer frames = chunk;
      if (!upgrade.done()) {
        try {
          frames = upgrade.received(chunk);
        } catch (ProtocolException e) {
          c.failed(e);
          return;
        }
        if (frames == null) {
          return; // the rest of the answer is in a later chunk
        }
        c.upgraded = true;
        c.sayHello(token, resource);
      }
      decoder.feed(frames);
    });
    socket.closeHandler(v -> c.closed());
    socket.exceptionHandler(e -> { });
    socket.write(upgrade.request());
    return c.welcomed.future().map(w -> c);
  }

  /** What the decoder finds in the node's WebSocket frames. */
  private final class ServerFrames implements WebSocketFrameDecoder.Sink {
    @Override
    public void message(byte[] bytes, int length) {
      Frame frame;
      try {
        frame = FrameCodec.decode(bytes, 0, length);
      } catch (ProtocolException e) {
        failed(e);
        return;
      }
      received(frame);
    }

    @Override
    public void ping(byte[] payload) {
      writeMasked(WebSocketFrames.PONG, Buffer.buffer(payload));
    }

    @Override
    public void close(byte[] payload) {
      if (!closing) {
        writeMasked(WebSocketFrames.CLOSE, Buffer.buffer(payload)); // the echo RFC 6455 asks
      }
      socket.close();
    }

    @Override
    public void failed(ProtocolException e) {
      BenchConnection.this.failed(e);
    }
  }

  /** Wraps a connected WebSocket (compression offered) and says Hello; succeeds with Welcome. */
  static Future<BenchConnection> webSocket(WebSocket ws, String token, String resource) {
    BenchConnection c = new BenchConnection(null, false, ws);
    ws.binaryMessageHandler(c::received);
    ws.closeHandler(v -> c.closed());
    ws.exceptionHandler(e -> { });
    return c.hello(token, resource);
  }

  private Future<BenchConnection> hello(String token, String resource) {
    sayHello(token, resource);
    return welcomed.future().map(w -> this);
  }

  private void sayHello(String token, String resource) {
    write(FrameCodec.encode(Frame.newBuilder().setHello(Hello.newBuilder().setToken(token)
        .setConnectionResourceId(resource)).build()));
  }

  private void received(Buffer body) {
    Frame frame;
    try {
      frame = FrameCodec.decode(body);
    } catch (ProtocolException e) {
      failed(e);
      return;
    }
    received(frame);
  }

  private void received(Frame frame) {
    if (welcome == null) {
      if (frame.getBodyCase() == Frame.BodyCase.WELCOME) {
        welcome = frame.getWelcome();
        welcomed.tryComplete(welcome);
      } else if (frame.getBodyCase() == Frame.BodyCase.GOODBYE) {
        welcomed.tryFail("Goodbye " + frame.getGoodbye().getStatusCode() + " "
            + frame.getGoodbye().getReason());
      } else {
        welcomed.tryFail("expected Welcome, got " + frame.getBodyCase());
      }
      return;
    }
    listener.onFrame(this, frame);
  }

  private void failed(Throwable e) {
    welcomed.tryFail(e);
    boolean tell = !closing;
    close();
    if (tell) {
      listener.onClosed(this);
    }
  }

  private void closed() {
    welcomed.tryFail("connection closed before Welcome");
    if (!closing) {
      closing = true;
      listener.onClosed(this);
    }
  }

  /** Who gets the frames from now on. */
  void listener(Listener l) {
    this.listener = l;
  }

  Welcome welcome() {
    return welcome;
  }

  /** Writes one frame (the TCP or the WebSocket form). */
  void write(EncodedFrame frame) {
    lastWriteNanos = System.nanoTime();
    if (framesWebSocket) {
      writeMasked(WebSocketFrames.BINARY, frame.body());
    } else if (socket != null) {
      socket.write(frame.delimited());
    } else {
      ws.writeBinaryMessage(frame.body());
    }
  }

  private void writeMasked(int opcode, Buffer payload) {
    Buffer out = Buffer.buffer(payload.length() + WebSocketFrames.MAX_HEADER);
    WebSocketFrames.appendMasked(out, opcode, payload, ThreadLocalRandom.current().nextInt());
    socket.write(out);
  }

  /** True while the transport's write queue is above its high-water mark. */
  boolean writeQueueFull() {
    return socket != null ? socket.writeQueueFull() : ws.writeQueueFull();
  }

  /** Sends a Ping when nothing was written for {@code idleNanos}, so the node keeps us. */
  void keepAlive(long nowNanos, long idleNanos) {
    if (!closing && nowNanos - lastWriteNanos >= idleNanos) {
      write(FrameCodec.encode(Frame.newBuilder()
          .setPing(Ping.newBuilder().setTimestamp(System.currentTimeMillis())).build()));
    }
  }

  /** Closes without telling the listener. */
  void close() {
    if (closing) {
      return;
    }
    closing = true;
    if (framesWebSocket) {
      if (upgraded) {
        writeMasked(WebSocketFrames.CLOSE, Buffer.buffer(2).appendUnsignedShort(1000));
      }
      socket.close();
    } else if (socket != null) {
      socket.close();
    } else {
      ws.close();
    }
  }
}

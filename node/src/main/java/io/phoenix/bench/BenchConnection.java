package io.phoenix.bench;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Hello;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.protocol.v1.Welcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.net.NetSocket;

/**
 * One lean client session of the bench: a raw TCP socket (varint-framed) or WebSocket (one
 * binary message per frame) that has said Hello and got Welcome. Frames are encoded with
 * {@link FrameCodec} and decoded once; no queues, no futures per frame.
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

  private final NetSocket socket;
  private final WebSocket ws;
  private final Promise<Welcome> welcomed = Promise.promise();
  private Listener listener = NOBODY;
  private Welcome welcome;
  private boolean closing;
  private long lastWriteNanos = System.nanoTime();

  private BenchConnection(NetSocket socket, WebSocket ws) {
    this.socket = socket;
    this.ws = ws;
  }

  /** Wraps a connected TCP socket and says Hello; succeeds with Welcome. */
  static Future<BenchConnection> tcp(NetSocket socket, String token, String resource) {
    BenchConnection c = new BenchConnection(socket, null);
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

  /** Wraps a connected WebSocket and says Hello; succeeds with Welcome. */
  static Future<BenchConnection> webSocket(WebSocket ws, String token, String resource) {
    BenchConnection c = new BenchConnection(null, ws);
    ws.binaryMessageHandler(c::received);
    ws.closeHandler(v -> c.closed());
    ws.exceptionHandler(e -> { });
    return c.hello(token, resource);
  }

  private Future<BenchConnection> hello(String token, String resource) {
    write(FrameCodec.encode(Frame.newBuilder().setHello(Hello.newBuilder().setToken(token)
        .setConnectionResourceId(resource)).build()));
    return welcomed.future().map(w -> this);
  }

  private void received(Buffer body) {
    Frame frame;
    try {
      frame = FrameCodec.decode(body);
    } catch (ProtocolException e) {
      failed(e);
      return;
    }
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
    if (socket != null) {
      socket.write(frame.delimited());
    } else {
      ws.writeBinaryMessage(frame.body());
    }
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
    if (socket != null) {
      socket.close();
    } else {
      ws.close();
    }
  }
}

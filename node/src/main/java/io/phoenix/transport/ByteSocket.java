package io.phoenix.transport;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * A byte stream to a client, as a transport's framing sees it: Phoenix's own sockets on Netty's
 * handlers ({@link ChannelSocket}) and, where Vert.x accepted the connection, its
 * {@link NetSocket} ({@link #of}). Where the bytes read go is set by whoever owns the socket.
 *
 * <p>Used on the socket's context only.
 */
public interface ByteSocket extends GatheredWrites.Sink {
  /** Stops reading from the client until {@link #resume}. */
  void pause();

  void resume();

  /**
   * Stops reading and closes the socket once what was written before is sent, or after
   * {@value #END_TIMEOUT_SECONDS} seconds whatever is left (a client that does not read).
   */
  void end();

  /** How long {@link #end} waits for what was written to be sent. */
  int END_TIMEOUT_SECONDS = 10;

  /**
   * Whether what is waiting to be written is still small (Netty's write-buffer high-water mark,
   * 64 KB): a client that does not read makes it false.
   */
  boolean writable();

  /** Closes the socket now. */
  void close();

  /** The client's address, {@code host:port}. */
  String remoteAddress();

  /** A socket of Vert.x's. */
  static ByteSocket of(NetSocket socket) {
    return new ByteSocket() {
      @Override
      public Future<Void> write(Buffer out) {
        return socket.write(out);
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
      public void end() {
        socket.pause();
        socket.end();
        Context context = Vertx.currentContext(); // the socket's, as every call here
        if (context != null) {
          context.owner().setTimer(END_TIMEOUT_SECONDS * 1000L, t -> socket.close());
        }
      }

      @Override
      public boolean writable() {
        return !socket.writeQueueFull();
      }

      @Override
      public void close() {
        socket.close();
      }

      @Override
      public String remoteAddress() {
        return String.valueOf(socket.remoteAddress());
      }
    };
  }
}

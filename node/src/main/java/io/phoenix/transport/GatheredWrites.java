package io.phoenix.transport;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * The bytes a connection writes during one run of its event loop's tasks, gathered into one
 * buffer and one socket write at the end of the run: a session that answers and is pushed many
 * frames at once pays one system call for them, not one each. Both transports frame into it
 * (TCP its length prefixes, WebSocket its frame headers).
 *
 * <p>Used on the socket's event loop.
 */
public final class GatheredWrites {
  private final NetSocket socket;
  private final Context context;
  private Buffer pending;
  private Promise<Void> written;

  public GatheredWrites(NetSocket socket, Context context) {
    this.socket = socket;
    this.context = context;
  }

  /**
   * The buffer of this run to append a frame to; the first call of a run schedules the write,
   * after the tasks already queued on the loop.
   *
   * @param sizeHint bytes the caller is about to append (sizes a new buffer)
   */
  public Buffer buffer(int sizeHint) {
    if (pending == null) {
      pending = Buffer.buffer(Math.max(256, sizeHint));
      written = Promise.promise();
      context.runOnContext(v -> flush());
    }
    return pending;
  }

  /** Completes once this run's buffer has been handed to the socket; after {@link #buffer}. */
  public Future<Void> written() {
    return written.future();
  }

  /** Writes what was gathered now (before a close, say); completes when it was written. */
  public Future<Void> flush() {
    if (pending == null) {
      return Future.succeededFuture();
    }
    Buffer out = pending;
    Promise<Void> done = written;
    pending = null;
    written = null;
    Future<Void> result = socket.write(out);
    result.onComplete(done);
    return result;
  }
}

package io.phoenix.transport;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a connection writes during one run of its event loop's tasks, gathered into one buffer
 * and one socket write at the end of the run: a session that answers and is pushed many frames
 * at once pays one system call for them, not one each. Each transport says how a part is framed
 * ({@link Framing}: TCP its length prefixes, WebSocket its frame headers).
 *
 * <p>The parts are kept until the write and copied once into a buffer of exactly their size:
 * appending each into a growing buffer cost a new array and a copy at every growth.
 *
 * <p>Used on the socket's event loop.
 *
 * @param <P> what the transport writes (an encoded frame, a WebSocket frame to be)
 */
public final class GatheredWrites<P> {

  /** How a transport puts one part on the wire. */
  public interface Framing<P> {
    /** Bytes {@link #append} adds for {@code part}. */
    int length(P part);

    void append(Buffer out, P part);
  }

  /** Where the gathered buffer goes: the socket. */
  public interface Sink {
    /** Writes {@code out}; completes once it has been handed to the socket. */
    Future<Void> write(Buffer out);
  }

  private final Sink socket;
  private final Context context;
  private final Framing<P> framing;
  private List<P> parts;
  private int bytes;
  private Promise<Void> written;

  public GatheredWrites(Sink socket, Context context, Framing<P> framing) {
    this.socket = socket;
    this.context = context;
    this.framing = framing;
  }

  /**
   * Adds a part to this run's write; the first of a run schedules the write, after the tasks
   * already queued on the loop. Completes once the run's buffer has been handed to the socket.
   */
  public Future<Void> add(P part) {
    if (parts == null) {
      parts = new ArrayList<>(4);
      written = Promise.promise();
      context.runOnContext(v -> flush());
    }
    parts.add(part);
    bytes += framing.length(part);
    return written.future();
  }

  /** Writes what was gathered now (before a close, say); completes when it was written. */
  public Future<Void> flush() {
    if (parts == null) {
      return Future.succeededFuture();
    }
    Buffer out = Buffer.buffer(bytes);
    for (P part : parts) {
      framing.append(out, part);
    }
    Promise<Void> done = written;
    parts = null;
    written = null;
    bytes = 0;
    Future<Void> result = socket.write(out);
    result.onComplete(done);
    return result;
  }
}

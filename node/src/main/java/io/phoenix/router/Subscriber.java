package io.phoenix.router;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.v1.Identity;
import io.vertx.core.Future;
import java.util.function.Consumer;

/**
 * What the router needs of a connected client session: its identity and a way to hand it
 * frames. Implemented by the session layer, so the router never depends on it.
 *
 * <p>Every method is thread-safe: an implementation hops to its own context when called from
 * another thread.
 */
public interface Subscriber {

  /** The session's full identity: eid, connection_resource_id and node. */
  Identity identity();

  /** Unique id of this session (tells a session from its replacement). */
  String sessionId();

  /**
   * Pushes a frame that was not asked for. For a stream message {@code offset > 0}: per stream
   * the session passes on only increasing offsets (a late lower one is dropped; the client fills
   * gaps with PULL_REQUEST).
   */
  void push(EncodedFrame frame, String stream, long offset);

  /** Sends a response to something this session asked. */
  void send(EncodedFrame frame);

  /**
   * Runs {@code then} with the result of {@code step} once every step this session ordered
   * before has run its own {@code then}: asynchronous steps (directory lookups) go on
   * concurrently, while what depends on them (fan-out) leaves in the order the session asked.
   * A failed step is skipped. Call on the session's context.
   */
  <T> void inOrder(Future<T> step, Consumer<T> then);

  /** Sends {@code Goodbye{status, reason}} and closes the connection. */
  void close(int status, String reason);
}

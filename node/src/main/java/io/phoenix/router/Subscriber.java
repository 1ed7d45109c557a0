package io.phoenix.router;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.v1.Identity;

/**
 * What the router needs of a connected client session: its identity, its reply order and a way
 * to hand it frames. Implemented by the session layer, so the router never depends on it.
 *
 * <p>{@link #reserve()} is called on the session's context; every other method is thread-safe:
 * an implementation hops to its own context when called from another thread.
 */
public interface Subscriber {

  /** How a pushed frame takes part in its stream's order. */
  enum PushKind {
    /** Not a stream frame (DEVICE messages, forwarded acks): passed on as it comes. */
    UNORDERED,
    /** A stored message of the stream, pushed at its offset: passed on in offset order. */
    MESSAGE,
    /** A SYNC hint naming the stream's head: a newer one supersedes older ones. */
    HINT
  }

  /** The session's full identity: eid, connection_resource_id and node. */
  Identity identity();

  /** Unique id of this session (tells a session from its replacement). */
  String sessionId();

  /**
   * Pushes a frame that the session did not ask for. Per stream, {@link PushKind#MESSAGE}s are
   * passed on in increasing offset order with no gap: one that arrives ahead of a missing offset
   * waits briefly for it, and when a gap cannot be filled (or a push arrives after a later one
   * was passed on) the device is sent a SYNC hint for the stream, so that it pulls what it lacks.
   * A stored message's push is never dropped silently.
   *
   * @param stream the stream the frame belongs to (null for {@link PushKind#UNORDERED})
   * @param offset the message's offset, or the head a hint names (0 when unordered)
   * @param delivered the recipient's DELIVERED position the frame reports (for hints the
   *     session builds itself)
   */
  void push(EncodedFrame frame, PushKind kind, StreamId stream, long offset, long delivered);

  /** Sends a frame to the session directly (call from within a released {@link Reply}). */
  void send(EncodedFrame frame);

  /**
   * Sends a list of frames to the session, however long, then runs {@code done} (call from
   * within a {@link Reply#releaseUntilDone}). A session writes them as its connection drains,
   * so that a long answer the client asked for does not count as a slow consumer's backlog;
   * {@code done} runs also when the session closes first. This default sends them at once.
   */
  default void sendAll(java.util.List<EncodedFrame> frames, Runnable done) {
    frames.forEach(this::send);
    done.run();
  }

  /**
   * Takes the next place in this session's reply order, for a request that just arrived.
   * Call on the session's context, in the order requests arrive.
   */
  Reply reserve();

  /** Sends {@code Goodbye{status, reason}} and closes the connection. */
  void close(int status, String reason);
}

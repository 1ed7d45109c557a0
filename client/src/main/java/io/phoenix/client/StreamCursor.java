package io.phoenix.client;

import io.phoenix.protocol.v1.Message;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client's position in one stream S(from→to): the last offset handed to the application,
 * the highest offset known to exist, whether a PULL_REQUEST is under way, and the pushed
 * messages that arrived early (past a gap), held until the gap is filled. At most
 * {@link #MAX_HELD} are held; the highest are dropped beyond that (a later pull brings them).
 *
 * <p>A cursor only moves forward, except by {@link #restart}, which the {@link Receiver} calls
 * on evidence that the node's stream started over (never on a guess): the node reported a
 * head below a position it had reached before. Each restart begins a new {@link #generation},
 * so that answers to requests made before it are not taken for answers about the new stream.
 * (A new store epoch in Welcome does not restart cursors: the receiver forgets them all.)
 *
 * <p>Used on the client's context only.
 */
final class StreamCursor {
  static final int MAX_HELD = 256;

  final String from;
  final String to;
  /** Highest offset delivered to the application, or known to need no delivery. */
  long last;
  /** Highest offset known to exist in the stream. */
  long highestSeen;
  /** True while a PULL_REQUEST for this stream is unanswered. */
  boolean pulling;
  /** {@link #last} when the current SYNC was sent: its listing cannot show a lower head. */
  long lastAtSync;
  /** Counts restarts; answers to requests of an earlier generation say nothing of this one. */
  int generation;
  /** PULL_REQUESTs of this stream answered 503 in a row (each retry waits longer). */
  int refusals;
  private final TreeMap<Long, Message> held = new TreeMap<>();
  /** The serialized size of the messages in {@link #held}. */
  long heldBytes;

  StreamCursor(String from, String to, long last) {
    this.from = from;
    this.to = to;
    this.last = last;
    this.highestSeen = last;
  }

  /** Records that {@code m} was handed to the application. */
  void delivered(Message m) {
    last = m.getPeer().getOffset();
  }

  /** Follows the stream again from after {@code offset}, forgetting what was held. */
  void restart(long offset) {
    generation++;
    last = offset;
    highestSeen = offset;
    lastAtSync = 0;
    held.clear();
    heldBytes = 0;
  }

  void saw(long offset) {
    highestSeen = Math.max(highestSeen, offset);
  }

  /** True when offsets beyond {@link #last} are known to exist. */
  boolean behind() {
    return highestSeen > last;
  }

  /** Keeps a message that arrived past a gap. */
  void hold(Message m) {
    Message before = held.put(m.getPeer().getOffset(), m);
    heldBytes += m.getSerializedSize() - (before == null ? 0 : before.getSerializedSize());
    if (held.size() > MAX_HELD) {
      heldBytes -= held.pollLastEntry().getValue().getSerializedSize();
    }
  }

  /**
   * Removes and returns the first held message if it comes right after {@link #last}, or if
   * its offset is at most {@code through} (offsets up to there are known to have no gap that
   * will still be filled); else null. Held messages at or below {@link #last} are discarded.
   */
  Message nextHeld(long through) {
    while (!held.isEmpty() && held.firstKey() <= last) {
      heldBytes -= held.pollFirstEntry().getValue().getSerializedSize();
    }
    Map.Entry<Long, Message> first = held.firstEntry();
    if (first == null || (first.getKey() != last + 1 && first.getKey() > through)) {
      return null;
    }
    held.pollFirstEntry();
    heldBytes -= first.getValue().getSerializedSize();
    return first.getValue();
  }

  boolean idle() {
    return !pulling && held.isEmpty();
  }
}

package io.phoenix.client;

import io.phoenix.protocol.v1.Message;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client's position in one stream S(from→to): the last offset handed to the application,
 * the highest offset known to exist, whether a PULL_REQUEST is under way, and the pushed
 * messages that arrived early (past a gap), held until the gap is filled. At most
 * {@link #MAX_HELD} are held; the highest are dropped beyond that (a later pull brings them).
 *
 * <p>It also notices a stream the node has started over (a whole cluster that kept its
 * messages in memory only was restarted, so offsets begin at 1 again): a message at an offset
 * already delivered but with another message_id (the ids of the last {@link #RECENT}
 * deliveries are kept, as hashes), or a head below a position the client knew the node had
 * reached. (A stream SYNC lists although its head was delivered is pulled again from the head,
 * so the first of these checks can tell.) Each start-over begins a new {@link #epoch}.
 *
 * <p>Used on the client's context only.
 */
final class StreamCursor {
  static final int MAX_HELD = 256;
  static final int RECENT = 64;

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
  /** Counts start-overs; answers to requests of an earlier epoch say nothing of this one. */
  int epoch;
  private final TreeMap<Long, Message> held = new TreeMap<>();
  private final long[] recentOffsets = new long[RECENT];
  private final int[] recentIds = new int[RECENT];

  StreamCursor(String from, String to, long last) {
    this.from = from;
    this.to = to;
    this.last = last;
    this.highestSeen = last;
  }

  /** Records that {@code m} was handed to the application. */
  void delivered(Message m) {
    last = m.getPeer().getOffset();
    int slot = (int) Math.floorMod(last, (long) RECENT);
    recentOffsets[slot] = last;
    recentIds[slot] = m.getMessageId().hashCode();
  }

  /**
   * True when {@code m}, at or below {@link #last}, is not a repeat: a message delivered
   * recently at the same offset had another message_id.
   */
  boolean replaces(Message m) {
    long offset = m.getPeer().getOffset();
    int slot = (int) Math.floorMod(offset, (long) RECENT);
    return offset > 0 && recentOffsets[slot] == offset
        && recentIds[slot] != m.getMessageId().hashCode();
  }

  /** Starts the stream over after {@code offset}, forgetting what was held and delivered. */
  void restart(long offset) {
    epoch++;
    last = offset;
    highestSeen = offset;
    lastAtSync = 0;
    held.clear();
    Arrays.fill(recentOffsets, 0);
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
    held.put(m.getPeer().getOffset(), m);
    if (held.size() > MAX_HELD) {
      held.pollLastEntry();
    }
  }

  /**
   * Removes and returns the first held message if it comes right after {@link #last}, or if
   * its offset is at most {@code through} (offsets up to there are known to have no gap that
   * will still be filled); else null. Held messages at or below {@link #last} are discarded.
   */
  Message nextHeld(long through) {
    while (!held.isEmpty() && held.firstKey() <= last) {
      held.pollFirstEntry();
    }
    Map.Entry<Long, Message> first = held.firstEntry();
    if (first == null || (first.getKey() != last + 1 && first.getKey() > through)) {
      return null;
    }
    held.pollFirstEntry();
    return first.getValue();
  }

  boolean idle() {
    return !pulling && held.isEmpty();
  }
}

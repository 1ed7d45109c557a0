package io.phoenix.stream;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * One stream {@code S(from → to)} as held inside its recipient's {@link Inbox}: the head, the
 * recipient's DELIVERED and READ positions, and the kept messages.
 *
 * <p>Kept messages are contiguous: offsets {@code head - size + 1 … head}, oldest first, held
 * in a ring so that appending and trimming the oldest are O(1). Each kept message's
 * message_id is indexed for dedupe; a message_id is remembered exactly as long as its message
 * is kept.
 *
 * <p>The offsets of RECEIVER notifications above READ are also remembered, as runs, after
 * their messages are trimmed: an acknowledgement of a notification must never reach its sender,
 * while that of a chat message must, whether or not the message is still kept. At most
 * {@link #MAX_RUNS} runs are remembered; below the oldest dropped one the type is unknown.
 *
 * <p>Not thread-safe: only touched by Hazelcast entry processors on the partition thread that
 * owns the inbox.
 */
final class StreamState {
  static final int MAX_RUNS = 1024;

  long head;
  long delivered;
  long read;
  /** RECEIVER offsets above READ: {first, last} runs, ascending. */
  private final java.util.ArrayDeque<long[]> receiverRuns = new java.util.ArrayDeque<>();
  /** Offsets at or below this one have an unknown type once trimmed. */
  private long unknownUpTo;
  private Kept[] ring = new Kept[4];
  private int first;
  private int size;
  private final Map<String, Long> ids = new HashMap<>();

  /** One kept message. */
  record Kept(long offset, long acceptedAt, String messageId, int type, byte[] message) {}

  int size() {
    return size;
  }

  /** Offset of the oldest kept message, or {@code head + 1} when none is kept. */
  long firstKeptOffset() {
    return head - size + 1;
  }

  /** The kept message at {@code offset}, or null when it is not kept. */
  Kept at(long offset) {
    long index = offset - firstKeptOffset();
    if (index < 0 || index >= size) {
      return null;
    }
    return ring[(int) ((first + index) % ring.length)];
  }

  Long offsetOf(String messageId) {
    return ids.get(messageId);
  }

  /** Assigns the next offset to a new message and keeps it. */
  long append(String messageId, int type, byte[] message, long now) {
    long offset = ++head;
    if (size == ring.length) {
      Kept[] grown = new Kept[ring.length * 2];
      for (int i = 0; i < size; i++) {
        grown[i] = ring[(first + i) % ring.length];
      }
      ring = grown;
      first = 0;
    }
    ring[(first + size) % ring.length] = new Kept(offset, now, messageId, type, message);
    size++;
    ids.put(messageId, offset);
    return offset;
  }

  /** Remembers the type of the message just appended at {@code offset}. */
  void noteType(long offset, int type) {
    if (type != io.phoenix.protocol.v1.MessageType.RECEIVER_VALUE) {
      return;
    }
    long[] last = receiverRuns.peekLast();
    if (last != null && last[1] == offset - 1) {
      last[1] = offset;
      return;
    }
    receiverRuns.addLast(new long[] {offset, offset});
    if (receiverRuns.size() > MAX_RUNS) {
      unknownUpTo = Math.max(unknownUpTo, receiverRuns.removeFirst()[1]);
    }
  }

  /**
   * Whether an acknowledgement of {@code offset} may be forwarded to the sender: true for a
   * chat message, false for a notification or when the type is no longer known.
   */
  boolean forwardsAckOf(long offset) {
    Kept k = at(offset);
    if (k != null) {
      return k.type() != io.phoenix.protocol.v1.MessageType.RECEIVER_VALUE;
    }
    if (offset <= unknownUpTo) {
      return false;
    }
    for (long[] run : receiverRuns) {
      if (offset >= run[0] && offset <= run[1]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Forgets the types at or below READ: an acknowledgement there can no longer advance
   * anything, so it is never forwarded.
   */
  void forgetTypesUpTo(long offset) {
    while (!receiverRuns.isEmpty() && receiverRuns.peekFirst()[1] <= offset) {
      receiverRuns.removeFirst();
    }
    long[] first = receiverRuns.peekFirst();
    if (first != null && first[0] <= offset) {
      first[0] = offset + 1;
    }
  }

  /** Drops kept messages accepted before {@code cutoff}; returns how many were dropped. */
  int trimBefore(long cutoff) {
    int dropped = 0;
    while (size > 0 && ring[first].acceptedAt() < cutoff) {
      ids.remove(ring[first].messageId());
      ring[first] = null;
      first = (first + 1) % ring.length;
      size--;
      dropped++;
    }
    if (size == 0 && ring.length > 16) {
      ring = new Kept[4];
      first = 0;
    }
    return dropped;
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeLong(head);
    out.writeLong(delivered);
    out.writeLong(read);
    out.writeInt(size);
    for (int i = 0; i < size; i++) {
      Kept k = ring[(first + i) % ring.length];
      out.writeLong(k.acceptedAt());
      out.writeString(k.messageId());
      out.writeByte(k.type());
      out.writeByteArray(k.message());
    }
    out.writeInt(receiverRuns.size());
    for (long[] run : receiverRuns) {
      out.writeLong(run[0]);
      out.writeLong(run[1]);
    }
    out.writeLong(unknownUpTo);
  }

  static StreamState readFrom(ObjectDataInput in) throws IOException {
    StreamState s = new StreamState();
    long head = in.readLong();
    s.delivered = in.readLong();
    s.read = in.readLong();
    int n = in.readInt();
    s.ring = new Kept[Math.max(4, Integer.highestOneBit(Math.max(1, n)) * 2)];
    s.head = head - n;
    for (int i = 0; i < n; i++) {
      long acceptedAt = in.readLong();
      String id = in.readString();
      int type = in.readByte();
      byte[] message = in.readByteArray();
      s.append(id, type, message, acceptedAt);
    }
    if (s.head != head) {
      throw new IOException("corrupt stream state: head " + head + " vs " + s.head);
    }
    int runs = in.readInt();
    for (int i = 0; i < runs; i++) {
      s.receiverRuns.addLast(new long[] {in.readLong(), in.readLong()});
    }
    s.unknownUpTo = in.readLong();
    return s;
  }

  @Override
  public String toString() {
    return "StreamState{head=" + head + ", delivered=" + delivered + ", read=" + read
        + ", kept=" + size + "}";
  }
}

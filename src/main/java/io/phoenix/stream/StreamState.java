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
 * <p>Not thread-safe: only touched by Hazelcast entry processors on the partition thread that
 * owns the inbox.
 */
final class StreamState {
  long head;
  long delivered;
  long read;
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
    return s;
  }

  @Override
  public String toString() {
    return "StreamState{head=" + head + ", delivered=" + delivered + ", read=" + read
        + ", kept=" + size + "}";
  }
}

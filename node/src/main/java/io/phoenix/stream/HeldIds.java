package io.phoenix.stream;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The message_ids a stream still holds for dedupe after their messages left its window: written
 * to the database, no longer in the hot window, and written less than the id hold ago (see
 * {@link StreamState}). They are many (every message of the last seconds), so they are kept in
 * primitive arrays rather than as objects: per id, a 64-bit hash, when it was written, and the
 * request that appended it, with an open-addressing index from hash to offset. No object per id
 * means nothing for the young collector to copy but a few arrays.
 *
 * <p>A hash is not the id: a match only says "maybe". The caller treats it as such (the
 * database is asked again, see {@link StreamOp}); what the hash rules out is exact.
 *
 * <p>The held offsets are contiguous ({@link #first()} … {@link #last()}): messages leave the
 * window oldest first and are added here in that order; the oldest go first.
 *
 * <p>Not thread-safe: part of a {@link StreamState}.
 */
final class HeldIds {
  /** Writers (node runs), shared: each held id names the node run that appended it. */
  private static final ConcurrentHashMap<String, String> OWNERS = new ConcurrentHashMap<>();
  /** Past this many writers (every restart of a member is a new one), sharing starts over. */
  private static final int MAX_SHARED_OWNERS = 1024;

  private long first = 1;
  private int start;
  private int size;
  private long[] hashes = new long[4];
  private long[] writtenAt = new long[4];
  private long[] requests = new long[4];
  private String[] owners = new String[4];
  /** Offsets by hash, linear probing, 0 for an empty slot; at most half full. */
  private long[] index = new long[8];

  int size() {
    return size;
  }

  /** The oldest held offset (when not empty). */
  long first() {
    return first;
  }

  /** The newest held offset, or {@code first() - 1} when empty. */
  long last() {
    return first + size - 1;
  }

  /** When the oldest held id's message was written (when not empty). */
  long oldestWrittenAt() {
    return writtenAt[start];
  }

  /** Holds the id of {@code offset}, which must be {@code last() + 1} unless empty. */
  private static String shared(String owner) {
    String s = OWNERS.get(owner);
    if (s == null) {
      if (OWNERS.size() >= MAX_SHARED_OWNERS) {
        OWNERS.clear(); // only sharing is lost: equal strings stay equal
      }
      s = OWNERS.computeIfAbsent(owner, o -> o);
    }
    return s;
  }

  void add(long offset, long hash, long writtenAt, long request, String owner) {
    if (size == 0) {
      first = offset;
      start = 0;
    } else if (offset != last() + 1) {
      throw new IllegalStateException("held ids must stay contiguous: " + offset + " after "
          + last());
    }
    if (size == hashes.length) {
      resize(hashes.length * 2);
    }
    int at = slot(size);
    hashes[at] = hash;
    this.writtenAt[at] = writtenAt;
    requests[at] = request;
    owners[at] = shared(owner);
    size++;
    insert(offset, hash);
  }

  /** Forgets the oldest held id. */
  void dropOldest() {
    remove(first, hashes[start]);
    owners[start] = null;
    start = (start + 1) & (hashes.length - 1);
    first++;
    size--;
    if (hashes.length > 64 && size < hashes.length / 4) {
      resize(hashes.length / 2); // a burst's arrays do not outlive it
    }
  }

  /** Ids the arrays have room for before they grow. */
  int capacity() {
    return hashes.length;
  }

  /** The newest held offset above {@code after} whose id has this hash, or 0. */
  long find(long hash, long after) {
    int mask = index.length - 1;
    long found = 0;
    for (int i = home(hash, mask); index[i] != 0; i = (i + 1) & mask) {
      long o = index[i];
      if (o > after && hashes[slotOf(o)] == hash && o > found) {
        found = o;
      }
    }
    return found;
  }

  /** Whether the held {@code offset} was appended by this request of this node. */
  boolean appendedBy(long offset, String node, long request) {
    int at = slotOf(offset);
    return requests[at] == request && owners[at].equals(node);
  }

  /** Writes the held ids, oldest first (their offsets follow from where the window starts). */
  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeInt(size);
    for (int i = 0; i < size; i++) {
      int at = slot(i);
      out.writeLong(hashes[at]);
      out.writeLong(writtenAt[at]);
      out.writeLong(requests[at]);
      out.writeString(owners[at]);
    }
  }

  /**
   * Reads what {@link #writeTo} wrote of a stream whose window starts at {@code windowFirst};
   * null when no id is held.
   */
  static HeldIds readFrom(ObjectDataInput in, long windowFirst) throws IOException {
    int n = in.readInt();
    if (n == 0) {
      return null;
    }
    HeldIds held = new HeldIds();
    for (long o = windowFirst - n; o < windowFirst; o++) {
      held.add(o, in.readLong(), in.readLong(), in.readLong(), in.readString());
    }
    return held;
  }

  /**
   * The hash a message_id is held by: the same on every member and every run (backups apply
   * the same batches and must decide the same), spread over 64 bits.
   */
  static long hash(String messageId) {
    long h = 0x9E3779B97F4A7C15L ^ messageId.length();
    for (int i = 0; i < messageId.length(); i++) {
      h = (h ^ messageId.charAt(i)) * 0x100000001B3L;
      h ^= h >>> 29;
    }
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static int home(long hash, int mask) {
    return (int) (hash ^ (hash >>> 32)) & mask;
  }

  private int slot(int i) {
    return (start + i) & (hashes.length - 1);
  }

  private int slotOf(long offset) {
    return slot((int) (offset - first));
  }

  private void insert(long offset, long hash) {
    int mask = index.length - 1;
    int i = home(hash, mask);
    while (index[i] != 0) {
      i = (i + 1) & mask;
    }
    index[i] = offset;
  }

  /** Removes {@code offset} from the index, shifting back what probed past it. */
  private void remove(long offset, long hash) {
    int mask = index.length - 1;
    int i = home(hash, mask);
    while (index[i] != offset) {
      i = (i + 1) & mask;
    }
    index[i] = 0;
    for (int j = (i + 1) & mask; index[j] != 0; j = (j + 1) & mask) {
      int h = home(hashes[slotOf(index[j])], mask);
      // the entry at j may move to the hole at i unless its home lies cyclically in (i, j]
      boolean stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
      if (!stays) {
        index[i] = index[j];
        index[j] = 0;
        i = j;
      }
    }
  }

  private void resize(int n) {
    long[] h = new long[n];
    long[] w = new long[n];
    long[] r = new long[n];
    String[] o = new String[n];
    for (int i = 0; i < size; i++) {
      int at = slot(i);
      h[i] = hashes[at];
      w[i] = writtenAt[at];
      r[i] = requests[at];
      o[i] = owners[at];
    }
    hashes = h;
    writtenAt = w;
    requests = r;
    owners = o;
    start = 0;
    index = new long[n * 2];
    for (int i = 0; i < size; i++) {
      insert(first + i, hashes[i]);
    }
  }
}

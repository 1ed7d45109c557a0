package io.phoenix.stream;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The streams into, and the online devices of, every eid that hashes to one bucket: the value of
 * the {@code phoenix.streams} map.
 *
 * <pre>
 * map phoenix.streams    key                         value
 *                        bucket (0 … BUCKETS - 1)    StreamBucket {
 *                                                      streams: recipient eid →
 *                                                        { sender eid → StreamState }
 *                                                      devices: eid →
 *                                                        { resource → (node id, session id) } }
 * </pre>
 *
 * A recipient's streams are all in one bucket (its SYNC is one operation), next to its devices
 * (the directory), and each node sends one entry processor per bucket carrying many operations
 * at once (see {@link BucketBatch}): a few dozen keys spread the load over the partitions, and
 * batching makes a busy node pay one round trip for many messages and device lookups.
 *
 * <p>Not thread-safe: owned by the partition thread; in-memory format OBJECT.
 */
final class StreamBucket implements IdentifiedDataSerializable {
  /** log2 of {@link #BUCKETS}. */
  private static final int BUCKET_BITS = 6;
  /** Number of buckets; the same on every member (part of the data layout). */
  static final int BUCKETS = 1 << BUCKET_BITS;

  final Map<String, Map<String, StreamState>> byRecipient = new HashMap<>();
  /** eid → resource → {node, session}: the online devices. */
  final Map<String, Map<String, String[]>> devices = new HashMap<>();
  /**
   * Streams forgotten because the cluster had given some of their offsets twice (see
   * {@link StreamOp.Kind#FORGET}), by "from\0to", until read back.
   */
  final Map<String, Floor> floors = new HashMap<>();

  /**
   * What a forgotten stream read back starts from: at least the head it had reached, so that no
   * offset it gave is given again, and the messages that were unwritten when it was forgotten
   * (see {@link StreamState#carry}).
   */
  static final class Floor {
    final long head;
    /** When it was forgotten. */
    final long at;
    final List<StreamState.Kept> carried;

    Floor(long head, long at, List<StreamState.Kept> carried) {
      this.head = head;
      this.at = at;
      this.carried = carried;
    }

    /** Both forgets' (only one when read back between them: then the later one's). */
    Floor merge(Floor later) {
      Map<Long, StreamState.Kept> byOffset = new java.util.TreeMap<>();
      carried.forEach(k -> byOffset.put(k.offset, k));
      later.carried.forEach(k -> byOffset.put(k.offset, k));
      return new Floor(Math.max(head, later.head), later.at, new ArrayList<>(byOffset.values()));
    }
  }
  /**
   * Bytes of the message bodies its streams' windows hold: kept up to date by the operations
   * that add or drop bodies, recounted by {@link #recountBodies} (not serialized).
   */
  long bodyBytes;

  /** Whether it holds no stream and no device (a bucket not worth keeping in the map). */
  boolean isEmpty() {
    return byRecipient.isEmpty() && devices.isEmpty() && floors.isEmpty();
  }

  /**
   * The bucket of a recipient: the top bits of its hash times 2^32 / φ (Fibonacci hashing), so
   * that every bit of the hash has its say. (The low bits of that product, taken before
   * 2026-12-04, depend on the hash's low bits alone: sequential eids such as {@code user-1},
   * {@code user-2}, ... filled some buckets five times as much as others, and the eids of one
   * bucket, sharing their low bits, fell into the same few bins of the bucket's own maps.)
   */
  static int of(String to) {
    return (to.hashCode() * 0x9E3779B9) >>> (Integer.SIZE - BUCKET_BITS);
  }

  /** Counts {@link #bodyBytes} again from the streams. */
  void recountBodies() {
    long n = 0;
    for (Map<String, StreamState> streams : byRecipient.values()) {
      for (StreamState s : streams.values()) {
        n += s.bodyBytes();
      }
    }
    bodyBytes = n;
  }

  /**
   * Drops the bodies of written messages, from the streams used least recently on, until the
   * bucket holds at most {@code target} bytes of bodies or only unwritten ones are left (those
   * must stay until written). Pulls read dropped bodies back from the database. Returns the
   * bytes freed.
   */
  long trimBodies(long target) {
    List<Held> candidates = leastRecentlyUsed(s -> s.firstBody() <= s.durableHead);
    long freed = 0;
    for (int i = 0; i < candidates.size() && bodyBytes > target; i++) {
      long n = candidates.get(i).state().dropWrittenBodies();
      bodyBytes -= n;
      freed += n;
    }
    return freed;
  }

  /** The streams {@code which} accepts, in {@link Held#LEAST_RECENTLY_USED} order. */
  private List<Held> leastRecentlyUsed(java.util.function.Predicate<StreamState> which) {
    List<Held> out = new ArrayList<>();
    byRecipient.forEach((to, streams) -> streams.forEach((from, s) -> {
      if (which.test(s)) {
        out.add(new Held(to, from, s));
      }
    }));
    out.sort(Held.LEAST_RECENTLY_USED);
    return out;
  }

  /** A stream with its eids, for upkeep's choices. */
  private record Held(String to, String from, StreamState state) {
    /**
     * The least recently used first; streams used by one batch share its time, and their eids
     * break the tie. Never the order the bucket's maps iterate in: an owner and a backup that
     * got its copy by migration hold the same streams in maps of other capacities, which
     * iterate in other orders, and they would forget different streams. A backup that lacks a
     * stream its owner goes on using skips the stream's appends (MISSING), and once promoted
     * it has lost those not written yet.
     */
    static final Comparator<Held> LEAST_RECENTLY_USED =
        Comparator.<Held>comparingLong(h -> h.state.touchedAt)
            .thenComparing(Held::to).thenComparing(Held::from);
  }

  /** How many streams it holds. */
  int streamCount() {
    int n = 0;
    for (Map<String, StreamState> streams : byRecipient.values()) {
      n += streams.size();
    }
    return n;
  }

  /**
   * Forgets up to {@code n} streams whose every message and position is in the database and
   * that were last used before {@code usedBefore}, the least recently used first (the same
   * ones on the owner and on every backup): they are read back from the database when used
   * again. Returns how many it forgot.
   */
  int forgetLeastRecentlyUsed(int n, long usedBefore) {
    List<Held> candidates = leastRecentlyUsed(s -> s.fullySaved() && s.touchedAt < usedBefore);
    int forgotten = Math.min(n, candidates.size());
    for (Held h : candidates.subList(0, forgotten)) {
      Map<String, StreamState> streams = byRecipient.get(h.to());
      streams.remove(h.from());
      if (streams.isEmpty()) {
        byRecipient.remove(h.to());
      }
    }
    return forgotten;
  }

  StreamState get(String from, String to) {
    Map<String, StreamState> streams = byRecipient.get(to);
    return streams == null ? null : streams.get(from);
  }

  void put(String from, String to, StreamState s) {
    byRecipient.computeIfAbsent(to, k -> new HashMap<>()).put(from, s);
  }

  /**
   * Forgets a stream whose offsets were given twice, remembering the head it had reached and
   * its unwritten messages but those at {@code displaced} offsets (which hold other messages);
   * returns it, or null when the bucket does not hold it.
   */
  StreamState forget(String from, String to, long now, long[] displaced) {
    Map<String, StreamState> streams = byRecipient.get(to);
    StreamState s = streams == null ? null : streams.remove(from);
    if (s == null) {
      return null;
    }
    if (streams.isEmpty()) {
      byRecipient.remove(to);
    }
    bodyBytes -= s.bodyBytes();
    floors.merge(from + '\u0000' + to, new Floor(s.head, now, s.unwrittenExcept(displaced)),
        Floor::merge);
    return s;
  }

  /**
   * A stream forgotten already and not read back: its floor lets go of the messages at
   * {@code displaced} offsets. Whether it held any.
   */
  boolean dropDisplaced(String from, String to, long[] displaced) {
    Floor f = floors.isEmpty() ? null : floors.get(from + '\u0000' + to);
    return f != null && f.carried.removeIf(k -> StreamState.contains(displaced, k.offset));
  }

  /** Where a stream read back starts (null when it was not forgotten); forgets it. */
  Floor takeFloor(String from, String to) {
    return floors.isEmpty() ? null : floors.remove(from + '\u0000' + to);
  }

  /** Removes every stream {@code keep} rejects; returns how many. */
  int removeIf(java.util.function.BiPredicate<String, StreamState> drop) {
    int n = 0;
    for (Iterator<Map<String, StreamState>> r = byRecipient.values().iterator(); r.hasNext(); ) {
      Map<String, StreamState> streams = r.next();
      for (Iterator<Map.Entry<String, StreamState>> it = streams.entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<String, StreamState> e = it.next();
        if (drop.test(e.getKey(), e.getValue())) {
          it.remove();
          n++;
        }
      }
      if (streams.isEmpty()) {
        r.remove();
      }
    }
    return n;
  }

  @Override
  public int getFactoryId() {
    return StreamSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StreamSerialization.BUCKET;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(devices.size());
    for (Map.Entry<String, Map<String, String[]>> d : devices.entrySet()) {
      out.writeString(d.getKey());
      out.writeInt(d.getValue().size());
      for (Map.Entry<String, String[]> e : d.getValue().entrySet()) {
        out.writeString(e.getKey());
        out.writeString(e.getValue()[0]);
        out.writeString(e.getValue()[1]);
      }
    }
    out.writeInt(byRecipient.size());
    for (Map.Entry<String, Map<String, StreamState>> r : byRecipient.entrySet()) {
      out.writeString(r.getKey());
      out.writeInt(r.getValue().size());
      for (Map.Entry<String, StreamState> e : r.getValue().entrySet()) {
        out.writeString(e.getKey());
        e.getValue().writeTo(out);
      }
    }
    out.writeInt(floors.size());
    for (Map.Entry<String, Floor> f : floors.entrySet()) {
      out.writeString(f.getKey());
      out.writeLong(f.getValue().head);
      out.writeLong(f.getValue().at);
      StreamState.writeKept(out, f.getValue().carried);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int eids = in.readInt();
    for (int i = 0; i < eids; i++) {
      String eid = in.readString();
      int n = in.readInt();
      Map<String, String[]> set = new java.util.LinkedHashMap<>();
      for (int j = 0; j < n; j++) {
        set.put(in.readString(), new String[] {in.readString(), in.readString()});
      }
      devices.put(eid, set);
    }
    int recipients = in.readInt();
    for (int i = 0; i < recipients; i++) {
      String to = in.readString();
      int n = in.readInt();
      Map<String, StreamState> streams = new HashMap<>(Math.max(4, n * 2));
      for (int j = 0; j < n; j++) {
        streams.put(in.readString(), StreamState.readFrom(in));
      }
      byRecipient.put(to, streams);
    }
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      String key = in.readString();
      long head = in.readLong();
      long at = in.readLong();
      floors.put(key, new Floor(head, at, StreamState.readKept(in)));
    }
    recountBodies();
  }
}

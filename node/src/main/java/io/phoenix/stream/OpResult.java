package io.phoenix.stream;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.phoenix.stream.StreamState.Kept;
import io.phoenix.stream.log.MessageLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What one {@link StreamOp} answered, travelling back from the bucket's owner. One shape for
 * every kind; {@link #code} says which fields mean something.
 *
 * <p>Not thread-safe; built on the partition thread, read once by the caller.
 */
final class OpResult {
  /** The stream is not in the cluster's memory: load it from the database and ask again. */
  static final int MISSING = 0;
  /** APPEND stored: {@code offset}, {@code delivered}; {@code entries}: other nodes' unwritten
   * messages below it; {@code runs}: RECEIVER runs when this was a notification. */
  static final int STORED = 1;
  /** APPEND of a known message_id: {@code offset}, {@code delivered}; {@code entries}: the
   * original when it is not written yet. */
  static final int DUPLICATE = 2;
  /** APPEND refused: the backlog above DELIVERED is full. */
  static final int FULL = 3;
  /** ACK: {@code flags} accepted/advanced/forward; {@code delivered}, {@code read},
   * {@code head}; {@code runs} when READ moved. */
  static final int ACKED = 4;
  /** PULL: {@code head} (visible), {@code delivered}, {@code offset}: the first offset whose
   * body is in memory (below it, read the database); {@code entries}: from memory;
   * {@code read}: the offset looked at last (expired messages are skipped, not returned);
   * {@code runs}: offsets below the window of messages carried from before a forget, which the
   * database may not hold yet (null when none). */
  static final int PULLED = 5;
  /** POSITIONS: parallel lists of sender and {head, delivered, read}. */
  static final int POSITIONS = 6;
  /** LOAD, DURABLE, MAINTAIN ({@code entries}: unwritten messages to write; {@code offset}:
   * streams forgotten; DURABLE {@code runs}: the offsets that held other messages than the
   * commit wrote, the stream forgotten for them). */
  static final int DONE = 7;
  /** APPEND not applied: its id may be held below the window (written while its database check
   * ran), or an earlier append of its stream in the batch is in that case. Ask the database
   * again and send it again with {@code heldAfter = offset}. */
  static final int RECHECK = 8;

  static final int ACCEPTED = 1;
  static final int ADVANCED = 2;
  static final int FORWARD = 4;

  int code;
  long offset;
  long head;
  long delivered;
  long read;
  int flags;
  long[] runs;
  // The lists stay the shared empty one until something is added (most results carry none or
  // one of them): read them freely, add only through the methods below.
  /** Messages handed back (window, or unwritten ones), with their streams. */
  List<MessageLog.Entry> entries = List.of();
  List<String> senders = List.of();
  List<long[]> positions = List.of();
  /** Devices (DEVICES, REGISTER's replaced one): {eid, resource, node, session} each. */
  List<String[]> devices = List.of();

  static OpResult missing() {
    return of(MISSING);
  }

  static OpResult stored(long offset, long delivered, long[] runs) {
    OpResult r = of(STORED);
    r.offset = offset;
    r.delivered = delivered;
    r.runs = runs;
    return r;
  }

  static OpResult duplicate(long offset, long delivered) {
    OpResult r = of(DUPLICATE);
    r.offset = offset;
    r.delivered = delivered;
    return r;
  }

  static OpResult recheck(long heldAfter) {
    OpResult r = of(RECHECK);
    r.offset = heldAfter;
    return r;
  }

  static OpResult full(long delivered) {
    OpResult r = of(FULL);
    r.delivered = delivered;
    return r;
  }

  static OpResult acked(boolean accepted, boolean advanced, boolean forward, long delivered,
      long read, long head, long[] runs) {
    OpResult r = of(ACKED);
    r.flags = (accepted ? ACCEPTED : 0) | (advanced ? ADVANCED : 0) | (forward ? FORWARD : 0);
    r.delivered = delivered;
    r.read = read;
    r.head = head;
    r.runs = runs;
    return r;
  }

  static OpResult pulled(long head, long delivered, long firstBody) {
    OpResult r = of(PULLED);
    r.head = head;
    r.delivered = delivered;
    r.offset = firstBody;
    return r;
  }

  static OpResult positions() {
    return of(POSITIONS);
  }

  static OpResult done(boolean changed) {
    OpResult r = of(DONE);
    r.flags = changed ? ADVANCED : 0;
    return r;
  }

  private static OpResult of(int code) {
    OpResult r = new OpResult();
    r.code = code;
    return r;
  }

  /** Adds window messages of {@code S(from → to)}. */
  OpResult with(String from, String to, List<Kept> kept) {
    for (Kept k : kept) {
      addEntry(from, to, k);
    }
    return this;
  }

  void addEntry(String from, String to, Kept k) {
    addEntry(new MessageLog.Entry(from, to, k.offset, k.messageId, k.type, k.acceptedAt,
        k.body));
  }

  void addEntry(MessageLog.Entry e) {
    entries = growable(entries);
    entries.add(e);
  }

  void addEntries(List<MessageLog.Entry> more) {
    entries = growable(entries);
    entries.addAll(more);
  }

  /** Replaces the entries handed back. */
  void setEntries(List<MessageLog.Entry> all) {
    entries = new ArrayList<>(all);
  }

  void addDevice(String eid, String resource, String node, String session) {
    addDevice(new String[] {eid, resource, node, session});
  }

  void addDevice(String[] device) {
    devices = growable(devices);
    devices.add(device);
  }

  void addDevices(List<String[]> more) {
    devices = growable(devices);
    devices.addAll(more);
  }

  void addPosition(String sender, long head, long delivered, long read) {
    addPosition(sender, new long[] {head, delivered, read});
  }

  private void addPosition(String sender, long[] position) {
    senders = growable(senders);
    positions = growable(positions);
    senders.add(sender);
    positions.add(position);
  }

  /** {@code list} if it may be added to, else a new list holding what it holds. */
  private static <T> List<T> growable(List<T> list) {
    return list instanceof ArrayList ? list : new ArrayList<>(list);
  }

  boolean has(int flag) {
    return (flags & flag) != 0;
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeByte(code);
    out.writeLong(offset);
    out.writeLong(head);
    out.writeLong(delivered);
    out.writeLong(read);
    out.writeInt(flags);
    out.writeLongArray(runs);
    out.writeInt(entries.size());
    for (MessageLog.Entry e : entries) {
      out.writeString(e.from());
      out.writeString(e.to());
      out.writeLong(e.offset());
      out.writeString(e.messageId());
      out.writeByte(e.type());
      out.writeLong(e.acceptedAt());
      out.writeByteArray(e.body());
    }
    out.writeInt(senders.size());
    for (int i = 0; i < senders.size(); i++) {
      out.writeString(senders.get(i));
      out.writeLongArray(positions.get(i));
    }
    out.writeInt(devices.size());
    for (String[] d : devices) {
      out.writeStringArray(d);
    }
  }

  static OpResult readFrom(ObjectDataInput in) throws IOException {
    OpResult r = new OpResult();
    r.code = in.readByte();
    r.offset = in.readLong();
    r.head = in.readLong();
    r.delivered = in.readLong();
    r.read = in.readLong();
    r.flags = in.readInt();
    r.runs = in.readLongArray();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      r.addEntry(new MessageLog.Entry(in.readString(), in.readString(), in.readLong(),
          in.readString(), in.readByte(), in.readLong(), in.readByteArray()));
    }
    int p = in.readInt();
    for (int i = 0; i < p; i++) {
      r.addPosition(in.readString(), in.readLongArray());
    }
    int d = in.readInt();
    for (int i = 0; i < d; i++) {
      r.addDevice(in.readStringArray());
    }
    return r;
  }
}

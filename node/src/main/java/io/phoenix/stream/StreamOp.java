package io.phoenix.stream;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.phoenix.cluster.Directory;
import io.phoenix.stream.StreamState.Kept;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * One operation on one stream (or, for {@link Kind#MAINTAIN}, on a whole bucket), carried to the
 * bucket's owner inside a {@link BucketBatch} and applied there by {@link #apply}. Every change
 * it makes depends only on its fields and the batch's (time included), so that backups, which
 * apply the same batch, end in the same state.
 *
 * <p>A plain holder of the fields each kind needs; not thread-safe, used once.
 */
final class StreamOp {
  enum Kind {
    /** Dedupe, check the backlog, assign the next offset, keep the message until written. */
    APPEND,
    /** Move DELIVERED (and READ) forward. */
    ACK,
    /** Read the head and the window's messages after an offset. */
    PULL,
    /** The positions of every stream into a recipient the cluster holds. */
    POSITIONS,
    /** Put a stream read from the database, unless the cluster holds it already. */
    LOAD,
    /** Record that a prefix of a stream and its positions are in the database. */
    DURABLE,
    /** Trim windows, forget idle saved streams, hand back messages left unwritten too long. */
    MAINTAIN,
    /** Put a device (eid {@code to}, resource, node, session); answer the one it replaced. */
    REGISTER,
    /** Remove a device if it still names the session. */
    UNREGISTER,
    /** The online devices of eid {@code to}. */
    DEVICES,
    /**
     * Remove every device one run of a node holds (it left the cluster); answer how many. Only
     * if the member that saw it leave is a member of the cluster it is applied in: one that was
     * apart from the cluster (frozen, or cut off) sees the others leave, and its request may
     * reach their cluster after it merged back into it, where those others never left.
     */
    REMOVE_NODE,
    /**
     * Forget a stream some of whose offsets the cluster gave twice (a commit found one holding
     * another message): it is read back from the database, starting at least at the head it
     * had reached, so that no offset is given a third time. Answers the other nodes' unwritten
     * messages it held (the forgetting node writes them: no hole below what is written).
     */
    FORGET
  }

  Kind kind;
  String from = "";
  String to = "";
  String messageId = "";
  int type;
  byte[] body;
  /** APPEND: offset the database holds for this id (0 when none); ACK: the acknowledged one;
   * PULL: the one to read after; LOAD: head; DURABLE: written up to. */
  long offset;
  /** LOAD and DURABLE: positions; ACK: whether READ. */
  long delivered;
  long read;
  boolean flag;
  /**
   * PULL: most messages; REMOVE_NODE: {@link #REMOVE} or {@link #KEEP} once the bucket's owner
   * has decided (0 before: its backups apply the batch with the owner's decision).
   */
  int max;
  static final int REMOVE = 1;
  static final int KEEP = 2;
  /**
   * LOAD: the RECEIVER runs; FORGET: the offsets its commit found holding other messages;
   * DURABLE: what the commit wrote, {offset, {@link StreamState#idHash id hash}} pairs (null:
   * positions only, or a member of an earlier build).
   */
  long[] runs;
  /** APPEND: the sending node's number for this request (a retried request is recognised). */
  long request;
  /** APPEND: held ids at or below this offset are known not to be this one (a re-check). */
  long heldAfter;

  static StreamOp append(String from, String to, String messageId, int type, byte[] body,
      long request) {
    StreamOp op = new StreamOp(Kind.APPEND, from, to);
    op.request = request;
    op.messageId = messageId;
    op.type = type;
    op.body = body;
    return op;
  }

  static StreamOp ack(String from, String to, long offset, boolean read) {
    StreamOp op = new StreamOp(Kind.ACK, from, to);
    op.offset = offset;
    op.flag = read;
    return op;
  }

  static StreamOp pull(String from, String to, long after, int max) {
    StreamOp op = new StreamOp(Kind.PULL, from, to);
    op.offset = after;
    op.max = max;
    return op;
  }

  static StreamOp positions(String to) {
    return new StreamOp(Kind.POSITIONS, "", to);
  }

  static StreamOp load(String from, String to, long head, long delivered, long read,
      long[] runs) {
    StreamOp op = new StreamOp(Kind.LOAD, from, to);
    op.offset = head;
    op.delivered = delivered;
    op.read = read;
    op.runs = runs;
    return op;
  }

  static StreamOp durable(String from, String to, long upTo, long delivered, long read) {
    return durable(from, to, upTo, delivered, read, null);
  }

  /**
   * {@code written}: the messages the commit wrote, {offset, {@link StreamState#idHash}} pairs;
   * a stream holding other messages at those offsets is forgotten instead of marked.
   */
  static StreamOp durable(String from, String to, long upTo, long delivered, long read,
      long[] written) {
    StreamOp op = new StreamOp(Kind.DURABLE, from, to);
    op.offset = upTo;
    op.delivered = delivered;
    op.read = read;
    op.runs = written;
    return op;
  }

  /** {@code displaced}: the offsets its commit found holding other messages. */
  static StreamOp forget(String from, String to, long[] displaced) {
    StreamOp op = new StreamOp(Kind.FORGET, from, to);
    op.runs = displaced;
    return op;
  }

  static StreamOp maintain() {
    return new StreamOp(Kind.MAINTAIN, "", "");
  }

  /** {@code resource}, {@code node} and {@code session} travel in messageId, from, body. */
  static StreamOp register(String eid, String resource, String node, String session) {
    return register(eid, resource, node, session, 0);
  }

  /**
   * The same, refused ({@link OpResult#FULL}) when it would add a device to an eid that has
   * {@code maxDevices} online already; 0: no bound. The bound travels in {@code max}.
   */
  static StreamOp register(String eid, String resource, String node, String session,
      int maxDevices) {
    StreamOp op = new StreamOp(Kind.REGISTER, node, eid);
    op.messageId = resource;
    op.body = session.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    op.max = maxDevices;
    return op;
  }

  static StreamOp unregister(String eid, String resource, String session) {
    StreamOp op = new StreamOp(Kind.UNREGISTER, "", eid);
    op.messageId = resource;
    op.body = session.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return op;
  }

  static StreamOp devices(String eid) {
    return new StreamOp(Kind.DEVICES, "", eid);
  }

  /**
   * The run travels in messageId (as its session prefix), the uuid of the member that saw it
   * leave in {@code to} ("" when none: applied anyway).
   */
  static StreamOp removeNode(String node, String run, String seenBy) {
    StreamOp op = new StreamOp(Kind.REMOVE_NODE, node, seenBy);
    op.messageId = Directory.sessionPrefix(run);
    return op;
  }

  StreamOp() {}

  private StreamOp(Kind kind, String from, String to) {
    this.kind = kind;
    this.from = from;
    this.to = to;
  }

  boolean readOnly() {
    return kind == Kind.PULL || kind == Kind.POSITIONS || kind == Kind.DEVICES;
  }

  /** Whether its bucket is its recipient's (not a maintenance operation of a given bucket). */
  boolean keyed() {
    return kind != Kind.MAINTAIN && kind != Kind.REMOVE_NODE;
  }

  /** Applies the operation to the bucket; returns its result and whether it changed anything. */
  OpResult apply(StreamBucket bucket, BucketBatch b) {
    return switch (kind) {
      case APPEND -> append(bucket, b);
      case ACK -> ack(bucket, b);
      case PULL -> pull(bucket, b);
      case POSITIONS -> positions(bucket, b);
      case LOAD -> {
        if (bucket.get(from, to) == null) {
          StreamBucket.Floor floor = bucket.takeFloor(from, to);
          StreamState s = new StreamState(Math.max(offset, floor == null ? 0 : floor.head),
              delivered, read, runs, b.now);
          if (floor != null) {
            s.carry(floor.carried, floor.head, floor.at + b.idHoldMs);
            bucket.bodyBytes += s.bodyBytes();
          }
          bucket.put(from, to, s);
          yield OpResult.done(true);
        }
        yield OpResult.done(false);
      }
      case FORGET -> {
        StreamState s = bucket.get(from, to);
        if (s == null) {
          yield OpResult.done(bucket.dropDisplaced(from, to, runs));
        }
        yield forget(bucket, b, s, runs);
      }
      case DURABLE -> {
        StreamState s = bucket.get(from, to);
        if (s == null) {
          yield OpResult.done(false);
        }
        long[] diverged = s.divergedFrom(runs);
        if (diverged != null) {
          // the database holds other messages than this stream at those offsets: read it
          // back (no lower than its head) rather than show its messages there as written
          OpResult r = forget(bucket, b, s, diverged);
          r.runs = diverged;
          yield r;
        }
        long bodies = s.bodyBytes();
        s.markDurable(offset, delivered, read, b.now);
        s.shrink(b.policy(), b.now);
        bucket.bodyBytes += s.bodyBytes() - bodies;
        yield OpResult.done(true);
      }
      case MAINTAIN -> maintain(bucket, b);
      case REGISTER -> {
        String session = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        Map<String, String[]> set = bucket.devices.computeIfAbsent(to,
            k -> new java.util.LinkedHashMap<>());
        String[] current = set.get(messageId);
        if (current == null && max > 0 && set.size() >= max) {
          yield OpResult.full(set.size()); // a new device over the bound: nothing changes
        }
        if (current != null && !current[1].equals(session)
            && Directory.openedAfter(current[1], current[0], session, from)) {
          // a session of this device opened later registered first: it stays
          OpResult r = OpResult.done(false);
          r.addDevice(to, messageId, current[0], current[1]);
          yield r;
        }
        String[] previous = set.put(messageId, new String[] {from, session});
        OpResult r = OpResult.done(true);
        if (previous != null) {
          r.addDevice(to, messageId, previous[0], previous[1]);
        }
        yield r;
      }
      case UNREGISTER -> {
        Map<String, String[]> set = bucket.devices.get(to);
        String session = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        boolean removed = set != null && set.containsKey(messageId)
            && set.get(messageId)[1].equals(session);
        if (removed) {
          set.remove(messageId);
          if (set.isEmpty()) {
            bucket.devices.remove(to);
          }
        }
        yield OpResult.done(removed);
      }
      case DEVICES -> {
        OpResult r = OpResult.done(false);
        Map<String, String[]> set = bucket.devices.get(to);
        if (set != null) {
          set.forEach((resource, d) -> r.addDevice(to, resource, d[0], d[1]));
        }
        yield r;
      }
      case REMOVE_NODE -> {
        if (max == 0) {
          max = to.isEmpty() || b.isMember(to) ? REMOVE : KEEP;
        }
        if (max == KEEP) {
          OpResult r = OpResult.done(false);
          r.offset = 0;
          yield r;
        }
        int[] n = {0};
        bucket.devices.values().removeIf(set -> {
          n[0] += set.size();
          set.values().removeIf(d -> d[0].equals(from) && d[1].startsWith(messageId));
          n[0] -= set.size();
          return set.isEmpty();
        });
        OpResult r = OpResult.done(n[0] > 0);
        r.offset = n[0];
        yield r;
      }
    };
  }

  /** The stream, created when the cluster is the only store (nothing to load). */
  private StreamState stream(StreamBucket bucket, BucketBatch b) {
    StreamState s = bucket.get(from, to);
    if (s == null && b.keepAll) {
      s = new StreamState();
      bucket.put(from, to, s);
    }
    return s;
  }

  private OpResult append(StreamBucket bucket, BucketBatch b) {
    StreamState s = stream(bucket, b);
    if (s == null) {
      return OpResult.missing();
    }
    if (b.deferred(s)) {
      // an earlier append of this stream in the batch went back for a re-check: this one
      // must not overtake it
      return OpResult.recheck(heldAfter);
    }
    s.touchedAt = b.now;
    Long existing = s.offsetOf(messageId);
    if (existing == null && offset > 0) {
      existing = offset; // the database holds it
    }
    if (existing == null && !b.keepAll) {
      Kept c = s.carriedOf(messageId);
      if (c != null) {
        // given an offset before the stream was forgotten, maybe not written yet: that copy
        if (c.request == request && c.owner.equals(b.node)) {
          return OpResult.stored(c.offset, s.delivered, null); // retried by Hazelcast
        }
        // the retrier writes it too (its node may have died, it may not be written yet): the
        // answer waits for that write, which finds out whether the offset is its
        return OpResult.duplicate(c.offset, s.delivered).with(from, to, List.of(c));
      }
      if (s.needsRecheck(heldAfter, b.now)) {
        b.defer(s);
        return OpResult.recheck(s.forgottenHead);
      }
      long maybe = s.heldMatch(messageId, heldAfter);
      if (maybe > 0) {
        if (s.heldAppendedBy(maybe, b.node, request)) {
          return OpResult.stored(maybe, s.delivered, null); // retried by Hazelcast, as below
        }
        // Written and out of the window while this retry's check of the database ran (or a
        // hash that only looks the same): the sender asks the database again.
        b.defer(s);
        return OpResult.recheck(s.lastHeld());
      }
    }
    if (existing != null) {
      Kept k = s.at(existing);
      // Whoever writes an unwritten message again writes the other nodes' unwritten ones below
      // it too: the DURABLE mark of that write covers every offset below, and their node may
      // have died (a replicated message it accepted would be lost, its offset a hole).
      List<Kept> below = k != null && existing > s.durableHead
          ? s.pendingOfOthersBelow(existing, b.node) : List.of();
      if (k != null ? k.request == request && k.owner.equals(b.node)
          : s.heldAppendedBy(existing, b.node, request)) {
        // this very request, applied before and retried by Hazelcast: the same answer
        return OpResult.stored(existing, s.delivered, null).with(from, to, below);
      }
      boolean pending = k != null && existing > s.durableHead;
      return OpResult.duplicate(existing, s.delivered).with(from, to, below)
          .with(from, to, pending ? List.of(k) : List.of());
    }
    if (s.head - s.delivered >= b.maxUndelivered) {
      return OpResult.full(s.delivered);
    }
    List<Kept> others = b.keepAll ? List.of() : s.pendingOfOthers(b.node);
    long bodies = s.bodyBytes();
    Kept k = s.append(messageId, type, body, b.now, b.node, request, b.keepAll);
    s.shrink(b.policy(), b.now);
    bucket.bodyBytes += s.bodyBytes() - bodies;
    return OpResult.stored(k.offset, s.delivered,
        type == io.phoenix.protocol.v1.MessageType.RECEIVER_VALUE ? s.runs() : null)
        .with(from, to, others);
  }

  /**
   * Forgets the stream (read back from the database when next used), carrying its unwritten
   * messages but those at {@code displaced} offsets; answers the other nodes' unwritten ones,
   * for the caller to write.
   */
  private OpResult forget(StreamBucket bucket, BucketBatch b, StreamState s, long[] displaced) {
    List<Kept> others = s.pendingOfOthers(b.node);
    if (!others.isEmpty()) { // a list of its own
      others.removeIf(k -> StreamState.contains(displaced, k.offset));
    }
    bucket.forget(from, to, b.now, displaced);
    return OpResult.done(true).with(from, to, others);
  }

  private OpResult ack(StreamBucket bucket, BucketBatch b) {
    StreamState s = bucket.get(from, to);
    if (s == null) {
      if (b.keepAll) {
        return OpResult.acked(false, false, false, 0, 0, 0, null);
      }
      return OpResult.missing();
    }
    // in commit mode the head a client can know of is the written one (pushes, pulls and SYNC
    // show nothing above it): an offset assigned but not written yet is beyond it
    long head = b.commitMode ? s.durableHead : s.head;
    if (offset > head) {
      return OpResult.acked(false, false, false, s.delivered, s.read, head, null);
    }
    s.touchedAt = b.now;
    boolean forward = s.forwardsAckOf(offset); // before types at or below READ are forgotten
    boolean advanced = false;
    boolean runsChanged = false;
    if (offset > s.delivered) {
      s.delivered = offset;
      advanced = true;
    }
    if (flag && offset > s.read) {
      s.read = offset;
      s.forgetTypesUpTo(offset);
      advanced = true;
      runsChanged = true;
    }
    return OpResult.acked(true, advanced, forward, s.delivered, s.read, head,
        runsChanged ? s.runs() : null);
  }

  private OpResult pull(StreamBucket bucket, BucketBatch b) {
    StreamState s = bucket.get(from, to);
    if (s == null) {
      return b.keepAll ? OpResult.pulled(0, 0, 1) : OpResult.missing();
    }
    long visible = b.commitMode ? s.durableHead : s.head;
    long firstBody = s.firstBody();
    List<Kept> out = new java.util.ArrayList<>(Math.min(max, 64));
    long notBefore = b.now - b.retentionMs;
    // an offset at or past what is visible asks for nothing (offset + 1 could overflow)
    long o = offset >= visible ? visible + 1 : Math.max(offset + 1, firstBody);
    for (; o <= visible && out.size() < max; o++) {
      Kept k = s.at(o);
      if (k.acceptedAt >= notBefore) {
        out.add(k);
      }
    }
    OpResult r = OpResult.pulled(visible, s.delivered, firstBody).with(from, to, out);
    r.read = o - 1; // looked at up to here: above it, more may remain
    // below the window's bodies the database is read: where it may still lack a message
    // carried from before a forget (its commit may not have finished)
    r.runs = s.carriedOffsets(offset, Math.min(firstBody, visible + 1), notBefore);
    return r;
  }

  private OpResult positions(StreamBucket bucket, BucketBatch b) {
    Map<String, StreamState> streams = bucket.byRecipient.get(to);
    OpResult r = OpResult.positions();
    if (streams != null) {
      streams.forEach((sender, s) -> r.addPosition(sender,
          b.commitMode ? s.durableHead : s.head, s.delivered, s.read));
    }
    return r;
  }

  /** Unused time after which a stream with nothing in it is forgotten (see maintain). */
  static final long EMPTY_STREAM_MS = 1_000;

  private OpResult maintain(StreamBucket bucket, BucketBatch b) {
    OpResult r = OpResult.done(true);
    int[] evicted = {0};
    bucket.byRecipient.forEach((recipient, streams) -> streams.forEach((sender, s) -> {
      s.shrink(b.policy(), b.now);
      if (!b.keepAll) {
        // up to the newest stale one, every one below it too: the mark of their write covers
        // every offset below, and a message accepted by a node whose clock is behind may be
        // stale before the one below it
        List<Kept> pending = s.pending();
        int stale = 0;
        for (int i = 0; i < pending.size(); i++) {
          if (pending.get(i).acceptedAt < b.now - b.staleMs) {
            stale = i + 1;
          }
        }
        r.with(sender, recipient, pending.subList(0, stale));
        // carried from before a forget, left unwritten too long: its writer may have died
        s.expireCarried(b.now, b.idHoldMs);
        r.with(sender, recipient, s.handBackCarried(b.now - b.staleMs, b.now));
      }
    }));
    if (!b.keepAll) {
      // Everything is in the database and no retry can need the window's ids any more
      // (idleMs is far above idHoldMs): read back on demand.
      evicted[0] = bucket.removeIf((sender, s) -> s.fullySaved()
          && s.touchedAt < b.now - b.idleMs);
      // A stream read back with nothing in it (an acknowledgement or a pull of a stream that
      // does not exist) tells nothing the database does not: forgotten once unused for a
      // moment, so that requests naming ever new streams cannot fill the heap
      evicted[0] += bucket.removeIf((sender, s) -> s.head == 0
          && s.touchedAt < b.now - EMPTY_STREAM_MS);
      // Past the bound, sooner: as soon as the ids are no longer needed for dedupe
      int over = bucket.streamCount() - b.maxStreams;
      if (over > 0) {
        evicted[0] += bucket.forgetLeastRecentlyUsed(over, b.now - b.idHoldMs);
      }
    }
    r.offset = evicted[0];
    // a floor outlives every write that was waiting when it was set
    bucket.floors.values().removeIf(f -> f.at < b.now - b.idleMs);
    bucket.recountBodies();
    return r;
  }

  void writeData(ObjectDataOutput out) throws IOException {
    out.writeByte(kind.ordinal());
    out.writeString(from);
    out.writeString(to);
    out.writeString(messageId);
    out.writeInt(type);
    out.writeByteArray(body);
    out.writeLong(offset);
    out.writeLong(delivered);
    out.writeLong(read);
    out.writeBoolean(flag);
    out.writeInt(max);
    out.writeLongArray(runs);
    out.writeLong(request);
    out.writeLong(heldAfter);
  }

  static StreamOp readData(ObjectDataInput in) throws IOException {
    StreamOp op = new StreamOp();
    op.kind = Kind.values()[in.readByte()];
    op.from = in.readString();
    op.to = in.readString();
    op.messageId = in.readString();
    op.type = in.readInt();
    op.body = in.readByteArray();
    op.offset = in.readLong();
    op.delivered = in.readLong();
    op.read = in.readLong();
    op.flag = in.readBoolean();
    op.max = in.readInt();
    op.runs = in.readLongArray();
    op.request = in.readLong();
    op.heldAfter = in.readLong();
    return op;
  }
}

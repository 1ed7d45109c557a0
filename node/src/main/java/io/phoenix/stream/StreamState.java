package io.phoenix.stream;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.phoenix.protocol.v1.MessageType;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * One stream {@code S(from → to)} as the cluster holds it (inside a {@link StreamBucket}): the
 * head, the recipient's DELIVERED and READ positions, how far each is in the database, and a
 * window of its most recent messages.
 *
 * <p>The window holds the offsets {@code head - size + 1 … head} in a ring, oldest first:
 * <ul>
 *   <li>every message not yet in the database (above {@link #durableHead}), with its body and the
 *       node that must write it — so that nothing ACCEPTED in memory is lost when that node
 *       dies (another node writes it);</li>
 *   <li>the last {@link Policy#hotWindow} messages with their bodies, for pulls that need no
 *       database read;</li>
 * </ul>
 * and, after it (in {@link HeldIds}, compact), the message_ids of messages that left the window
 * less than {@link Policy#idHoldMs} after they were written: the dedupe of a retry that checked
 * the database just before its message was written.
 * With no database ({@link Policy#keepAll}), the window is the store: every message is kept
 * until it expires or the stream holds {@link Policy#maxKept}.
 *
 * <p>The offsets of RECEIVER notifications above READ are remembered, as runs, also after their
 * messages left the window: an acknowledgement of a notification must never reach its sender.
 * At most {@link #MAX_RUNS} runs; below the oldest dropped one the type is unknown (not
 * forwarded).
 *
 * <p>Not thread-safe: only touched by entry processors on the partition thread that owns the
 * bucket, and by their copies on backups (so every change is deterministic: time comes from the
 * caller).
 */
final class StreamState {
  static final int MAX_RUNS = 1024;

  long head;
  long delivered;
  long read;
  /** Every offset at or below is in the database (equal to head without one). */
  long durableHead;
  /** The DELIVERED and READ positions the database holds. */
  long savedDelivered;
  long savedRead;
  /**
   * When the stream was last used (caller's clock): an append, an acknowledgement, or a write of
   * its messages (a stream is forgotten only once its ids are no longer needed for dedupe).
   */
  long touchedAt;

  private final ArrayDeque<long[]> receiverRuns = new ArrayDeque<>();
  private long unknownUpTo;
  /** Messages from this offset on have their bodies in the window; older ones do not. */
  private long bodyFrom;
  /** Bytes of the bodies the window holds. */
  private long bodyBytes;
  /** The node every unwritten message belongs to; "" when none is unwritten, null if several. */
  private String soleOwner = "";
  private Kept[] ring = new Kept[4];
  private int first;
  private int size;
  /** The window's messages by message_id. */
  private final Map<String, Kept> ids = new HashMap<>();
  /** Ids of written messages below the window, for {@link Policy#idHoldMs}; null if none (never
   * empty). */
  private HeldIds held;
  /**
   * The messages that were unwritten when the cluster last forgot the stream ({@link
   * StreamOp.Kind#FORGET}), by message_id, with their bodies: read back from the database, the
   * stream holds none of them, and their commits may not have finished, so that a retry's check
   * of the database cannot find them yet. A retry finds them here. Whether one is written is
   * never known here (a DURABLE mark speaks for the window only, and its offset may turn out
   * to hold another message): whoever needs one written writes it again. Their {@code
   * durableAt} holds when upkeep handed them back to be written (0: not yet). Null when none
   * (never empty).
   */
  private Map<String, Kept> carried;
  /** The head the stream had reached when the cluster last forgot it (0 when never). */
  long forgottenHead;
  /**
   * Until then (the caller's clock), an append whose id was last checked in the database before
   * the stream was forgotten is checked again: the ids of the messages written just before are
   * not held any more (see {@link #needsRecheck}).
   */
  long recheckUntil;

  /**
   * One message in the window. {@code body} is null once the window no longer needs it (the
   * message then leaves the window, its id held in {@link HeldIds}); {@code owner} is the node
   * run that writes it (its id and Hazelcast member uuid); {@code durableAt} is 0 until it is
   * in the database (for a carried message, see {@link #carried}).
   */
  static final class Kept {
    final long offset;
    final String messageId;
    final int type;
    final long acceptedAt;
    byte[] body;
    final String owner;
    /** The owner's number for the request that appended it (a retried request is recognised). */
    final long request;
    long durableAt;

    Kept(long offset, String messageId, int type, long acceptedAt, byte[] body, String owner,
        long request, long durableAt) {
      this.offset = offset;
      this.request = request;
      this.messageId = messageId;
      this.type = type;
      this.acceptedAt = acceptedAt;
      this.body = body;
      this.owner = owner;
      this.durableAt = durableAt;
    }
  }

  /**
   * How windows are trimmed: the same for every operation of a batch, chosen by the node that
   * sent it.
   *
   * @param keepAll no database: messages stay until they expire (or {@code maxKept})
   * @param hotWindow messages whose bodies stay after they are written
   * @param idHoldMs how long an id stays after its message is written
   * @param maxKept with {@code keepAll}: most messages kept per stream
   * @param retentionMs age at which a message expires
   */
  record Policy(boolean keepAll, int hotWindow, long idHoldMs, int maxKept, long retentionMs) {}

  /** A new or empty stream. */
  StreamState() {}

  /** A stream read back from the database. */
  StreamState(long head, long delivered, long read, long[] runs, long now) {
    this.head = head;
    this.durableHead = head;
    this.delivered = delivered;
    this.savedDelivered = delivered;
    this.read = read;
    this.savedRead = read;
    this.touchedAt = now;
    if (runs != null) {
      for (int i = 0; i + 1 < runs.length; i += 2) {
        receiverRuns.addLast(new long[] {runs[i], runs[i + 1]});
      }
    }
  }

  int size() {
    return size;
  }

  /** Offset of the oldest message in the window, or {@code head + 1} when it is empty. */
  long firstKept() {
    return head - size + 1;
  }

  /** The message at {@code offset} in the window, or null. */
  Kept at(long offset) {
    long index = offset - firstKept();
    if (index < 0 || index >= size) {
      return null;
    }
    return ring[(int) ((first + index) % ring.length)];
  }

  /** The offset of a message_id in the window, or null. */
  Long offsetOf(String messageId) {
    Kept k = ids.get(messageId);
    return k == null ? null : k.offset;
  }

  /**
   * The newest offset above {@code after}, below the window, whose held id may be
   * {@code messageId} (its hash matches), or 0 when none is: 0 is exact, a match is not.
   */
  long heldMatch(String messageId, long after) {
    return held == null || held.last() <= after ? 0
        : held.find(HeldIds.hash(messageId), after);
  }

  /** Whether {@code offset} is held and was appended by this request of this node. */
  boolean heldAppendedBy(long offset, String node, long request) {
    return held != null && offset >= held.first() && offset <= held.last()
        && held.appendedBy(offset, node, request);
  }

  /** The newest offset whose id is held below the window (0 when none is). */
  long lastHeld() {
    return held == null ? 0 : held.last();
  }

  /** How many ids are held below the window. */
  int heldCount() {
    return held == null ? 0 : held.size();
  }

  /** Offset of the oldest message whose body is in the window ({@code head + 1} if none). */
  long firstBody() {
    return Math.max(firstKept(), bodyFrom);
  }

  /** Assigns the next offset to a new message and keeps it. */
  Kept append(String messageId, int type, byte[] body, long now, String owner, long request,
      boolean durable) {
    long offset = ++head;
    if (size == ring.length) {
      Kept[] grown = new Kept[ring.length * 2];
      for (int i = 0; i < size; i++) {
        grown[i] = ring[(first + i) % ring.length];
      }
      ring = grown;
      first = 0;
    }
    Kept k = new Kept(offset, messageId, type, now, body, owner, request, durable ? now : 0);
    bodyBytes += length(body);
    ring[(first + size) % ring.length] = k;
    size++;
    ids.put(messageId, k);
    if (durable) {
      durableHead = offset;
    } else if (offset == durableHead + 1) {
      soleOwner = owner;
    } else if (soleOwner != null && !soleOwner.equals(owner)) {
      soleOwner = null;
    }
    noteType(offset, type);
    touchedAt = now;
    return k;
  }

  /**
   * The offsets at which a write's messages are not the ones this stream holds: {@code written}
   * is what a commit wrote, {offset, {@link #idHash} of its message_id} pairs. An offset above
   * the head, or an unwritten one in the window holding another message_id, means the cluster
   * gave that offset to two messages (a bucket lost, or a member apart from the cluster gave
   * offsets on its own) and the database kept the written one: this stream's message there is
   * not stored at that offset, and marking it written would show it at an offset that holds
   * another message. Null when every pair agrees (or {@code written} is null).
   */
  long[] divergedFrom(long[] written) {
    if (written == null) {
      return null;
    }
    long[] out = null;
    int n = 0;
    long firstKept = firstKept();
    for (int i = 0; i + 1 < written.length; i += 2) {
      long o = written[i];
      boolean differs;
      if (o > head) {
        differs = true;
      } else if (o > durableHead && o >= firstKept) {
        differs = idHash(at(o).messageId) != written[i + 1];
      } else {
        differs = false; // written already, or not in the window: nothing here to show wrong
      }
      if (differs) {
        if (out == null) {
          out = new long[written.length / 2];
        }
        out[n++] = o;
      }
    }
    return out == null ? null : java.util.Arrays.copyOf(out, n);
  }

  /**
   * A 64-bit hash of a message_id (FNV-1a over its chars), the same in every JVM: what a
   * DURABLE mark carries to say which message it wrote at an offset.
   */
  static long idHash(String messageId) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < messageId.length(); i++) {
      h ^= messageId.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** Everything at or below {@code upTo} is in the database now, with these positions. */
  void markDurable(long upTo, long delivered, long read, long now) {
    for (long o = Math.max(durableHead + 1, firstKept()); o <= Math.min(upTo, head); o++) {
      Kept k = at(o);
      if (k.durableAt == 0) {
        k.durableAt = now;
      }
    }
    durableHead = Math.max(durableHead, Math.min(upTo, head));
    touchedAt = Math.max(touchedAt, now);
    if (durableHead == head) {
      soleOwner = "";
    }
    savedDelivered = Math.max(savedDelivered, delivered);
    savedRead = Math.max(savedRead, read);
  }

  /**
   * Trims the window by the policy: drops bodies the hot window no longer needs, then messages
   * from the oldest end while nothing keeps them. Returns how many messages left the window.
   */
  int shrink(Policy p, long now) {
    int dropped = 0;
    if (p.keepAll()) {
      while (size > 0 && (ring[first].acceptedAt < now - p.retentionMs() || size > p.maxKept())) {
        dropOldest();
        dropped++;
      }
    } else {
      long keepBodiesFrom = head - p.hotWindow() + 1;
      long drop = Math.min(keepBodiesFrom, durableHead + 1); // bodies below it may go
      dropBodiesBelow(drop);
      while (size > 0) {
        Kept oldest = ring[first];
        boolean written = oldest.durableAt != 0 && oldest.offset <= durableHead;
        if (!written || oldest.offset >= keepBodiesFrom) {
          break;
        }
        if (now - oldest.durableAt < p.idHoldMs() || heldCount() > 0) { // contiguous
          if (held == null) {
            held = new HeldIds();
          }
          held.add(oldest.offset, HeldIds.hash(oldest.messageId), oldest.durableAt,
              oldest.request, oldest.owner);
        }
        dropOldest();
        dropped++;
      }
      while (heldCount() > 0 && now - held.oldestWrittenAt() >= p.idHoldMs()) {
        held.dropOldest();
      }
      if (heldCount() == 0) {
        held = null;
      }
    }
    if (size == 0 && ring.length > 16) {
      ring = new Kept[4];
      first = 0;
    }
    return dropped;
  }

  /** Bytes of the bodies the window holds. */
  long bodyBytes() {
    return bodyBytes;
  }

  /**
   * Drops the bodies of every written message (pulls read them back from the database); the
   * bodies of unwritten messages stay. Returns the bytes freed.
   */
  long dropWrittenBodies() {
    long before = bodyBytes;
    dropBodiesBelow(durableHead + 1);
    return before - bodyBytes;
  }

  /** Drops the bodies below {@code offset}: the window's bodies stay a suffix of it. */
  private void dropBodiesBelow(long offset) {
    for (long o = firstBody(); o < offset; o++) {
      Kept k = at(o);
      bodyBytes -= length(k.body);
      k.body = null;
    }
    bodyFrom = Math.max(bodyFrom, offset);
  }

  private static int length(byte[] body) {
    return body == null ? 0 : body.length;
  }

  private void dropOldest() {
    bodyBytes -= length(ring[first].body);
    ids.remove(ring[first].messageId);
    ring[first] = null;
    first = (first + 1) % ring.length;
    size--;
  }

  /** Messages above {@link #durableHead}: each with its body, in offset order. */
  java.util.List<Kept> pending() {
    java.util.List<Kept> out = new java.util.ArrayList<>();
    for (long o = Math.max(durableHead + 1, firstKept()); o <= head; o++) {
      out.add(at(o));
    }
    return out;
  }

  /**
   * Unwritten messages that {@code node} did not accept: the node that writes a later offset
   * writes these too, so that what is written never has a hole below it (their own node may
   * have died before writing them).
   */
  java.util.List<Kept> pendingOfOthers(String node) {
    if (durableHead >= head || node.equals(soleOwner)) {
      return java.util.List.of();
    }
    java.util.List<Kept> out = pending();
    out.removeIf(k -> k.owner.equals(node));
    return out;
  }

  /**
   * Like {@link #pendingOfOthers}, below {@code offset} only: what a node writes with the
   * unwritten message at {@code offset} when it writes that one again (a retry of it, or a
   * Hazelcast retry of its append). The mark of that write covers every offset below it.
   */
  java.util.List<Kept> pendingOfOthersBelow(long offset, String node) {
    java.util.List<Kept> out = pendingOfOthers(node);
    if (!out.isEmpty()) { // a list of its own
      out.removeIf(k -> k.offset >= offset);
    }
    return out;
  }

  /**
   * Whether the cluster may forget the stream: everything is in the database, and no message
   * carried from before it was forgotten last is still waiting to be written.
   */
  boolean fullySaved() {
    return durableHead == head && savedDelivered == delivered && savedRead == read
        && carried == null;
  }

  /**
   * What a FORGET carries on: the unwritten messages, those carried already included, but for
   * the ones at {@code displaced} offsets (their commit found another message there: they are
   * not at those offsets and are appended again). In offset order.
   */
  java.util.List<Kept> unwrittenExcept(long[] displaced) {
    java.util.List<Kept> out = pending();
    if (carried != null) {
      out.addAll(carried.values());
      out.sort(java.util.Comparator.comparingLong(k -> k.offset));
    }
    out.removeIf(k -> contains(displaced, k.offset));
    return out;
  }

  static boolean contains(long[] offsets, long offset) {
    if (offsets != null) {
      for (long o : offsets) {
        if (o == offset) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A stream read back after a FORGET: holds the messages it carries until they are written,
   * and has appends checked in the database again until {@code recheckUntil}.
   */
  void carry(java.util.List<Kept> kept, long forgottenHead, long recheckUntil) {
    this.forgottenHead = forgottenHead;
    this.recheckUntil = recheckUntil;
    for (Kept k : kept) {
      if (carried == null) {
        carried = new HashMap<>();
      }
      carried.put(k.messageId, k);
      bodyBytes += length(k.body);
    }
  }

  /** The carried message with this id, or null. */
  Kept carriedOf(String messageId) {
    return carried == null ? null : carried.get(messageId);
  }

  /**
   * Whether an append whose id is in neither the window nor the held ids must be checked in
   * the database again before it is stored as new: the stream was forgotten less than the id
   * hold ago and the append's id was not checked since ({@code heldAfter} says up to where it
   * was). The check sees every message written before the forget.
   */
  boolean needsRecheck(long heldAfter, long now) {
    return now < recheckUntil && heldAfter < forgottenHead;
  }

  /**
   * The offsets of carried messages in {@code (after, before)} accepted at or after {@code
   * notBefore}, ascending; null when none. Whether each is in the database yet is not known
   * here: a pull that reads the database there must not take a missing one for expired.
   */
  long[] carriedOffsets(long after, long before, long notBefore) {
    if (carried == null) {
      return null;
    }
    long[] out = carried.values().stream()
        .filter(k -> k.offset > after && k.offset < before && k.acceptedAt >= notBefore)
        .mapToLong(k -> k.offset).sorted().toArray();
    return out.length == 0 ? null : out;
  }

  /** How many messages are carried. */
  int carriedCount() {
    return carried == null ? 0 : carried.size();
  }

  /**
   * Carried messages accepted before {@code before} and not handed back yet, in offset order,
   * now handed back: their writers may have died. Once handed back, a message is let go after
   * the id hold (see {@link #expireCarried}).
   */
  java.util.List<Kept> handBackCarried(long before, long now) {
    if (carried == null) {
      return java.util.List.of();
    }
    java.util.List<Kept> out = new java.util.ArrayList<>();
    for (Kept k : carried.values()) {
      if (k.durableAt == 0 && k.acceptedAt < before) {
        k.durableAt = now;
        out.add(k);
      }
    }
    out.sort(java.util.Comparator.comparingLong(k -> k.offset));
    return out;
  }

  /**
   * Lets go of carried messages handed back at least the id hold ago: written by then (the
   * commit that hands them back), by whoever wrote them first, or found holding another message
   * (and appended again); a retry checks the database from then on.
   */
  void expireCarried(long now, long idHoldMs) {
    if (carried == null) {
      return;
    }
    carried.values().removeIf(k -> {
      boolean done = k.durableAt != 0 && now - k.durableAt >= idHoldMs;
      if (done) {
        bodyBytes -= length(k.body);
      }
      return done;
    });
    if (carried.isEmpty()) {
      carried = null;
    }
  }

  private void noteType(long offset, int type) {
    if (type != MessageType.RECEIVER_VALUE) {
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
      return k.type != MessageType.RECEIVER_VALUE;
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

  /** Forgets the types at or below READ: acknowledgements there are never forwarded again. */
  void forgetTypesUpTo(long offset) {
    while (!receiverRuns.isEmpty() && receiverRuns.peekFirst()[1] <= offset) {
      receiverRuns.removeFirst();
    }
    long[] head = receiverRuns.peekFirst();
    if (head != null && head[0] <= offset) {
      head[0] = offset + 1;
    }
  }

  /** The RECEIVER runs as {first, last} pairs, for the database. */
  long[] runs() {
    long[] out = new long[receiverRuns.size() * 2];
    int i = 0;
    for (long[] run : receiverRuns) {
      out[i++] = run[0];
      out[i++] = run[1];
    }
    return out;
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeLong(head);
    out.writeLong(delivered);
    out.writeLong(read);
    out.writeLong(durableHead);
    out.writeLong(savedDelivered);
    out.writeLong(savedRead);
    out.writeLong(touchedAt);
    out.writeInt(size);
    for (int i = 0; i < size; i++) {
      writeFields(out, ring[(first + i) % ring.length]); // offsets follow from the head
    }
    out.writeLongArray(runs());
    out.writeLong(unknownUpTo);
    if (held == null) {
      out.writeInt(0);
    } else {
      held.writeTo(out);
    }
    out.writeLong(forgottenHead);
    out.writeLong(recheckUntil);
    writeKept(out, carried == null ? java.util.List.of() : carried.values());
  }

  /** Messages with their offsets (outside a window, where offsets are not implied). */
  static void writeKept(ObjectDataOutput out, java.util.Collection<Kept> kept)
      throws IOException {
    out.writeInt(kept.size());
    for (Kept k : kept) {
      out.writeLong(k.offset);
      writeFields(out, k);
    }
  }

  /** A message but its offset. */
  private static void writeFields(ObjectDataOutput out, Kept k) throws IOException {
    out.writeString(k.messageId);
    out.writeByte(k.type);
    out.writeLong(k.acceptedAt);
    out.writeByteArray(k.body);
    out.writeString(k.owner);
    out.writeLong(k.request);
    out.writeLong(k.durableAt);
  }

  /** What {@link #writeKept} wrote. */
  static java.util.List<Kept> readKept(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    java.util.List<Kept> kept = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      kept.add(new Kept(in.readLong(), in.readString(), in.readByte(), in.readLong(),
          in.readByteArray(), in.readString(), in.readLong(), in.readLong()));
    }
    return kept;
  }

  static StreamState readFrom(ObjectDataInput in) throws IOException {
    StreamState s = new StreamState();
    long head = in.readLong();
    s.delivered = in.readLong();
    s.read = in.readLong();
    long durableHead = in.readLong();
    s.savedDelivered = in.readLong();
    s.savedRead = in.readLong();
    long touchedAt = in.readLong();
    int n = in.readInt();
    s.ring = new Kept[Math.max(4, Integer.highestOneBit(Math.max(1, n)) * 2)];
    s.head = head - n;
    for (int i = 0; i < n; i++) {
      String id = in.readString();
      int type = in.readByte();
      long acceptedAt = in.readLong();
      byte[] body = in.readByteArray();
      String owner = in.readString();
      long request = in.readLong();
      long durableAt = in.readLong();
      Kept k = s.append(id, type, body, acceptedAt, owner, request, false);
      k.durableAt = durableAt;
      if (body == null) {
        s.bodyFrom = k.offset + 1;
      }
    }
    s.touchedAt = touchedAt;
    if (s.head != head) {
      throw new IOException("corrupt stream state: head " + head + " vs " + s.head);
    }
    s.durableHead = durableHead;
    s.soleOwner = durableHead >= head ? "" : null;
    s.receiverRuns.clear();
    long[] runs = in.readLongArray();
    for (int i = 0; i + 1 < runs.length; i += 2) {
      s.receiverRuns.addLast(new long[] {runs[i], runs[i + 1]});
    }
    s.unknownUpTo = in.readLong();
    s.held = HeldIds.readFrom(in, s.firstKept());
    long forgottenHead = in.readLong();
    long recheckUntil = in.readLong();
    s.carry(readKept(in), forgottenHead, recheckUntil);
    return s;
  }

  @Override
  public String toString() {
    return "StreamState{head=" + head + ", durable=" + durableHead + ", delivered=" + delivered
        + ", read=" + read + ", window=" + size + ", held=" + heldCount() + ", carried="
        + carriedCount() + "}";
  }
}

package io.phoenix.client;

import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.phoenix.protocol.v1.TransmissionMode;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands incoming messages to the application exactly once and, per stream, in offset order.
 *
 * <ul>
 *   <li>A pushed message right after the last delivered offset is delivered; one at or below it
 *       is a repeat and dropped; one past a gap is held and the gap is pulled (PULL_REQUEST
 *       from the last delivered offset).</li>
 *   <li>Messages answering a pull are delivered when above the last offset (a pull skips only
 *       expired messages). Status 206 pulls again; 200 means every offset up to the head was
 *       sent, so the stream is complete up to the head (offsets missing below it expired),
 *       and held messages follow.</li>
 *   <li>A PULL-mode hint, or a stream listed by SYNC, is pulled when its head is beyond what
 *       was delivered. After every (re)connect the client sends SYNC.</li>
 *   <li>A stream the client has no memory of starts at the position its receiver acknowledged
 *       ({@code peer_offset}). Copies of the user's own messages sent from other devices are
 *       delivered in push order without gap filling.</li>
 *   <li>DEVICE messages (no {@code peer}) are delivered as they come.</li>
 * </ul>
 *
 * <p>Positions are reset only on evidence, never guessed from message ids: a Welcome naming
 * another store epoch forgets every stream ({@link #storeChanged}); a head the node reports
 * below a position it had reached before (a SYNC listing, the end of a pull, or ACCEPTED 200 of
 * an own message at or below a copy already seen) restarts that one stream. A node restarted
 * on a store that kept its epoch continues its offsets, and the cursors simply go on.
 *
 * <p>Remembers at most {@link #MAX_STREAMS} streams (least recently used first forgotten),
 * and holds at most {@link #MAX_HELD_BYTES} of early messages over all streams: past that, an
 * early message is not held but left to the pull of its gap, which brings it again.
 * Used on the client's context only.
 */
final class Receiver implements HistoryPulls.Streams {
  static final int MAX_STREAMS = 10_000;
  /** Bytes of early messages (past a gap) held over all streams. */
  static final long MAX_HELD_BYTES = 16L << 20;
  private static final Logger log = LoggerFactory.getLogger(Receiver.class);

  private record Key(String from, String to) {}

  /** A PULL_REQUEST under way: of which stream, from which offset, in which generation. */
  private record Pull(StreamCursor cursor, long from, int generation) {}

  private final Vertx vertx;
  private final FrameWriter wire;
  private final Consumer<Message> listener;
  private final HistoryPulls history;
  /** Spaces the SYNCs and PULL_REQUESTs sent again after a 503. */
  private final Backoff backoff;
  /** SYNCs answered 503 in a row. */
  private int syncRefusals;
  private final Map<Key, StreamCursor> streams = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, StreamCursor> eldest) {
      return size() > MAX_STREAMS && eldest.getValue().idle();
    }
  };
  private final Map<String, Pull> pulls = new HashMap<>();
  /** The sum of every cursor's {@link StreamCursor#heldBytes}. */
  private long heldBytes;
  private String me;
  private String syncId;
  private long sequence;

  Receiver(Vertx vertx, FrameWriter wire, Consumer<Message> listener, Backoff backoff) {
    this.vertx = vertx;
    this.wire = wire;
    this.listener = listener;
    this.backoff = backoff;
    this.history = new HistoryPulls(vertx, wire, this, backoff);
  }

  /** A new session for {@code eid}: pull streams known to be behind, then SYNC. */
  void connected(String eid) {
    me = eid;
    history.connected();
    streams.values().stream().filter(StreamCursor::behind).toList().forEach(this::pull);
    sync();
  }

  void disconnected() {
    me = null;
    pulls.clear();
    streams.values().forEach(c -> c.pulling = false);
    history.disconnected();
  }

  /**
   * The node's store is not the one the positions were taken in (a new epoch): every stream
   * is forgotten and followed again from what its receiver acknowledged in the new store.
   */
  void storeChanged() {
    if (!streams.isEmpty()) {
      log.info("the node's store changed (new epoch): following {} streams from the start",
          streams.size());
    }
    streams.clear();
    heldBytes = 0;
    pulls.clear();
    history.storeChanged();
  }

  /** Fetches the last {@code count} messages of S(from→to) for {@link PhoenixClient#history}. */
  void history(String from, String to, int count, Promise<List<Message>> promise) {
    history.submit(from, to, count, promise);
  }

  void failHistory(String reason) {
    history.failAll(reason);
  }

  void message(Message m) {
    if (!m.hasPeer()) {
      deliver(m);
      return;
    }
    Peer p = m.getPeer();
    boolean pulled = m.getTransmissionMode() == TransmissionMode.PULL_VALUE;
    if (pulled && history.claims(m)) {
      history.message(m);
      return;
    }
    boolean copy = isCopy(p);
    StreamCursor c = cursor(p, copy ? p.getOffset() - 1 : p.getPeerOffset());
    long offset = p.getOffset();
    if (offset <= c.last) {
      return; // a repeat
    }
    c.saw(offset);
    if (copy || offset == c.last + 1 || (pulled && c.pulling)) {
      deliver(c, m);
      drain(c, 0);
    } else {
      if (heldBytes + m.getSerializedSize() <= MAX_HELD_BYTES) {
        long before = c.heldBytes;
        c.hold(m);
        heldBytes += c.heldBytes - before;
      } // else the pull of the gap brings it again
      pull(c);
    }
  }

  /**
   * ACCEPTED of one of the user's own messages: with status 200 its offset is the new head of
   * its stream, so one at or below a copy already delivered means the stream started over.
   */
  void accepted(MessagePeerAckSignal signal) {
    if (signal.getStatusCode() != Status.OK || !signal.hasPeer() || !isCopy(signal.getPeer())) {
      return;
    }
    Peer p = signal.getPeer();
    StreamCursor c = streams.get(new Key(p.getFrom(), p.getTo()));
    if (c != null && p.getOffset() <= c.last) {
      restart(c, p.getOffset());
    }
  }

  /** SYNCs answered 503 in a row (for tests). */
  int syncRefusals() {
    return syncRefusals;
  }

  /** PULL_REQUESTs of S(from→to) answered 503 in a row, 0 for a stream unknown (for tests). */
  int pullRefusals(String from, String to) {
    StreamCursor c = streams.get(new Key(from, to));
    return c == null ? 0 : c.refusals;
  }

  /** A SYNC signal: a listed stream, a PULL-mode hint, the end of a listing, or a refusal. */
  void sync(MessagePeerAckSignal signal) {
    if (signal.getStatusCode() == Status.UNAVAILABLE) {
      vertx.setTimer(backoff.delayMillis(syncRefusals++), id -> sync());
      return;
    }
    if (signal.getStatusCode() != Status.OK) {
      return;
    }
    syncRefusals = 0;
    if (!signal.hasPeer()) {
      return;
    }
    Peer p = signal.getPeer();
    StreamCursor c = cursor(p, isCopy(p) ? p.getOffset() - 1 : p.getPeerOffset());
    long head = p.getOffset();
    if (signal.getMessageId().equals(syncId) && head < c.lastAtSync) {
      // the listing was made after this SYNC was sent, when offsets up to lastAtSync existed
      restart(c, Math.min(p.getPeerOffset(), head));
    }
    c.saw(head);
    pull(c);
  }

  /** The closing signal of a PULL_REQUEST. */
  void pulled(MessagePeerAckSignal signal) {
    Pull request = pulls.remove(signal.getMessageId());
    if (request == null) {
      history.pulled(signal);
      return;
    }
    StreamCursor c = request.cursor();
    c.pulling = false;
    int status = signal.getStatusCode();
    if (status == Status.OK || status == Status.PARTIAL) {
      c.refusals = 0;
    }
    long head = signal.getPeer().getOffset();
    if (request.generation() != c.generation) {
      pull(c); // asked before the stream started over: says nothing about it now
    } else if ((status == Status.OK || status == Status.PARTIAL) && head < request.from()) {
      restart(c, Math.min(signal.getPeer().getPeerOffset(), head));
      c.saw(head);
      pull(c);
    } else if (status == Status.OK) {
      c.saw(head);
      drain(c, head);
      c.last = Math.max(c.last, head);
      drain(c, 0);
      pull(c);
    } else if (status == Status.PARTIAL) {
      pull(c);
    } else if (status == Status.UNAVAILABLE) {
      vertx.setTimer(backoff.delayMillis(c.refusals++), id -> pull(c));
    } else {
      log.warn("PULL_REQUEST of {}->{} refused with status {}", c.from, c.to, status);
    }
    if (!c.pulling) {
      history.stepIfWaiting(c.from, c.to);
    }
  }

  @Override
  public boolean pulling(String from, String to) {
    StreamCursor c = streams.get(new Key(from, to));
    return c != null && c.pulling;
  }

  @Override
  public void released(String from, String to) {
    StreamCursor c = streams.get(new Key(from, to));
    if (c != null) {
      pull(c);
    }
  }

  private void sync() {
    if (me == null) {
      return;
    }
    syncId = "sync-" + ++sequence;
    streams.values().forEach(c -> c.lastAtSync = c.last);
    wire.write(Frame.newBuilder().setAck(MessagePeerAckSignal.newBuilder()
        .setMethod(AckMethod.SYNC_VALUE).setMessageId(syncId)).build());
  }

  /**
   * Pulls {@code c} from its last offset, unless it is complete, already being pulled, or
   * lent to history requests (pulled once they are done).
   */
  private void pull(StreamCursor c) {
    if (!c.behind() || me == null || c.pulling || history.busy(c.from, c.to)) {
      return;
    }
    String id = "pull-" + ++sequence;
    boolean sent = wire.write(Frame.newBuilder().setAck(MessagePeerAckSignal.newBuilder()
        .setMethod(AckMethod.PULL_REQUEST_VALUE).setMessageId(id)
        .setPeer(Peer.newBuilder().setFrom(c.from).setTo(c.to).setOffset(c.last))).build());
    if (sent) {
      c.pulling = true;
      pulls.put(id, new Pull(c, c.last, c.generation));
    }
  }

  private void restart(StreamCursor c, long after) {
    log.info("stream {}->{} started over on the node (its head went back); following it from "
        + "offset {}", c.from, c.to, after + 1);
    heldBytes -= c.heldBytes;
    c.restart(Math.max(0, after));
  }

  /** Delivers held messages that come next, or that lie at or below {@code through}. */
  private void drain(StreamCursor c, long through) {
    long before = c.heldBytes;
    for (Message next = c.nextHeld(through); next != null; next = c.nextHeld(through)) {
      deliver(c, next);
    }
    heldBytes += c.heldBytes - before;
  }

  /** Bytes of early messages held over all streams (for tests). */
  long heldBytes() {
    return heldBytes;
  }

  private StreamCursor cursor(Peer p, long startAt) {
    return streams.computeIfAbsent(new Key(p.getFrom(), p.getTo()),
        k -> new StreamCursor(k.from(), k.to(), Math.max(0, startAt)));
  }

  /** A copy of the user's own message, sent from another of its devices to someone else. */
  private boolean isCopy(Peer p) {
    return p.getFrom().equals(me) && !p.getTo().equals(me);
  }

  private void deliver(StreamCursor c, Message m) {
    c.delivered(m);
    deliver(m);
  }

  private void deliver(Message m) {
    try {
      listener.accept(m);
    } catch (Throwable e) {
      ClientSettings.rethrowIfFatal(e);
      log.warn("message listener failed on {}", m.getMessageId(), e);
    }
  }
}

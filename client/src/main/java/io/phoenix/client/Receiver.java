package io.phoenix.client;

import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.phoenix.protocol.v1.TransmissionMode;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 *   <li>A stream the node started over (see {@link StreamCursor}) is followed from its new
 *       beginning.</li>
 * </ul>
 *
 * <p>Remembers at most {@link #MAX_STREAMS} streams (least recently used first forgotten).
 * Used on the client's context only.
 */
final class Receiver {
  static final int MAX_STREAMS = 10_000;
  private static final Logger log = LoggerFactory.getLogger(Receiver.class);
  private static final long RETRY_MS = 1_000;

  private record Key(String from, String to) {}

  /** A PULL_REQUEST under way: of which stream, from which offset, in which epoch. */
  private record Pull(StreamCursor cursor, long from, int epoch) {}

  private final Vertx vertx;
  private final FrameWriter wire;
  private final Consumer<Message> listener;
  private final Map<Key, StreamCursor> streams = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, StreamCursor> eldest) {
      return size() > MAX_STREAMS && eldest.getValue().idle();
    }
  };
  private final Map<String, Pull> pulls = new HashMap<>();
  private String me;
  private String syncId;
  private long sequence;

  Receiver(Vertx vertx, FrameWriter wire, Consumer<Message> listener) {
    this.vertx = vertx;
    this.wire = wire;
    this.listener = listener;
  }

  /** A new session for {@code eid}: pull streams known to be behind, then SYNC. */
  void connected(String eid) {
    me = eid;
    streams.values().stream().filter(StreamCursor::behind).toList().forEach(this::pull);
    sync();
  }

  void disconnected() {
    me = null;
    pulls.clear();
    streams.values().forEach(c -> c.pulling = false);
  }

  void message(Message m) {
    if (!m.hasPeer()) {
      deliver(m);
      return;
    }
    Peer p = m.getPeer();
    boolean copy = isCopy(p);
    StreamCursor c = cursor(p, copy ? p.getOffset() - 1 : p.getPeerOffset());
    long offset = p.getOffset();
    boolean answer = m.getTransmissionMode() == TransmissionMode.PULL_VALUE;
    if (offset <= c.last) {
      if (!c.replaces(m)) {
        return; // a repeat
      }
      restart(c, copy ? offset - 1 : Math.min(p.getPeerOffset(), offset - 1));
      answer = false; // answers a request about the forgotten stream: gaps are not expiry
    }
    c.saw(offset);
    if (copy || offset == c.last + 1 || answer) {
      deliver(c, m);
      drain(c, 0);
    } else {
      c.hold(m);
      pull(c);
    }
  }

  /** A SYNC signal: a listed stream, a PULL-mode hint, the end of a listing, or a refusal. */
  void sync(MessagePeerAckSignal signal) {
    if (signal.getStatusCode() == Status.UNAVAILABLE) {
      vertx.setTimer(RETRY_MS, id -> sync());
    }
    if (signal.getStatusCode() != Status.OK || !signal.hasPeer()) {
      return;
    }
    Peer p = signal.getPeer();
    StreamCursor c = cursor(p, isCopy(p) ? p.getOffset() - 1 : p.getPeerOffset());
    boolean listed = signal.getMessageId().equals(syncId);
    long head = p.getOffset();
    if (listed && head < c.lastAtSync) {
      restart(c, Math.min(p.getPeerOffset(), head));
    } else if (listed && head >= 1 && head <= c.last) {
      // Listed as unacknowledged, yet delivered: fetch the head again to tell a lost DELIVERED
      // (the same message: a repeat) from a stream the node started over (another message).
      send(c, head - 1);
      return;
    }
    c.saw(head);
    pull(c);
  }

  /** The closing signal of a PULL_REQUEST. */
  void pulled(MessagePeerAckSignal signal) {
    Pull request = pulls.remove(signal.getMessageId());
    if (request == null) {
      return;
    }
    StreamCursor c = request.cursor();
    c.pulling = false;
    int status = signal.getStatusCode();
    long head = signal.getPeer().getOffset();
    if (request.epoch() != c.epoch) {
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
      vertx.setTimer(RETRY_MS, id -> pull(c));
    } else {
      log.warn("PULL_REQUEST of {}->{} refused with status {}", c.from, c.to, status);
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

  /** Pulls {@code c} from its last offset, unless it is complete or already being pulled. */
  private void pull(StreamCursor c) {
    if (c.behind()) {
      send(c, c.last);
    }
  }

  /** Sends a PULL_REQUEST for the offsets of {@code c} after {@code from}. */
  private void send(StreamCursor c, long from) {
    if (me == null || c.pulling) {
      return;
    }
    String id = "pull-" + ++sequence;
    boolean sent = wire.write(Frame.newBuilder().setAck(MessagePeerAckSignal.newBuilder()
        .setMethod(AckMethod.PULL_REQUEST_VALUE).setMessageId(id)
        .setPeer(Peer.newBuilder().setFrom(c.from).setTo(c.to).setOffset(from))).build());
    if (sent) {
      c.pulling = true;
      pulls.put(id, new Pull(c, from, c.epoch));
    }
  }

  private void restart(StreamCursor c, long after) {
    log.info("stream {}->{} started over on the node; following it from offset {}", c.from,
        c.to, after + 1);
    c.restart(Math.max(0, after));
  }

  /** Delivers held messages that come next, or that lie at or below {@code through}. */
  private void drain(StreamCursor c, long through) {
    for (Message next = c.nextHeld(through); next != null; next = c.nextHeld(through)) {
      deliver(c, next);
    }
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
    } catch (RuntimeException e) {
      log.warn("message listener failed on {}", m.getMessageId(), e);
    }
  }
}

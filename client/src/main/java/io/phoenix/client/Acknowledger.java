package io.phoenix.client;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.vertx.core.Vertx;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sends the application's DELIVERED and READ signals for received messages. Both are
 * cumulative positions, so while disconnected only the highest one per stream and method is
 * kept, and sent after the next Welcome. Only a stream's recipient acknowledges it: messages
 * the user is not the recipient of (copies of its own messages from its other devices) are not
 * acknowledged, and neither are DEVICE messages. One the node cannot record for the moment
 * (answered 503: its cluster or store is unavailable, PROTOCOL.md §7 "retry") is kept the same
 * way and sent again after a delay of the client's backoff, longer at each 503 of an outage
 * (503s less than {@link #OUTAGE_GAP_MS} apart); other refusals (400, 403) are not repeated.
 *
 * <p>Used on the client's context only.
 */
final class Acknowledger {
  /**
   * 503s closer together than this belong to one outage, whose retries wait longer each time;
   * after a longer quiet (a DELIVERED or READ has no answer when it is taken) they start over.
   */
  static final long OUTAGE_GAP_MS = 30_000;

  private record Key(String from, String to, int method) {}

  private final Vertx vertx;
  private final FrameWriter wire;
  private final Map<Key, MessagePeerAckSignal> unsent = new LinkedHashMap<>();
  private String me;
  private long retryTimer = -1;
  private final Backoff backoff;
  /** 503s of the current outage, and when the last one came (System.nanoTime). */
  private int refusals;
  private long lastRefusalNanos;

  Acknowledger(Vertx vertx, FrameWriter wire, Backoff backoff) {
    this.vertx = vertx;
    this.wire = wire;
    this.backoff = backoff;
  }

  /** Acknowledges {@code m} (and everything before it in its stream), if the user may. */
  void acknowledge(Message m, AckMethod method) {
    if (!m.hasPeer() || !m.getPeer().getTo().equals(me)) {
      return;
    }
    MessagePeerAckSignal signal = signal(method.getNumber(), m.getMessageId(), m.getPeer());
    if (!wire.write(Frame.newBuilder().setAck(signal).build())) {
      keep(signal);
    }
  }

  /**
   * The node refused a DELIVERED or READ with 503: it is sent again after a backoff delay
   * (the refusal echoes its {@code peer}, method and message_id), or after the next Welcome.
   */
  void unavailable(MessagePeerAckSignal refusal) {
    Peer p = refusal.getPeer();
    if (!refusal.hasPeer() || p.getOffset() < 1 || !p.getTo().equals(me)) {
      return;
    }
    keep(signal(refusal.getMethod(), refusal.getMessageId(), p));
    long now = System.nanoTime();
    if (now - lastRefusalNanos > TimeUnit.MILLISECONDS.toNanos(OUTAGE_GAP_MS)) {
      refusals = 0;
    }
    lastRefusalNanos = now;
    if (retryTimer == -1) {
      retryTimer = vertx.setTimer(backoff.delayMillis(refusals++), id -> {
        retryTimer = -1;
        flush();
      });
    }
  }

  /** The signal acknowledging the stream {@code p} names up to its offset. */
  private static MessagePeerAckSignal signal(int method, String messageId, Peer p) {
    return MessagePeerAckSignal.newBuilder()
        .setMethod(method)
        .setMessageId(messageId)
        .setTo(Identity.newBuilder().setEid(p.getFrom()))
        .setPeer(Peer.newBuilder().setFrom(p.getFrom()).setTo(p.getTo()).setOffset(p.getOffset()))
        .build();
  }

  /** Keeps {@code signal} to be sent later: only the highest of its stream and method. */
  private void keep(MessagePeerAckSignal signal) {
    Peer p = signal.getPeer();
    unsent.merge(new Key(p.getFrom(), p.getTo(), signal.getMethod()), signal,
        (old, now) -> now.getPeer().getOffset() > old.getPeer().getOffset() ? now : old);
  }

  /** A new store epoch: positions kept for the old store would acknowledge other messages. */
  void storeChanged() {
    unsent.clear();
  }

  /** The client is closed or failed: nothing is sent again. */
  void stopped() {
    vertx.cancelTimer(retryTimer);
    retryTimer = -1;
    unsent.clear();
  }

  /** A new session for {@code eid}: sends what was acknowledged while disconnected. */
  void connected(String eid) {
    me = eid;
    flush();
  }

  /** Sends what waits, while there is a session to send it on. */
  private void flush() {
    Iterator<MessagePeerAckSignal> it = unsent.values().iterator();
    while (it.hasNext() && wire.write(Frame.newBuilder().setAck(it.next()).build())) {
      it.remove();
    }
  }
}

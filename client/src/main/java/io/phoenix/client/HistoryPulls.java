package io.phoenix.client;

import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fetches the last messages of a stream for {@link PhoenixClient#history}: a PULL_REQUEST from
 * far beyond any offset answers nothing but the stream's head h; a PULL_REQUEST from
 * {@code h - count} (repeated while the node answers 206) brings the messages, of which the
 * last {@code count} are the result. They go to the caller only, never to the message listener.
 *
 * <p>Pulled messages name their stream, not the request they answer, so for any one stream
 * either the {@link Receiver} or this class has a PULL_REQUEST under way, never both: a history
 * request waits while the receiver pulls its stream ({@link Streams#pulling}), and the receiver
 * does not pull a stream that has history requests ({@link #busy}) until they are done
 * ({@link Streams#released}). Requests of one stream run one after the other. A request cut off
 * by a lost connection sends its current step again after the next Welcome; a new store
 * epoch starts it over. At most {@link #MAX_WAITING} requests wait at once.
 *
 * <p>Used on the client's context only.
 */
final class HistoryPulls {
  /** Beyond any offset (and far from overflowing, in any store): answers with the head only. */
  static final long HEAD_PROBE = 1L << 62;
  /**
   * Requests that may wait or run at once; more fail at once, so that an application that
   * keeps asking while the node is unreachable does not fill the memory with them.
   */
  static final int MAX_WAITING = 1_000;

  /** The receiver's side of the sharing of streams. */
  interface Streams {
    boolean pulling(String from, String to);

    void released(String from, String to);
  }

  private record Key(String from, String to) {}

  private static final class Request {
    final Key key;
    final int count;
    final Promise<List<Message>> promise;
    final TreeMap<Long, Message> got = new TreeMap<>();
    boolean probing = true;
    long after = HEAD_PROBE;
    String outstanding;
    /** Steps answered 503 in a row (each retry waits longer). */
    int refusals;

    Request(Key key, int count, Promise<List<Message>> promise) {
      this.key = key;
      this.count = count;
      this.promise = promise;
    }
  }

  private final Vertx vertx;
  private final FrameWriter wire;
  private final Streams streams;
  private final Backoff backoff;
  private final Map<Key, ArrayDeque<Request>> byStream = new HashMap<>();
  private final Map<String, Request> byId = new HashMap<>();
  private int waiting;
  private long sequence;

  HistoryPulls(Vertx vertx, FrameWriter wire, Streams streams, Backoff backoff) {
    this.vertx = vertx;
    this.wire = wire;
    this.streams = streams;
    this.backoff = backoff;
  }

  void submit(String from, String to, int count, Promise<List<Message>> promise) {
    if (count <= 0) {
      promise.complete(List.of());
      return;
    }
    if (waiting >= MAX_WAITING) {
      promise.fail(new SendException(0, MAX_WAITING
          + " history requests are already waiting for an answer"));
      return;
    }
    waiting++;
    Key key = new Key(from, to);
    ArrayDeque<Request> queue = byStream.computeIfAbsent(key, k -> new ArrayDeque<>());
    queue.add(new Request(key, count, promise));
    if (queue.size() == 1) {
      step(key);
    }
  }

  /** True while requests for S(from→to) wait or run: the receiver must not pull it. */
  boolean busy(String from, String to) {
    return byStream.containsKey(new Key(from, to));
  }

  /** True when {@code m}, a pulled message, answers a request of this class. */
  boolean claims(Message m) {
    Request r = active(new Key(m.getPeer().getFrom(), m.getPeer().getTo()));
    return r != null && r.outstanding != null;
  }

  void message(Message m) {
    Request r = active(new Key(m.getPeer().getFrom(), m.getPeer().getTo()));
    if (r != null && !r.probing) {
      r.got.put(m.getPeer().getOffset(), m);
    }
  }

  /** The closing signal of a PULL_REQUEST; false when it is not one of this class's. */
  boolean pulled(MessagePeerAckSignal signal) {
    Request r = byId.remove(signal.getMessageId());
    if (r == null) {
      return false;
    }
    r.outstanding = null;
    int status = signal.getStatusCode();
    long head = signal.getPeer().getOffset();
    if (status == Status.UNAVAILABLE) {
      vertx.setTimer(backoff.delayMillis(r.refusals++), id -> step(r.key));
      return true;
    }
    r.refusals = 0;
    if (status != Status.OK && status != Status.PARTIAL) {
      finish(r, new SendException(status, "PULL_REQUEST of " + r.key.from() + "->"
          + r.key.to() + " refused with status " + status));
    } else if (r.probing) {
      r.probing = false;
      r.after = Math.max(0, head - r.count);
      if (head == 0) {
        finish(r, null);
      } else {
        step(r.key);
      }
    } else if (status == Status.PARTIAL && !r.got.isEmpty() && r.got.lastKey() > r.after) {
      r.after = r.got.lastKey();
      step(r.key);
    } else {
      finish(r, null);
    }
    return true;
  }

  /** A new session: the steps cut off by the lost connection go out again. */
  void connected() {
    new ArrayList<>(byStream.keySet()).forEach(this::step);
  }

  void disconnected() {
    byId.values().forEach(r -> r.outstanding = null);
    byId.clear();
  }

  /** A new store epoch: every request starts over from its probe. */
  void storeChanged() {
    for (ArrayDeque<Request> queue : byStream.values()) {
      Request r = queue.peekFirst();
      r.probing = true;
      r.after = HEAD_PROBE;
      r.got.clear();
    }
  }

  /** Fails every request (the client is closed or failed). */
  void failAll(String reason) {
    List<Request> all = new ArrayList<>();
    byStream.values().forEach(all::addAll);
    byStream.clear();
    byId.clear();
    waiting = 0;
    all.forEach(r -> r.promise.tryFail(new SendException(0, reason)));
  }

  /** Sends the next PULL_REQUEST of the stream's active request, when it may. */
  void step(Key key) {
    Request r = active(key);
    if (r == null || r.outstanding != null || streams.pulling(key.from(), key.to())) {
      return;
    }
    String id = "history-" + ++sequence;
    boolean sent = wire.write(Frame.newBuilder().setAck(MessagePeerAckSignal.newBuilder()
        .setMethod(AckMethod.PULL_REQUEST_VALUE).setMessageId(id)
        .setPeer(Peer.newBuilder().setFrom(key.from()).setTo(key.to()).setOffset(r.after)))
        .build());
    if (sent) {
      r.outstanding = id;
      byId.put(id, r);
    }
  }

  /** Lets the next step of the stream's active request go out (the receiver's pull ended). */
  void stepIfWaiting(String from, String to) {
    step(new Key(from, to));
  }

  private Request active(Key key) {
    ArrayDeque<Request> queue = byStream.get(key);
    return queue == null ? null : queue.peekFirst();
  }

  private void finish(Request r, Throwable failure) {
    ArrayDeque<Request> queue = byStream.get(r.key);
    queue.pollFirst();
    waiting--;
    if (queue.isEmpty()) {
      byStream.remove(r.key);
    }
    if (failure != null) {
      r.promise.tryFail(failure);
    } else {
      List<Message> all = new ArrayList<>(r.got.values());
      r.promise.tryComplete(List.copyOf(all.subList(Math.max(0, all.size() - r.count),
          all.size())));
    }
    if (queue.isEmpty()) {
      streams.released(r.key.from(), r.key.to());
    } else {
      step(r.key);
    }
  }
}

package io.phoenix.client;

import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.MessageType;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;

/**
 * The client's sends until the node answers them: each Message waits here, by recipient and
 * message_id, for its ACCEPTED signal. The node de-duplicates per stream (sender → recipient,
 * PROTOCOL.md §4), so one message_id may be on its way to two recipients at once: two messages,
 * told apart by the ACCEPTED signal's {@code from}, the recipient. 200 and 208 (a retry the
 * node had already stored) complete the send with the signal; 429 and 503 are retried (see
 * below); any other status fails it with a {@link SendException}. A send whose answer was lost with its connection is written again,
 * with the same message_id, on the next connection, so the node stores it once. DEVICE
 * messages are not stored, hence not de-duplicated, so one cut off after it was written fails
 * instead of being sent twice. Each message passes through {@code prepare} (the signer) before
 * it is written, once it is ready to go. A message whose frame is larger than the session's
 * max_frame_bytes fails with 413 instead of being written: the node would end the session for
 * it (Goodbye 413), and it would go out again, and end the next session too, after every
 * reconnect.
 *
 * <p>Order: the node stores a session's messages in the order they arrive, so each
 * {@link Lane} (the sends to one recipient: one stream) writes its messages in the order they
 * were sent, and writes them again in that order after a reconnect. A refusal (429, 503) must
 * not let later messages overtake the refused one: the lane stops writing for a backoff delay,
 * then writes one message at a time, oldest first, each once the previous one is answered,
 * until it has nothing waiting (messages already on their way when the refusal came cannot be
 * called back; they may be stored first). Lanes do not wait for each other, so a recipient
 * whose backlog is full holds up no other stream. A lane gives up, failing every send the node
 * refused, after {@code maxAttempts} attempts in a row have brought none of its messages
 * through.
 *
 * <p>Bounds: at most {@code maxPending} sends, holding at most {@code maxPendingBytes} bytes of
 * messages (their serialized size), wait for their answers at once, written or not (while
 * disconnected, all of them wait here). A send past either bound fails at once (status 0), so
 * that sending on while the node is unreachable does not fill the memory.
 *
 * <p>Used on the client's context only.
 */
final class Outbox {
  private final Vertx vertx;
  private final FrameWriter wire;
  private final Backoff backoff;
  private final int maxAttempts;
  private final int maxPending;
  private final long maxPendingBytes;
  /** The serialized size of every message in {@link #pending}, as submitted. */
  private long pendingBytes;
  private final Map<Key, Pending> pending = new HashMap<>();
  private final Map<String, Lane> lanes = new HashMap<>();
  private final UnaryOperator<Message> prepare;
  private final IntSupplier frameLimit;

  /** A send's recipient (its stream) and message_id: what the node de-duplicates by. */
  private record Key(String to, String messageId) {}

  private static final class Pending {
    final Key key;
    Message message;
    final Promise<MessagePeerAckSignal> promise;
    final Lane lane;
    final int bytes;
    boolean written;
    boolean refused;

    Pending(Key key, Message message, Promise<MessagePeerAckSignal> promise, Lane lane,
        int bytes) {
      this.key = key;
      this.message = message;
      this.promise = promise;
      this.lane = lane;
      this.bytes = bytes;
    }
  }

  /** The sends to one recipient, oldest first, and how that stream's refusals stand. */
  private static final class Lane {
    final String to;
    final ArrayDeque<Pending> sends = new ArrayDeque<>();
    /** Refusals in a row without an acceptance; each began a backoff delay. */
    int strikes;
    /** Set while the lane waits out a refusal: nothing is written. */
    long retryTimer = -1;
    /** After a refusal, until the lane is empty: one message on its way at a time. */
    boolean oneAtATime;

    Lane(String to) {
      this.to = to;
    }
  }

  /**
   * @param frameLimit the current session's max_frame_bytes (0 while not connected)
   * @param prepare applied to a message just before it is written (the signer)
   */
  Outbox(Vertx vertx, FrameWriter wire, Backoff backoff, int maxAttempts, int maxPending,
      long maxPendingBytes, IntSupplier frameLimit, UnaryOperator<Message> prepare) {
    this.vertx = vertx;
    this.prepare = prepare;
    this.frameLimit = frameLimit;
    this.wire = wire;
    this.backoff = backoff;
    this.maxAttempts = maxAttempts;
    this.maxPending = maxPending;
    this.maxPendingBytes = maxPendingBytes;
  }

  void submit(Message message, Promise<MessagePeerAckSignal> promise) {
    String to = message.getTo().getEid();
    Key key = new Key(to, message.getMessageId());
    if (pending.containsKey(key)) {
      promise.fail(new SendException(0, "message_id " + message.getMessageId() + " to " + to
          + " is already being sent"));
      return;
    }
    if (pending.size() >= maxPending) {
      promise.fail(new SendException(0, maxPending + " sends are already waiting for an answer"));
      return;
    }
    int bytes = message.getSerializedSize();
    if (pendingBytes + bytes > maxPendingBytes) {
      promise.fail(new SendException(0, "sends waiting for an answer already hold "
          + pendingBytes + " bytes; " + bytes + " more would pass the bound of "
          + maxPendingBytes + " bytes"));
      return;
    }
    Lane lane = lanes.computeIfAbsent(to, Lane::new);
    Pending p = new Pending(key, message, promise, lane, bytes);
    pending.put(key, p);
    pendingBytes += bytes;
    Pending last = lane.sends.peekLast();
    lane.sends.add(p);
    if (lane.retryTimer == -1 && !lane.oneAtATime && (last == null || last.written)) {
      write(p); // every earlier send of the lane is on its way: this one follows at once
    } else {
      // Earlier ones go first: they wait for a retry, or for the session that is just being
      // welcomed (a state listener that sends runs before they are written again).
      pump(lane);
    }
  }

  /** A new session: everything not answered yet goes out again, in order. */
  void connected() {
    new ArrayList<>(lanes.values()).forEach(this::pump);
  }

  /** The session is gone: written sends must be written again, except DEVICE messages. */
  void disconnected() {
    for (Pending p : new ArrayList<>(pending.values())) {
      if (p.written && p.message.getType() == MessageType.DEVICE_VALUE) {
        finish(p).fail(new SendException(0, "connection lost before the node answered "
            + "(DEVICE messages are not sent twice)"));
      }
      p.written = false;
    }
  }

  void accepted(MessagePeerAckSignal ack) {
    Pending p = answered(ack);
    if (p == null || !p.written) {
      return;
    }
    Lane lane = p.lane;
    int status = ack.getStatusCode();
    if (status == Status.OK || status == Status.DUPLICATE) {
      lane.strikes = 0;
      finish(p).complete(ack);
    } else if (status == Status.RATE_LIMITED || status == Status.UNAVAILABLE) {
      p.written = false;
      p.refused = true;
      lane.oneAtATime = true;
      if (lane.retryTimer != -1) {
        return; // one of the messages already on their way when the lane stopped
      }
      if (++lane.strikes >= maxAttempts) {
        giveUp(lane, status);
      } else {
        lane.retryTimer = vertx.setTimer(backoff.delayMillis(lane.strikes - 1), id -> {
          lane.retryTimer = -1;
          if (lane.sends.isEmpty()) {
            lanes.remove(lane.to, lane);
          } else {
            pump(lane);
          }
        });
        return;
      }
    } else {
      finish(p).fail(new SendException(status, "message " + ack.getMessageId()
          + " refused with status " + status));
    }
    if (lane.oneAtATime) {
      pump(lane); // the next one (everything is on its way already otherwise)
    }
  }

  /** Fails every waiting send (the client is closed or has failed). */
  void failAll(String reason) {
    for (Lane lane : lanes.values()) {
      vertx.cancelTimer(lane.retryTimer);
      lane.retryTimer = -1;
    }
    for (Pending p : new ArrayList<>(pending.values())) {
      finish(p).fail(new SendException(0, reason));
    }
  }

  /**
   * The send {@code ack} answers: by its {@code from}, the recipient (the node names it in every
   * ACCEPTED signal), and its message_id. An answer that names no recipient is matched by
   * message_id alone, when only one waiting send has it.
   */
  private Pending answered(MessagePeerAckSignal ack) {
    Pending p = pending.get(new Key(ack.getFrom().getEid(), ack.getMessageId()));
    if (p != null || ack.hasFrom()) {
      return p;
    }
    Pending only = null;
    for (Pending q : pending.values()) {
      if (q.key.messageId().equals(ack.getMessageId())) {
        if (only != null) {
          return null; // which of them it answers cannot be told
        }
        only = q;
      }
    }
    return only;
  }

  /** The node let none of the lane's messages through in maxAttempts attempts in a row. */
  private void giveUp(Lane lane, int status) {
    lane.strikes = 0;
    for (Pending p : new ArrayList<>(lane.sends)) {
      if (p.refused && !p.written) {
        finish(p).fail(new SendException(status, "message " + p.message.getMessageId()
            + " refused with status " + status + " " + maxAttempts + " times in a row"));
      }
    }
  }

  /**
   * Writes what the lane may write now, oldest first: every message not written yet, or after
   * a refusal only the oldest, when it is not on its way already.
   */
  private void pump(Lane lane) {
    if (lane.retryTimer != -1) {
      return;
    }
    List<Pending> tooLarge = new ArrayList<>(0);
    for (Pending p : lane.sends) {
      if (!p.written) {
        Frame frame = frame(p);
        if (!fits(frame)) {
          tooLarge.add(p); // failed below, after the walk: on to the next
          continue;
        }
        p.written = wire.write(frame);
        if (!p.written) {
          break; // not connected
        }
      }
      if (lane.oneAtATime) {
        break;
      }
    }
    tooLarge.forEach(this::failTooLarge);
  }

  /** Writes one send (or fails it as too large); it stays unwritten while not connected. */
  private void write(Pending p) {
    Frame frame = frame(p);
    if (fits(frame)) {
      p.written = wire.write(frame);
    } else {
      failTooLarge(p);
    }
  }

  /** The frame of {@code p}, prepared (signed) as it goes out. */
  private Frame frame(Pending p) {
    p.message = prepare.apply(p.message);
    return Frame.newBuilder().setMessage(p.message).build();
  }

  /** False when the session's max_frame_bytes is known and {@code frame} is over it. */
  private boolean fits(Frame frame) {
    int limit = frameLimit.getAsInt();
    return limit <= 0 || frame.getSerializedSize() <= limit;
  }

  private void failTooLarge(Pending p) {
    int size = Frame.newBuilder().setMessage(p.message).build().getSerializedSize();
    finish(p).fail(new SendException(Status.TOO_LARGE, "message " + p.message.getMessageId()
        + " is " + size + " bytes as a frame, over the node's max_frame_bytes "
        + frameLimit.getAsInt() + " (not sent)"));
  }

  private Promise<MessagePeerAckSignal> finish(Pending p) {
    pending.remove(p.key);
    pendingBytes -= p.bytes;
    Lane lane = p.lane;
    lane.sends.remove(p);
    if (lane.sends.isEmpty()) {
      lane.oneAtATime = false;
      if (lane.retryTimer == -1) {
        lanes.remove(lane.to);
      }
    }
    return p.promise;
  }
}

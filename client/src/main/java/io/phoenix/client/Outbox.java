package io.phoenix.client;

import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.MessageType;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;

/**
 * The client's sends until the node answers them: each Message waits here, by message_id, for
 * its ACCEPTED signal. 200 and 208 (a retry the node had already stored) complete the send
 * with the signal; 429 and 503 are retried with backoff, at most {@code maxAttempts} times in
 * all; any other status fails it with a {@link SendException}. A send whose answer was lost
 * with its connection is written again, with the same message_id, on the next connection, so
 * the node stores it once. DEVICE messages are not stored, hence not de-duplicated, so one cut
 * off after it was written fails instead of being sent twice. Each message passes through
 * {@code prepare} (the signer) before it is written, once it is ready to go. A message whose
 * frame is larger than the session's max_frame_bytes fails with 413 instead of being written:
 * the node would end the session for it (Goodbye 413), and it would go out again, and end the
 * next session too, after every reconnect.
 *
 * <p>Used on the client's context only.
 */
final class Outbox {
  private final Vertx vertx;
  private final FrameWriter wire;
  private final Backoff backoff;
  private final int maxAttempts;
  private final int maxPending;
  private final Map<String, Pending> pending = new LinkedHashMap<>();
  private final UnaryOperator<Message> prepare;
  private final IntSupplier frameLimit;

  private static final class Pending {
    Message message;
    final Promise<MessagePeerAckSignal> promise;
    int attempts = 1;
    long retryTimer = -1;
    boolean written;

    Pending(Message message, Promise<MessagePeerAckSignal> promise) {
      this.message = message;
      this.promise = promise;
    }
  }

  /**
   * @param frameLimit the current session's max_frame_bytes (0 while not connected)
   * @param prepare applied to a message just before it is written (the signer)
   */
  Outbox(Vertx vertx, FrameWriter wire, Backoff backoff, int maxAttempts, int maxPending,
      IntSupplier frameLimit, UnaryOperator<Message> prepare) {
    this.vertx = vertx;
    this.prepare = prepare;
    this.frameLimit = frameLimit;
    this.wire = wire;
    this.backoff = backoff;
    this.maxAttempts = maxAttempts;
    this.maxPending = maxPending;
  }

  void submit(Message message, Promise<MessagePeerAckSignal> promise) {
    if (pending.containsKey(message.getMessageId())) {
      promise.fail(new SendException(0, "message_id " + message.getMessageId()
          + " is already being sent"));
      return;
    }
    if (pending.size() >= maxPending) {
      promise.fail(new SendException(0, maxPending + " sends are already waiting for an answer"));
      return;
    }
    Pending p = new Pending(message, promise);
    pending.put(message.getMessageId(), p);
    write(p);
  }

  /** A new session: everything not answered yet goes out again (those waiting to retry wait). */
  void connected() {
    new ArrayList<>(pending.values()).forEach(this::write);
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
    Pending p = pending.get(ack.getMessageId());
    if (p == null || !p.written) {
      return;
    }
    int status = ack.getStatusCode();
    if (status == Status.OK || status == Status.DUPLICATE) {
      finish(p).complete(ack);
    } else if ((status == Status.RATE_LIMITED || status == Status.UNAVAILABLE)
        && p.attempts < maxAttempts) {
      p.written = false;
      p.retryTimer = vertx.setTimer(backoff.delayMillis(p.attempts - 1), id -> {
        p.retryTimer = -1;
        p.attempts++;
        write(p);
      });
    } else {
      finish(p).fail(new SendException(status, "message " + ack.getMessageId()
          + " refused with status " + status));
    }
  }

  /** Fails every waiting send (the client is closed or has failed). */
  void failAll(String reason) {
    for (Pending p : new ArrayList<>(pending.values())) {
      vertx.cancelTimer(p.retryTimer);
      finish(p).fail(new SendException(0, reason));
    }
  }

  private void write(Pending p) {
    if (!p.written && p.retryTimer == -1 && pending.get(p.message.getMessageId()) == p) {
      p.message = prepare.apply(p.message);
      Frame frame = Frame.newBuilder().setMessage(p.message).build();
      int limit = frameLimit.getAsInt();
      if (limit > 0 && frame.getSerializedSize() > limit) {
        finish(p).fail(new SendException(Status.TOO_LARGE, "message " + p.message.getMessageId()
            + " is " + frame.getSerializedSize() + " bytes as a frame, over the node's "
            + "max_frame_bytes " + limit + " (not sent)"));
        return;
      }
      p.written = wire.write(frame);
    }
  }

  private Promise<MessagePeerAckSignal> finish(Pending p) {
    pending.remove(p.message.getMessageId());
    return p.promise;
  }
}

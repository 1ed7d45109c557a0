package io.phoenix.router;

import com.google.protobuf.InvalidProtocolBufferException;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.MessageRules;
import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.MessageType;
import io.phoenix.protocol.v1.Peer;
import io.phoenix.protocol.v1.TransmissionMode;
import io.phoenix.router.Subscriber.PushKind;
import io.phoenix.stream.StreamStore;
import io.phoenix.stream.StreamStore.AppendResult;
import io.phoenix.stream.StreamStore.StoredMessage;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides where each client message and ack signal goes (PROTOCOL.md §5–6): stores stream
 * messages through the {@link StreamStore}, which also finds the devices to reach (the
 * directory lives beside the streams), and hands frames to them through the {@link Fanout}.
 *
 * <p>Every request comes with its {@link Reply}, the place the session took for it when it
 * arrived: whatever the request causes (answers, pushes, copies, forwards) is handed to it, so a
 * session's effects leave in the order its requests arrived even when the store and the
 * directory complete out of order. Called on the session's context; holds no per-session
 * state.
 */
public final class Router {
  private static final Logger log = LoggerFactory.getLogger(Router.class);
  private static final Runnable NOTHING = () -> { };

  private final StreamStore store;
  private final Fanout fanout;
  private final int pullBatch;
  private final long pullBytes;
  private final NodeMetrics metrics;

  /**
   * @param pullBatch most messages one PULL_REQUEST is answered
   * @param pullBytes most bytes of messages one PULL_REQUEST is answered (at least one message
   *     is), so that an answer stays well below what a session may have waiting to be written
   */
  public Router(StreamStore store, Fanout fanout, int pullBatch, long pullBytes,
      NodeMetrics metrics) {
    this.store = store;
    this.fanout = fanout;
    this.pullBatch = pullBatch;
    this.pullBytes = pullBytes;
    this.metrics = metrics;
  }

  /**
   * Sends a message that passed the checks of §5 (see {@code MessageRules});
   * {@code receivedNanos} is when its frame was read (for the ACCEPTED latency).
   */
  public void send(Subscriber sender, Message message, Reply reply, long receivedNanos) {
    long now = System.currentTimeMillis();
    Message.Builder b = message.toBuilder().setFrom(sender.identity()).clearPeer();
    if (b.getTransmissionMode() == 0) {
      b.setTransmissionMode(TransmissionMode.PUSH_VALUE);
    }
    Message stamped = b.build();
    if (stamped.getType() == MessageType.DEVICE_VALUE) {
      sendEphemeral(sender, stamped, reply, receivedNanos);
      return;
    }
    String from = sender.identity().getEid();
    String to = stamped.getTo().getEid();
    store.append(from, to, stamped.getMessageId(), stamped.getType(), stamped.toByteArray(), now)
        .onComplete(ar -> {
          if (ar.failed()) {
            if (ar.cause() instanceof StreamStore.UnavailableException) {
              // the store said so once when it happened; one line per message would flood
              log.debug("message {} refused: {}", stamped.getMessageId(), ar.cause().getMessage());
            } else {
              log.warn("store failed, message {} refused: {}", stamped.getMessageId(),
                  ar.cause().toString());
            }
            EncodedFrame refusal = refused(stamped, Status.UNAVAILABLE);
            reply.release(() -> sender.send(refusal));
            return;
          }
          AppendResult r = ar.result();
          Peer peer = peer(from, to, r.offset(), r.delivered());
          switch (r.outcome()) {
            case FULL -> {
              EncodedFrame refusal = refused(stamped, Status.RATE_LIMITED);
              reply.release(() -> sender.send(refusal));
            }
            case DUPLICATE -> {
              EncodedFrame answer = accepted(stamped, Status.DUPLICATE, peer);
              reply.release(() -> sender.send(answer));
            }
            case STORED -> deliverStored(sender, stamped, peer, r, reply, receivedNanos);
          }
        });
  }

  /**
   * A stored message: ACCEPTED to the sender, the message (or a PULL hint) to the recipient's
   * devices and copies to the sender's other devices (both found by the store once the message
   * was stored), all released in the sender's order.
   */
  private void deliverStored(Subscriber sender, Message stored, Peer peer, AppendResult r,
      Reply reply, long receivedNanos) {
    String to = stored.getTo().getEid();
    EncodedFrame answer = accepted(stored, Status.OK, peer);
    List<Device> own = stored.getType() == MessageType.SENDER_VALUE ? r.senders() : List.of();
    List<Device> targets = targets(sender, named(stored.getTo()), r.recipients(), own);
    StreamId stream = new StreamId(peer.getFrom(), to);
    reply.release(() -> {
      sender.send(answer);
      metrics.accepted(System.nanoTime() - receivedNanos);
      if (stored.getTransmissionMode() == TransmissionMode.PULL_VALUE) {
        MessagePeerAckSignal hint = signal(stored.getTo(), stored.getFrom(),
            stored.getMessageId(), AckMethod.SYNC_VALUE, Status.OK, peer);
        fanout.deliver(targets, Frame.newBuilder().setAck(hint).build(), PushKind.HINT, stream,
            peer.getOffset(), peer.getPeerOffset());
      } else {
        fanout.deliver(targets, node -> FrameCodec.encode(Frame.newBuilder()
            .setMessage(stored.toBuilder().setPeer(peer)
                .setTo(stored.getTo().toBuilder().setNode(node)))
            .build()), PushKind.MESSAGE, stream, peer.getOffset(), peer.getPeerOffset());
      }
    });
  }

  /** DEVICE messages: not stored, pushed to the recipient's online devices, 404 when none. */
  private void sendEphemeral(Subscriber sender, Message message, Reply reply,
      long receivedNanos) {
    store.devices(message.getTo().getEid()).onComplete(ar -> reply.release(() -> {
      if (ar.failed()) {
        sender.send(refused(message, Status.UNAVAILABLE));
        return;
      }
      List<Device> targets = targets(sender, named(message.getTo()), ar.result(), List.of());
      if (targets.isEmpty()) {
        sender.send(refused(message, Status.NOT_FOUND));
        return;
      }
      fanout.deliver(targets, node -> FrameCodec.encode(Frame.newBuilder()
          .setMessage(message.toBuilder().setTo(message.getTo().toBuilder().setNode(node))
              .setTransmissionMode(TransmissionMode.PUSH_VALUE)) // DEVICE is always pushed
          .build()), PushKind.UNORDERED, null, 0, 0);
      sender.send(accepted(message, Status.OK, null));
      metrics.accepted(System.nanoTime() - receivedNanos);
    }));
  }

  /**
   * The devices of {@code recipients} (only the one named {@code named} when not null) and
   * every device of {@code others}; never the session {@code exclude} itself, never one twice.
   * The lists are a user's few devices, so a device already taken is looked for in the result
   * itself: no set and no key strings per message.
   */
  private static List<Device> targets(Subscriber exclude, String named, List<Device> recipients,
      List<Device> others) {
    Identity self = exclude.identity();
    String selfEid = self.getEid();
    String selfResource = self.getConnectionResourceId();
    List<Device> out = new ArrayList<>(recipients.size() + others.size());
    for (Device d : recipients) {
      if ((named == null || named.equals(d.resource()))
          && !d.is(selfEid, selfResource) && !taken(out, d)) {
        out.add(d);
      }
    }
    for (Device d : others) {
      if (!d.is(selfEid, selfResource) && !taken(out, d)) {
        out.add(d);
      }
    }
    return out;
  }

  private static boolean taken(List<Device> out, Device d) {
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).is(d.eid(), d.resource())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The device a message names, or null for every device of its recipient; an empty
   * connection_resource_id names none (Hello refuses it), so it counts as not set.
   */
  private static String named(Identity to) {
    return to.getConnectionResourceId().isEmpty() ? null : to.getConnectionResourceId();
  }

  /** An ack signal sent by a client (§6). */
  public void acknowledge(Subscriber client, MessagePeerAckSignal ack, Reply reply) {
    if (!MessageRules.boundedAck(ack)) {
      // refused without repeating what is over the bounds: the answer stays a small frame
      metrics.refused(Status.BAD_REQUEST);
      EncodedFrame answer = encode(signal(client.identity(), null,
          MessageRules.cut(ack.getMessageId(), MessageRules.MAX_MESSAGE_ID_BYTES),
          ack.getMethod(), Status.BAD_REQUEST, null));
      reply.release(() -> client.send(answer));
      return;
    }
    switch (ack.getMethod()) {
      case AckMethod.DELIVERED_VALUE, AckMethod.READ_VALUE -> recordAck(client, ack, reply);
      case AckMethod.PULL_REQUEST_VALUE -> pull(client, ack, reply);
      case AckMethod.SYNC_VALUE -> sync(client, ack, reply);
      default -> refuse(client, ack, Status.BAD_REQUEST, reply);
    }
  }

  private void recordAck(Subscriber client, MessagePeerAckSignal ack, Reply reply) {
    Identity self = client.identity();
    Peer p = ack.getPeer();
    if (ack.hasFrom() && !ack.getFrom().getEid().isEmpty()
        && !ack.getFrom().getEid().equals(self.getEid())) {
      refuse(client, ack, Status.FORBIDDEN, reply);
      return;
    }
    if (!ack.hasPeer() || p.getFrom().isEmpty() || p.getTo().isEmpty() || p.getOffset() < 1) {
      refuse(client, ack, Status.BAD_REQUEST, reply);
      return;
    }
    if (!p.getTo().equals(self.getEid())) {
      refuse(client, ack, Status.FORBIDDEN, reply);
      return;
    }
    boolean read = ack.getMethod() == AckMethod.READ_VALUE;
    String sender = p.getFrom();
    store.acknowledge(sender, self.getEid(), p.getOffset(), read, System.currentTimeMillis())
        .onComplete(ar -> {
          if (ar.failed()) {
            refuse(client, ack, Status.UNAVAILABLE, reply);
            return;
          }
          var r = ar.result();
          if (!r.accepted()) {
            refuse(client, ack, Status.BAD_REQUEST, reply);
            return;
          }
          if (!r.advanced()) {
            reply.release(NOTHING);
            return;
          }
          Identity original = Identity.newBuilder().setEid(sender).build();
          MessagePeerAckSignal forward = signal(original, self, ack.getMessageId(),
              ack.getMethod(), Status.OK, peer(sender, self.getEid(), p.getOffset(),
                  r.delivered()));
          // The original sender's devices (not for RECEIVER notifications) and the
          // acknowledging client's other devices.
          List<Device> targets = targets(client, null, r.acknowledgers(),
              r.forwardToSender() && !sender.equals(self.getEid()) ? r.senders() : List.of());
          reply.release(() -> fanout.deliver(targets,
              Frame.newBuilder().setAck(forward).build()));
        });
  }

  private void pull(Subscriber client, MessagePeerAckSignal ack, Reply reply) {
    Peer p = ack.getPeer();
    String self = client.identity().getEid();
    if (!ack.hasPeer() || p.getFrom().isEmpty() || p.getTo().isEmpty() || p.getOffset() < 0) {
      refuse(client, ack, Status.BAD_REQUEST, reply);
      return;
    }
    if (!p.getFrom().equals(self) && !p.getTo().equals(self)) {
      refuse(client, ack, Status.FORBIDDEN, reply);
      return;
    }
    store.pull(p.getFrom(), p.getTo(), p.getOffset(), pullBatch, System.currentTimeMillis())
        .onComplete(ar -> {
          if (ar.failed()) {
            refuse(client, ack, Status.UNAVAILABLE, reply);
            return;
          }
          var r = ar.result();
          List<EncodedFrame> frames = new ArrayList<>(r.messages().size() + 1);
          long bytes = 0;
          boolean cut = false; // more messages than pullBytes: the rest is for the next pull
          for (StoredMessage m : r.messages()) {
            Message stored;
            try {
              stored = Message.parseFrom(m.message());
            } catch (InvalidProtocolBufferException e) {
              log.error("stored message {} of {} is corrupt", m.offset(), p, e);
              continue;
            }
            Message pulled = stored.toBuilder()
                .setPeer(peer(p.getFrom(), p.getTo(), m.offset(), r.delivered()))
                .setTransmissionMode(TransmissionMode.PULL_VALUE)
                .build();
            EncodedFrame frame = FrameCodec.encode(Frame.newBuilder().setMessage(pulled).build());
            if (!frames.isEmpty() && bytes + frame.bodyLength() > pullBytes) {
              cut = true;
              break;
            }
            bytes += frame.bodyLength();
            frames.add(frame);
          }
          metrics.pulled(frames.size());
          Identity other = Identity.newBuilder()
              .setEid(p.getFrom().equals(self) ? p.getTo() : p.getFrom()).build();
          frames.add(encode(signal(client.identity(), other, ack.getMessageId(),
              AckMethod.PULL_REQUEST_VALUE, r.more() || cut ? Status.PARTIAL : Status.OK,
              peer(p.getFrom(), p.getTo(), r.head(), r.delivered()))));
          // written as the client reads: pulls sent back to back must not add up to a slow
          // consumer's backlog
          reply.releaseUntilDone(done -> client.sendAll(frames, done));
        });
  }

  private void sync(Subscriber client, MessagePeerAckSignal ack, Reply reply) {
    Identity self = client.identity();
    store.unacknowledged(self.getEid()).onComplete(ar -> {
      if (ar.failed()) {
        refuse(client, ack, Status.UNAVAILABLE, reply);
        return;
      }
      List<EncodedFrame> frames = new ArrayList<>(ar.result().size() + 1);
      for (var s : ar.result()) {
        frames.add(encode(signal(self, Identity.newBuilder().setEid(s.from()).build(),
            ack.getMessageId(), AckMethod.SYNC_VALUE, Status.OK,
            peer(s.from(), s.to(), s.head(), s.delivered()))));
      }
      frames.add(encode(signal(self, null, ack.getMessageId(), AckMethod.SYNC_VALUE,
          Status.END_OF_SYNC, null)));
      // one signal per stream, as many as there are: written as the client reads them, and
      // the session's later answers wait for the terminator
      reply.releaseUntilDone(done -> client.sendAll(frames, done));
    });
  }

  /** Answers an ack signal the server refuses: same method and message_id, the status. */
  private void refuse(Subscriber client, MessagePeerAckSignal ack, int status, Reply reply) {
    metrics.refused(status);
    EncodedFrame answer = encode(signal(client.identity(), ack.hasTo() ? ack.getTo() : null,
        ack.getMessageId(), ack.getMethod(), status, ack.hasPeer() ? ack.getPeer() : null));
    reply.release(() -> client.send(answer));
  }

  private EncodedFrame refused(Message m, int status) {
    metrics.refused(status);
    return accepted(m, status, null);
  }

  private static EncodedFrame accepted(Message m, int status, Peer peer) {
    return encode(signal(m.getFrom(), m.getTo(), m.getMessageId(), AckMethod.ACCEPTED_VALUE,
        status, peer));
  }

  static Peer peer(String from, String to, long offset, long peerOffset) {
    return Peer.newBuilder().setFrom(from).setTo(to).setOffset(offset).setPeerOffset(peerOffset)
        .build();
  }

  static MessagePeerAckSignal signal(Identity to, Identity from, String messageId, int method,
      int status, Peer peer) {
    MessagePeerAckSignal.Builder b = MessagePeerAckSignal.newBuilder()
        .setMessageId(messageId)
        .setMethod(method)
        .setTimestamp(System.currentTimeMillis())
        .setStatusCode(status);
    if (to != null) {
      b.setTo(to);
    }
    if (from != null) {
      b.setFrom(from);
    }
    if (peer != null) {
      b.setPeer(peer);
    }
    return b.build();
  }

  private static EncodedFrame encode(MessagePeerAckSignal signal) {
    return FrameCodec.encode(Frame.newBuilder().setAck(signal).build());
  }
}

package io.phoenix.client;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sends the application's DELIVERED and READ signals for received messages. Both are
 * cumulative positions, so while disconnected only the highest one per stream and method is
 * kept, and sent after the next Welcome. Only a stream's recipient acknowledges it: messages
 * the user is not the recipient of (copies of its own messages from its other devices) are not
 * acknowledged, and neither are DEVICE messages.
 *
 * <p>Used on the client's context only.
 */
final class Acknowledger {
  private record Key(String from, String to, int method) {}

  private final FrameWriter wire;
  private final Map<Key, MessagePeerAckSignal> unsent = new LinkedHashMap<>();
  private String me;

  Acknowledger(FrameWriter wire) {
    this.wire = wire;
  }

  /** Acknowledges {@code m} (and everything before it in its stream), if the user may. */
  void acknowledge(Message m, AckMethod method) {
    if (!m.hasPeer() || !m.getPeer().getTo().equals(me)) {
      return;
    }
    Peer p = m.getPeer();
    MessagePeerAckSignal signal = MessagePeerAckSignal.newBuilder()
        .setMethod(method.getNumber())
        .setMessageId(m.getMessageId())
        .setTo(Identity.newBuilder().setEid(p.getFrom()))
        .setPeer(Peer.newBuilder().setFrom(p.getFrom()).setTo(p.getTo()).setOffset(p.getOffset()))
        .build();
    if (!wire.write(Frame.newBuilder().setAck(signal).build())) {
      unsent.merge(new Key(p.getFrom(), p.getTo(), method.getNumber()), signal,
          (old, now) -> now.getPeer().getOffset() > old.getPeer().getOffset() ? now : old);
    }
  }

  /** A new store epoch: positions kept for the old store would acknowledge other messages. */
  void storeChanged() {
    unsent.clear();
  }

  /** A new session for {@code eid}: sends what was acknowledged while disconnected. */
  void connected(String eid) {
    me = eid;
    Iterator<MessagePeerAckSignal> it = unsent.values().iterator();
    while (it.hasNext() && wire.write(Frame.newBuilder().setAck(it.next()).build())) {
      it.remove();
    }
  }
}

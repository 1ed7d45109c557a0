package io.phoenix.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Receiver's edge cases that a healthy node rarely produces on demand: pushes lost by the
 * node, expired offsets skipped by a pull, more early messages than it holds, a stream it has
 * no memory of. Frames are fed by hand; what it writes is captured.
 */
class ReceiverTest {
  final Vertx vertx = Vertx.vertx();
  final List<Frame> written = new ArrayList<>();
  final List<Long> delivered = new ArrayList<>();
  final Receiver receiver = new Receiver(vertx, f -> written.add(f),
      m -> delivered.add(m.getPeer().getOffset()));

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static Message msg(long offset, int mode, long peerOffset) {
    return Message.newBuilder().setMessageId("m" + offset).setTransmissionMode(mode)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(offset)
            .setPeerOffset(peerOffset)).build();
  }

  private static Message push(long offset) {
    return msg(offset, 2, 0);
  }

  private static Message pulled(long offset) {
    return msg(offset, 1, 0);
  }

  /** The last PULL_REQUEST written: its message_id and from-offset. */
  private MessagePeerAckSignal lastPull() {
    for (int i = written.size() - 1; i >= 0; i--) {
      MessagePeerAckSignal a = written.get(i).getAck();
      if (a.getMethod() == AckMethod.PULL_REQUEST_VALUE) {
        return a;
      }
    }
    throw new AssertionError("no PULL_REQUEST written: " + written);
  }

  private long pulls() {
    return written.stream().filter(f -> f.getAck().getMethod() == AckMethod.PULL_REQUEST_VALUE)
        .count();
  }

  private void pullDone(MessagePeerAckSignal request, int status, long head) {
    receiver.pulled(MessagePeerAckSignal.newBuilder().setMethod(AckMethod.PULL_REQUEST_VALUE)
        .setMessageId(request.getMessageId()).setStatusCode(status)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(head)).build());
  }

  @Test
  void aGapIsPulledAndHeldMessagesFollowInOrder() {
    receiver.connected("bob");
    receiver.message(push(1));
    receiver.message(push(4));
    receiver.message(push(5));
    assertEquals(List.of(1L), delivered);
    assertEquals(1, pulls(), "one pull for the gap, however many early messages");
    assertEquals(1, lastPull().getPeer().getOffset());
    receiver.message(pulled(2));
    receiver.message(pulled(3));
    receiver.message(pulled(4));
    pullDone(lastPull(), 200, 5);
    receiver.message(push(5));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered);
    assertEquals(1, pulls());
  }

  @Test
  void expiredOffsetsSkippedByAPullAreNotWaitedFor() {
    receiver.connected("bob");
    receiver.message(push(1));
    receiver.message(push(9));
    receiver.message(pulled(4)); // 2 and 3 expired
    pullDone(lastPull(), 206, 9);
    assertEquals(4, lastPull().getPeer().getOffset(), "206: pull again after the last received");
    pullDone(lastPull(), 200, 9); // 5 to 8 expired too
    assertEquals(List.of(1L, 4L, 9L), delivered);
    receiver.message(push(10));
    assertEquals(List.of(1L, 4L, 9L, 10L), delivered);
  }

  @Test
  void earlyMessagesBeyondWhatIsHeldArePulledAgain() {
    receiver.connected("bob");
    receiver.message(push(1));
    long last = 2 + StreamCursor.MAX_HELD + 10;
    for (long o = 3; o <= last; o++) {
      receiver.message(push(o));
    }
    receiver.message(pulled(2));
    receiver.message(pulled(3));
    pullDone(lastPull(), 200, 3); // the head when the pull was answered
    assertEquals(2 + StreamCursor.MAX_HELD, delivered.size(), "held ones delivered");
    assertEquals(2 + StreamCursor.MAX_HELD, lastPull().getPeer().getOffset(),
        "the dropped ones are pulled");
    for (long o = 3 + StreamCursor.MAX_HELD; o <= last; o++) {
      receiver.message(pulled(o));
    }
    pullDone(lastPull(), 200, last);
    for (int i = 0; i < delivered.size(); i++) {
      assertEquals(i + 1, delivered.get(i));
    }
    assertEquals(last, delivered.size());
  }

  @Test
  void anUnknownStreamStartsWhereItsReceiverAcknowledgedAndDuplicatesAreDropped() {
    receiver.connected("bob");
    receiver.message(msg(8, 2, 7));
    receiver.message(msg(8, 2, 7));
    receiver.message(pulled(8));
    assertEquals(List.of(8L), delivered);
    assertEquals(0, pulls());
  }

  @Test
  void afterAReconnectStreamsStillBehindArePulledAndSyncIsSent() {
    receiver.connected("bob");
    receiver.message(push(1));
    receiver.message(push(3));
    receiver.disconnected();
    written.clear();
    receiver.connected("bob");
    assertEquals(1, lastPull().getPeer().getOffset());
    assertEquals(AckMethod.SYNC_VALUE, written.get(written.size() - 1).getAck().getMethod());
    receiver.sync(MessagePeerAckSignal.newBuilder().setMethod(AckMethod.SYNC_VALUE)
        .setStatusCode(200).setPeer(Peer.newBuilder().setFrom("alice").setTo("bob")
            .setOffset(3).setPeerOffset(0)).build());
    assertEquals(1, pulls(), "already being pulled");
  }

  @Test
  void aStreamTheNodeStartedOverIsFollowedNotMistakenForRepeats() {
    receiver.connected("bob");
    for (long o = 1; o <= 5; o++) {
      receiver.message(push(o));
    }
    receiver.message(push(3)); // a repeat: same message_id at offset 3
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered);
    // The node lost the stream (a memory-only cluster restarted): offset 1 again, a new id.
    receiver.message(Message.newBuilder().setMessageId("new-1").setTransmissionMode(2)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(1)).build());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 1L), delivered);
    receiver.message(push(2));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 1L, 2L), delivered);
  }

  @Test
  void aHeadBelowWhatWasDeliveredStartsTheStreamOver() {
    receiver.connected("bob");
    for (long o = 1; o <= 5; o++) {
      receiver.message(push(o));
    }
    receiver.disconnected();
    receiver.connected("bob");
    String syncId = written.get(written.size() - 1).getAck().getMessageId();
    MessagePeerAckSignal.Builder listed = MessagePeerAckSignal.newBuilder()
        .setMethod(AckMethod.SYNC_VALUE).setStatusCode(200).setPeer(Peer.newBuilder()
            .setFrom("alice").setTo("bob").setOffset(2).setPeerOffset(0));
    receiver.sync(listed.setMessageId("m-hint").build());
    assertEquals(0, pulls(), "a hint's head may lag behind what was pulled: no conclusion");
    receiver.sync(listed.setMessageId(syncId).build());
    assertEquals(0, lastPull().getPeer().getOffset(), "pulled from the new beginning");
    receiver.message(pulled(1));
    receiver.message(pulled(2));
    pullDone(lastPull(), 200, 2);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 1L, 2L), delivered);
  }

  @Test
  void aPullAnsweredWithAHeadBelowWhereItStartedStartsTheStreamOver() {
    receiver.connected("bob");
    receiver.message(push(1));
    receiver.message(push(2));
    receiver.message(push(4)); // gap: pull from 2
    MessagePeerAckSignal request = lastPull();
    assertEquals(2, request.getPeer().getOffset());
    receiver.message(push(5)); // pushes may overtake the pull's closing signal: no conclusion
    pullDone(request, 200, 1); // but a head below 2 means the node forgot the stream
    assertEquals(0, lastPull().getPeer().getOffset());
    receiver.message(pulled(1));
    pullDone(lastPull(), 200, 1);
    assertEquals(List.of(1L, 2L, 1L), delivered);
  }

  @Test
  void aListedStreamWhoseHeadWasDeliveredIsCheckedAgainstTheMessageAtItsHead() {
    receiver.connected("bob");
    receiver.message(push(1));
    receiver.message(push(2));
    receiver.disconnected();
    written.clear();
    receiver.connected("bob");
    String syncId = written.get(written.size() - 1).getAck().getMessageId();
    MessagePeerAckSignal.Builder listed = MessagePeerAckSignal.newBuilder().setMessageId(syncId)
        .setMethod(AckMethod.SYNC_VALUE).setStatusCode(200).setPeer(Peer.newBuilder()
            .setFrom("alice").setTo("bob").setOffset(2).setPeerOffset(0));
    receiver.sync(listed.build()); // the DELIVERED of 2 was lost: 2 is listed again
    assertEquals(1, lastPull().getPeer().getOffset(), "the head is fetched again");
    receiver.message(pulled(2));
    pullDone(lastPull(), 200, 2);
    assertEquals(List.of(1L, 2L), delivered, "the same message: a repeat");

    receiver.disconnected();
    receiver.connected("bob");
    syncId = written.get(written.size() - 1).getAck().getMessageId();
    receiver.sync(listed.setMessageId(syncId).build()); // the node was restarted meanwhile
    Message new1 = Message.newBuilder().setMessageId("new-1").setTransmissionMode(1)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(1)).build();
    Message new2 = new1.toBuilder().setMessageId("new-2")
        .setPeer(new1.getPeer().toBuilder().setOffset(2)).build();
    receiver.message(new2);
    assertEquals(List.of(1L, 2L), delivered, "another message at 2: held, 1 comes first");
    pullDone(lastPull(), 200, 2);
    assertEquals(0, lastPull().getPeer().getOffset(), "pulled from the new beginning");
    receiver.message(new1);
    receiver.message(new2);
    pullDone(lastPull(), 200, 2);
    assertEquals(List.of(1L, 2L, 1L, 2L), delivered);
  }
}

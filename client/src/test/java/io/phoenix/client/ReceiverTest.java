package io.phoenix.client;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Receiver's edge cases that a healthy node rarely produces on demand: pushes lost by the
 * node, expired offsets skipped by a pull, more early messages than it holds, a stream it has
 * no memory of, a store that changed, history requests sharing a stream with the receiver.
 * Frames are fed by hand; what it writes is captured.
 */
class ReceiverTest {
  final Vertx vertx = Vertx.vertx();
  /** Synchronized: retries after a 503 are written by timers, on the Vert.x event loop. */
  final List<Frame> written = Collections.synchronizedList(new ArrayList<>());
  final List<Long> delivered = new ArrayList<>();
  final Receiver receiver = new Receiver(vertx, f -> written.add(f),
      m -> delivered.add(m.getPeer().getOffset()), Backoff.DEFAULT);

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

  private static Message big(String from, long offset, int mode) {
    return Message.newBuilder().setMessageId(from + offset).setTransmissionMode(mode)
        .setPayload(com.google.protobuf.ByteString.copyFrom(new byte[60_000]))
        .setPeer(Peer.newBuilder().setFrom(from).setTo("bob").setOffset(offset)).build();
  }

  @Test
  void earlyMessagesAreHeldUpToABoundInBytesOverAllStreamsAndTheRestIsPulled() {
    List<String> order = new ArrayList<>();
    Receiver r = new Receiver(vertx, f -> written.add(f),
        m -> order.add(m.getPeer().getFrom() + m.getPeer().getOffset()), Backoff.DEFAULT);
    r.connected("bob");
    List<String> senders = List.of("s1", "s2");
    long last = 200; // two streams of 199 early messages of 60 KB: 24 MB
    for (String from : senders) {
      r.message(big(from, 1, 2));
      for (long o = 3; o <= last; o++) {
        r.message(big(from, o, 2));
        assertTrue(r.heldBytes() <= Receiver.MAX_HELD_BYTES, "held " + r.heldBytes());
      }
    }
    assertTrue(r.heldBytes() > Receiver.MAX_HELD_BYTES - 100_000, "the bound was reached");
    // each stream's gap is pulled once; the node answers with everything from offset 2 on
    for (String from : senders) {
      MessagePeerAckSignal pull = written.stream().map(Frame::getAck)
          .filter(a -> a.getMethod() == AckMethod.PULL_REQUEST_VALUE
              && a.getPeer().getFrom().equals(from)).reduce((a, b) -> b).orElseThrow();
      assertEquals(1, pull.getPeer().getOffset());
      for (long o = 2; o <= last; o++) {
        r.message(big(from, o, 1));
      }
      r.pulled(MessagePeerAckSignal.newBuilder().setMethod(AckMethod.PULL_REQUEST_VALUE)
          .setMessageId(pull.getMessageId()).setStatusCode(200)
          .setPeer(Peer.newBuilder().setFrom(from).setTo("bob").setOffset(last)).build());
    }
    List<String> expected = new ArrayList<>();
    for (String from : senders) {
      expected.add(from + 1);
    }
    for (String from : senders) {
      for (long o = 2; o <= last; o++) {
        expected.add(from + o);
      }
    }
    assertEquals(expected, order, "every message once, in order per stream");
    assertEquals(0, r.heldBytes());
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
  void withoutEvidenceAnOffsetAlreadyDeliveredIsARepeatWhateverItsMessageId() {
    receiver.connected("bob");
    for (long o = 1; o <= 5; o++) {
      receiver.message(push(o));
    }
    receiver.message(Message.newBuilder().setMessageId("other-1").setTransmissionMode(2)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(1)).build());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered, "no guessing from message ids");
  }

  @Test
  void aNewStoreEpochForgetsEveryStreamHoweverLong() {
    receiver.connected("bob");
    for (long o = 1; o <= 5_000; o++) {
      receiver.message(push(o));
    }
    receiver.disconnected();
    receiver.storeChanged();
    receiver.connected("bob");
    delivered.clear();
    receiver.message(Message.newBuilder().setMessageId("new-1").setTransmissionMode(2)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(1)).build());
    receiver.message(push(2));
    assertEquals(List.of(1L, 2L), delivered, "the new store's stream, from its first offset");
  }

  @Test
  void anAcceptedOffsetAtOrBelowACopyAlreadySeenRestartsTheCopyStream() {
    receiver.connected("alice"); // copies of alice's messages to bob, sent from her laptop
    for (long o = 1; o <= 3; o++) {
      receiver.message(push(o));
    }
    receiver.accepted(MessagePeerAckSignal.newBuilder().setMethod(AckMethod.ACCEPTED_VALUE)
        .setStatusCode(208).setPeer(Peer.newBuilder().setFrom("alice").setTo("bob")
            .setOffset(2)).build());
    receiver.message(Message.newBuilder().setMessageId("new-2").setTransmissionMode(2)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(3)).build());
    assertEquals(List.of(1L, 2L, 3L), delivered, "208 is an old offset, not a new head");
    receiver.accepted(MessagePeerAckSignal.newBuilder().setMethod(AckMethod.ACCEPTED_VALUE)
        .setStatusCode(200).setPeer(Peer.newBuilder().setFrom("alice").setTo("bob")
            .setOffset(1)).build());
    receiver.message(Message.newBuilder().setMessageId("new-2").setTransmissionMode(2)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(2)).build());
    assertEquals(List.of(1L, 2L, 3L, 2L), delivered, "200 at 1: the stream started over");
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
  void aListedStreamWhoseHeadWasDeliveredIsNotPulledAgain() {
    receiver.connected("bob");
    receiver.message(push(1));
    receiver.message(push(2));
    receiver.disconnected();
    written.clear();
    receiver.connected("bob");
    String syncId = written.get(written.size() - 1).getAck().getMessageId();
    receiver.sync(MessagePeerAckSignal.newBuilder().setMessageId(syncId)
        .setMethod(AckMethod.SYNC_VALUE).setStatusCode(200).setPeer(Peer.newBuilder()
            .setFrom("alice").setTo("bob").setOffset(2).setPeerOffset(0)).build());
    assertEquals(0, pulls(), "the DELIVERED of 2 was lost, nothing is missing");
    receiver.message(push(3));
    assertEquals(List.of(1L, 2L, 3L), delivered);
  }

  @Test
  void historyProbesTheHeadThenPullsTheLastMessagesWithoutDeliveringThem() {
    receiver.connected("bob");
    Promise<List<Message>> result = Promise.promise();
    receiver.history("alice", "bob", 3, result);
    MessagePeerAckSignal probe = lastPull();
    assertEquals(HistoryPulls.HEAD_PROBE, probe.getPeer().getOffset());
    pullDone(probe, 200, 10);
    MessagePeerAckSignal fetch = lastPull();
    assertEquals(7, fetch.getPeer().getOffset(), "the last 3 of 10");
    receiver.message(pulled(8));
    receiver.message(pulled(9));
    pullDone(fetch, 206, 10);
    assertEquals(9, lastPull().getPeer().getOffset(), "206: on after the last received");
    receiver.message(pulled(10));
    receiver.message(pulled(11)); // arrived since the probe
    pullDone(lastPull(), 200, 11);
    assertEquals(List.of(9L, 10L, 11L), result.future().result().stream()
        .map(m -> m.getPeer().getOffset()).toList());
    assertEquals(List.of(), delivered, "history is not delivered to the listener");
  }

  @Test
  void historyAndTheReceiverNeverPullOneStreamAtOnce() {
    receiver.connected("bob");
    receiver.message(push(1));
    receiver.message(push(3)); // gap: the receiver pulls from 1
    MessagePeerAckSignal gap = lastPull();
    Promise<List<Message>> result = Promise.promise();
    receiver.history("alice", "bob", 2, result);
    assertEquals(1, pulls(), "history waits for the receiver's pull");
    receiver.message(pulled(2));
    receiver.message(pulled(3));
    pullDone(gap, 200, 3);
    assertEquals(List.of(1L, 2L, 3L), delivered);
    MessagePeerAckSignal probe = lastPull();
    assertEquals(HistoryPulls.HEAD_PROBE, probe.getPeer().getOffset());
    receiver.message(push(5)); // another gap, while history holds the stream
    assertEquals(2, pulls(), "the receiver waits for history");
    pullDone(probe, 200, 5);
    MessagePeerAckSignal fetch = lastPull();
    assertEquals(3, fetch.getPeer().getOffset());
    receiver.message(pulled(4));
    receiver.message(pulled(5));
    pullDone(fetch, 200, 5);
    assertEquals(List.of(4L, 5L), result.future().result().stream()
        .map(m -> m.getPeer().getOffset()).toList());
    assertEquals(List.of(1L, 2L, 3L), delivered, "the history's messages were not delivered");
    assertEquals(3, lastPull().getPeer().getOffset(), "then the receiver fills its gap");
    receiver.message(pulled(4));
    receiver.message(pulled(5));
    pullDone(lastPull(), 200, 5);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered);
  }

  @Test
  void anErrorThrownByTheListenerIsLoggedAndTheHeldMessagesStillFollow() {
    List<Long> heard = new ArrayList<>();
    Receiver r = new Receiver(vertx, f -> written.add(f), m -> {
      heard.add(m.getPeer().getOffset());
      if (m.getPeer().getOffset() == 1) {
        throw new AssertionError("a listener's bug");
      }
      throw new StackOverflowError();
    }, Backoff.DEFAULT);
    r.connected("bob");
    r.message(push(2));
    r.message(push(3)); // both held: 1 is missing, and pulled
    assertDoesNotThrow(() -> r.message(pulled(1)));
    assertEquals(List.of(1L, 2L, 3L), heard, "each delivered once, in order, despite the errors");
    r.message(push(4));
    assertEquals(List.of(1L, 2L, 3L, 4L), heard);
  }

  @Test
  void anOutOfMemoryErrorInTheListenerIsNotSwallowed() {
    Receiver r = new Receiver(vertx, f -> written.add(f), m -> {
      throw new OutOfMemoryError("the JVM's, not the listener's");
    }, Backoff.DEFAULT);
    r.connected("bob");
    assertThrows(OutOfMemoryError.class, () -> r.message(push(1)));
  }

  private long written(int method) {
    synchronized (written) {
      return written.stream().filter(f -> f.getAck().getMethod() == method).count();
    }
  }

  /**
   * Answers {@code refusal} and returns how long the request took to be written again (as
   * request number {@code nth} of its method): never sooner than the backoff's delay.
   */
  private long againAfterMillis(Runnable refusal, int method, long nth) {
    long start = System.nanoTime();
    refusal.run();
    long deadline = start + TimeUnit.SECONDS.toNanos(20);
    while (written(method) < nth) {
      assertTrue(System.nanoTime() < deadline, "not sent again: " + written);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  private static MessagePeerAckSignal syncAnswer(int status) {
    return MessagePeerAckSignal.newBuilder().setMethod(AckMethod.SYNC_VALUE).setStatusCode(status)
        .build();
  }

  /**
   * A SYNC, a pull and a history step answered 503 (the node's cluster or store unavailable) are
   * sent again after the client's backoff delay, longer at each 503 in a row, and the count
   * starts over once one is answered: clients with many streams do not pull each of them every
   * second through an outage.
   */
  @Test
  void requestsAnswered503AreSentAgainAfterALongerDelayEachTime() {
    Backoff backoff = new Backoff(Duration.ofMillis(600), Duration.ofSeconds(5), false);
    Receiver r = new Receiver(vertx, f -> written.add(f), m -> { }, backoff);
    r.connected("bob");
    assertEquals(1, written(AckMethod.SYNC_VALUE));
    assertTrue(againAfterMillis(() -> r.sync(syncAnswer(503)), AckMethod.SYNC_VALUE, 2) >= 600);
    assertTrue(againAfterMillis(() -> r.sync(syncAnswer(503)), AckMethod.SYNC_VALUE, 3) >= 1200);
    assertEquals(2, r.syncRefusals());
    r.sync(syncAnswer(200)); // the end of a listing
    assertEquals(0, r.syncRefusals());

    r.message(push(2)); // 1 is missing: pulled
    int pull = AckMethod.PULL_REQUEST_VALUE;
    assertEquals(1, written(pull));
    MessagePeerAckSignal first = lastPull();
    Runnable refuse = () -> r.pulled(MessagePeerAckSignal.newBuilder().setMethod(pull)
        .setMessageId(lastPull().getMessageId()).setStatusCode(503)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob")).build());
    assertTrue(againAfterMillis(refuse, pull, 2) >= 600);
    assertTrue(againAfterMillis(refuse, pull, 3) >= 1200);
    assertEquals(first.getPeer().getOffset(), lastPull().getPeer().getOffset(), "the same gap");
    r.message(pulled(1));
    r.pulled(MessagePeerAckSignal.newBuilder().setMethod(pull)
        .setMessageId(lastPull().getMessageId()).setStatusCode(200)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(2)).build());
    assertEquals(0, r.pullRefusals("alice", "bob"));

    Promise<List<Message>> history = Promise.promise();
    r.history("carol", "bob", 2, history);
    assertEquals(4, written(pull), "the history's head probe");
    Runnable refuseStep = () -> r.pulled(MessagePeerAckSignal.newBuilder().setMethod(pull)
        .setMessageId(lastPull().getMessageId()).setStatusCode(503)
        .setPeer(Peer.newBuilder().setFrom("carol").setTo("bob")).build());
    assertTrue(againAfterMillis(refuseStep, pull, 5) >= 600);
    assertTrue(againAfterMillis(refuseStep, pull, 6) >= 1200);
    assertEquals(HistoryPulls.HEAD_PROBE, lastPull().getPeer().getOffset(), "the same step");
    r.pulled(MessagePeerAckSignal.newBuilder().setMethod(pull)
        .setMessageId(lastPull().getMessageId()).setStatusCode(200)
        .setPeer(Peer.newBuilder().setFrom("carol").setTo("bob").setOffset(0)).build());
    assertEquals(List.of(), history.future().result(), "an empty stream");
  }
}

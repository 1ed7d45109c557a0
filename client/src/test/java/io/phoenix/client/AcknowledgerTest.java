package io.phoenix.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
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
 * A DELIVERED or READ the node answers 503 is sent again after the client's backoff delay,
 * longer at each 503 of one outage. Frames are fed by hand; what it writes is captured.
 */
class AcknowledgerTest {
  final Vertx vertx = Vertx.vertx();
  /** Synchronized: the retries are written by timers, on the Vert.x event loop. */
  final List<Frame> written = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static MessagePeerAckSignal refusal(long offset) {
    return MessagePeerAckSignal.newBuilder().setMethod(AckMethod.DELIVERED_VALUE)
        .setMessageId("m" + offset).setStatusCode(503)
        .setPeer(Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(offset)).build();
  }

  /** Answers with {@code refusal}; how long until frame number {@code nth} is written. */
  private long againAfterMillis(Acknowledger acks, MessagePeerAckSignal refusal, int nth) {
    long start = System.nanoTime();
    acks.unavailable(refusal);
    long deadline = start + TimeUnit.SECONDS.toNanos(20);
    while (written.size() < nth) {
      assertTrue(System.nanoTime() < deadline, "not sent again: " + written);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @Test
  void anAcknowledgementAnswered503IsSentAgainLaterEachTime() {
    Acknowledger acks = new Acknowledger(vertx, written::add,
        new Backoff(Duration.ofMillis(600), Duration.ofSeconds(5), false));
    acks.connected("bob");
    assertTrue(againAfterMillis(acks, refusal(3), 1) >= 600);
    assertTrue(againAfterMillis(acks, refusal(3), 2) >= 1200);
    MessagePeerAckSignal again = written.get(1).getAck();
    assertEquals(AckMethod.DELIVERED_VALUE, again.getMethod());
    assertEquals(3, again.getPeer().getOffset());
    assertEquals("alice", again.getTo().getEid(), "to the stream's sender");
  }
}

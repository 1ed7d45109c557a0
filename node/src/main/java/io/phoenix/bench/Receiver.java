package io.phoenix.bench;

import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import java.nio.ByteBuffer;

/**
 * The receiving half of a bench pair: takes the messages of its sender's stream and times them
 * end to end (from the intended send time written in the payload to their arrival here). PUSH:
 * the node pushes every message. PULL: the node sends SYNC hints; the receiver keeps one
 * PULL_REQUEST in flight, from the last offset it has, while a hint names a higher head. Like a
 * client, it acknowledges DELIVERED (cumulatively) every {@code ackEvery} messages.
 *
 * <p>Confined to its connection's event loop.
 */
final class Receiver implements BenchConnection.Listener {
  private final BenchConnection connection;
  private final String self;
  private final String from;
  private final LoadStats stats;
  private final LoadRun.Times times;
  private final int ackEvery;
  private long have;
  private long acked;
  private long head;
  private boolean pulling;
  private long pulls;
  private boolean stopped;

  Receiver(BenchConnection connection, String self, String from, LoadStats stats,
      LoadRun.Times times, int ackEvery) {
    this.connection = connection;
    this.ackEvery = ackEvery;
    this.self = self;
    this.from = from;
    this.stats = stats;
    this.times = times;
  }

  @Override
  public void onFrame(BenchConnection c, Frame frame) {
    switch (frame.getBodyCase()) {
      case MESSAGE -> message(frame.getMessage());
      case ACK -> signal(frame.getAck());
      case GOODBYE -> {
        stats.error("goodbye " + frame.getGoodbye().getStatusCode());
        stopped = true;
      }
      default -> { }
    }
  }

  private void message(Message m) {
    long now = System.nanoTime();
    ByteBuffer payload = m.getPayload().asReadOnlyByteBuffer();
    long intended = payload.getLong(0);
    boolean inWindow = times.inWindow(intended);
    stats.deliveredAll.increment();
    if (inWindow) {
      stats.delivered.increment();
    }
    stats.endToEnd.record(now - intended, inWindow);
    have = Math.max(have, m.getPeer().getOffset());
    if (ackEvery > 0 && have - acked >= ackEvery && !stopped) {
      acked = have;
      connection.write(FrameCodec.encode(Frame.newBuilder().setAck(MessagePeerAckSignal
          .newBuilder()
          .setMessageId(m.getMessageId())
          .setMethod(AckMethod.DELIVERED_VALUE)
          .setPeer(Peer.newBuilder().setFrom(from).setTo(self).setOffset(have))).build()));
    }
  }

  private void signal(MessagePeerAckSignal ack) {
    if (ack.getMethod() == AckMethod.SYNC_VALUE && ack.getStatusCode() == 200) {
      head = Math.max(head, ack.getPeer().getOffset());
      pull();
    } else if (ack.getMethod() == AckMethod.PULL_REQUEST_VALUE) {
      pulling = false;
      if (ack.getStatusCode() == 200 || ack.getStatusCode() == 206) {
        head = Math.max(head, ack.getPeer().getOffset());
        pull();
      } else {
        stats.error("pull " + ack.getStatusCode());
      }
    }
  }

  /** Asks for the messages above the last one received, unless a pull is under way. */
  private void pull() {
    if (pulling || stopped || head <= have) {
      return;
    }
    pulling = true;
    connection.write(FrameCodec.encode(Frame.newBuilder().setAck(MessagePeerAckSignal
        .newBuilder()
        .setMessageId("pull-" + pulls++)
        .setMethod(AckMethod.PULL_REQUEST_VALUE)
        .setPeer(Peer.newBuilder().setFrom(from).setTo(self).setOffset(have))).build()));
  }

  @Override
  public void onClosed(BenchConnection c) {
    if (!stopped) {
      stats.error("receiver connection closed");
    }
    stopped = true;
  }

  void stop() {
    stopped = true;
  }
}

package io.phoenix.testing;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A conversation run flat out for durability tests: one sender keeps {@code window} messages
 * unanswered at all times (random bytes, unique ids); one recipient acknowledges DELIVERED for
 * every push and READ for every tenth. Everything the node answered is recorded: each message
 * ACCEPTED (200 or 208) with its offset and bytes, each offset pushed, the last DELIVERED and
 * READ forwarded to the sender. It runs until the connections die (the node was killed) or
 * {@link #stop()}.
 *
 * <p>Thread-safe: two threads of its own; read the records once it has stopped.
 */
public final class Traffic {
  public final Map<String, Long> accepted = new ConcurrentHashMap<>();
  public final Map<String, byte[]> payloads = new ConcurrentHashMap<>();
  public final Map<Long, String> pushed = new ConcurrentHashMap<>();
  public final AtomicLong lastDelivered = new AtomicLong();
  public final AtomicLong lastRead = new AtomicLong();
  private final TestClient sender;
  private final TestClient recipient;
  private final String from;
  private final String to;
  private final Semaphore window;
  private final Thread sending;
  private final Thread receiving;
  private final Thread answers;
  private volatile boolean stopped;

  public Traffic(TestClient sender, TestClient recipient, int window) {
    this.sender = sender;
    this.recipient = recipient;
    this.from = sender.identity().getEid();
    this.to = recipient.identity().getEid();
    this.window = new Semaphore(window);
    sending = new Thread(this::send, "traffic-send");
    answers = new Thread(this::readAnswers, "traffic-answers");
    receiving = new Thread(this::receive, "traffic-receive");
    for (Thread t : new Thread[] {sending, answers, receiving}) {
      t.setDaemon(true);
      t.start();
    }
  }

  private void send() {
    java.util.Random random = new java.util.Random();
    for (long i = 1; !stopped && !sender.isClosed(); i++) {
      try {
        if (!window.tryAcquire(1, TimeUnit.SECONDS)) {
          continue;
        }
      } catch (InterruptedException e) {
        return;
      }
      byte[] body = new byte[100];
      random.nextBytes(body);
      String id = "m" + i;
      payloads.put(id, body);
      sender.send(Message.newBuilder().setMessageId(id)
          .setTo(io.phoenix.protocol.v1.Identity.newBuilder().setEid(to))
          .setType(1).setTransmissionMode(2)
          .setPayload(com.google.protobuf.ByteString.copyFrom(body)).build());
    }
  }

  private void readAnswers() {
    while (!stopped && !sender.isClosed()) {
      Frame f = sender.poll(Duration.ofMillis(200));
      if (f == null || f.getBodyCase() != Frame.BodyCase.ACK) {
        continue;
      }
      MessagePeerAckSignal a = f.getAck();
      switch (a.getMethod()) {
        case AckMethod.ACCEPTED_VALUE -> {
          if (a.getStatusCode() == 200 || a.getStatusCode() == 208) {
            accepted.put(a.getMessageId(), a.getPeer().getOffset());
          }
          window.release();
        }
        case AckMethod.DELIVERED_VALUE -> lastDelivered.accumulateAndGet(a.getPeer().getOffset(),
            Math::max);
        case AckMethod.READ_VALUE -> lastRead.accumulateAndGet(a.getPeer().getOffset(), Math::max);
        default -> { }
      }
    }
  }

  private void receive() {
    while (!stopped && !recipient.isClosed()) {
      Frame f = recipient.poll(Duration.ofMillis(200));
      if (f == null || f.getBodyCase() != Frame.BodyCase.MESSAGE) {
        continue;
      }
      Message m = f.getMessage();
      long offset = m.getPeer().getOffset();
      pushed.put(offset, m.getMessageId());
      recipient.send(TestClient.ack(AckMethod.DELIVERED, m.getMessageId(), from, to, offset)
          .build());
      if (offset % 10 == 0) {
        recipient.send(TestClient.ack(AckMethod.READ, m.getMessageId(), from, to, offset)
            .build());
      }
    }
  }

  /** Stops sending and reading (the connections stay as they are). */
  public void stop() throws InterruptedException {
    stopped = true;
    for (Thread t : new Thread[] {sending, answers, receiving}) {
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
  }
}

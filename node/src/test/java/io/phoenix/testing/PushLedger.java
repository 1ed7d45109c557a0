package io.phoenix.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Counts, on one test client, every frame of the kinds a test follows, per stream and in
 * arrival order, and fails at the first one that breaks the rules of PROTOCOL.md §5–6: pushed
 * messages (and copies) arrive at offsets 1, 2, 3, … with no gap, forwarded acks move forward,
 * ACCEPTED answers come in the order the messages were sent. A SYNC hint — the node's way of
 * saying a push could not be passed on in order — fails the check too: a ledger is for runs in
 * which nothing may be lost or reordered, so the client never pulls or syncs. Where a real gap
 * may occur, {@link #allowHints()} checks the weaker promise instead: pushes at increasing
 * offsets, and every offset either pushed or named by a hint (which a client pulls).
 *
 * <p>Used from one test thread per client.
 */
public final class PushLedger {
  private final TestClient client;
  private final String who;
  private final Map<String, Long> lastMessage = new HashMap<>();
  private final Map<String, Long> lastAck = new HashMap<>();
  private final Map<String, java.util.TreeSet<Long>> covered = new HashMap<>();
  private long accepted;
  private long messages;
  private long acks;
  private long hints;
  private boolean hintsAllowed;

  public PushLedger(TestClient client, String who) {
    this.client = client;
    this.who = who;
  }

  /**
   * Accepts SYNC hints: offsets a hint names (up to its head) count as reachable by a pull; the
   * pushes must still come at increasing offsets.
   */
  public PushLedger allowHints() {
    hintsAllowed = true;
    return this;
  }

  /**
   * Reads frames until {@code done} says so, checking each; {@code onMessage} sees every pushed
   * message once it passed the check (e.g. to acknowledge it). Each frame must come within
   * {@code quiet}.
   */
  public void readUntil(java.util.function.BooleanSupplier done, Duration quiet,
      Consumer<Message> onMessage) {
    while (!done.getAsBoolean()) {
      Frame f = client.next(quiet);
      switch (f.getBodyCase()) {
        case MESSAGE -> {
          Message m = f.getMessage();
          String stream = m.getPeer().getFrom() + "->" + m.getPeer().getTo();
          long expected = lastMessage.getOrDefault(stream, 0L) + 1;
          long offset = m.getPeer().getOffset();
          if (offset != expected && !(hintsAllowed && offset > expected
              && hintedUpTo(stream) >= offset - 1)) {
            fail(who + ": on " + stream + " expected offset " + expected + " next, got "
                + offset + " (" + messages + " pushes so far)");
          }
          lastMessage.put(stream, offset);
          messages++;
          onMessage.accept(m);
        }
        case ACK -> ack(f.getAck());
        case PONG -> { }
        default -> fail(who + ": unexpected " + f);
      }
    }
  }

  private void ack(MessagePeerAckSignal a) {
    switch (a.getMethod()) {
      case AckMethod.ACCEPTED_VALUE -> {
        assertEquals(200, a.getStatusCode(), () -> who + ": " + a);
        String stream = a.getPeer().getFrom() + "->" + a.getPeer().getTo();
        accepted++;
        assertEquals(accepted, a.getPeer().getOffset(), () -> who + ": ACCEPTED out of order on "
            + stream + ": " + a);
        assertEquals("m" + accepted, a.getMessageId(), () -> who + ": ACCEPTED out of order");
      }
      case AckMethod.DELIVERED_VALUE, AckMethod.READ_VALUE -> {
        assertEquals(200, a.getStatusCode(), () -> who + ": " + a);
        String key = a.getMethod() + ":" + a.getPeer().getFrom() + "->" + a.getPeer().getTo();
        long last = lastAck.getOrDefault(key, 0L);
        if (a.getPeer().getOffset() <= last) {
          fail(who + ": forwarded " + AckMethod.forNumber(a.getMethod()) + " went back from "
              + last + " to " + a.getPeer().getOffset());
        }
        lastAck.put(key, a.getPeer().getOffset());
        acks++;
      }
      case AckMethod.SYNC_VALUE -> {
        if (!hintsAllowed) {
          fail(who + ": got a SYNC hint (a push could not be passed on in order): " + a);
        }
        String stream = a.getPeer().getFrom() + "->" + a.getPeer().getTo();
        covered.computeIfAbsent(stream, k -> new java.util.TreeSet<>()).add(
            a.getPeer().getOffset());
        hints++;
      }
      default -> fail(who + ": unexpected ack " + a);
    }
  }

  private long hintedUpTo(String stream) {
    java.util.TreeSet<Long> heads = covered.get(stream);
    return heads == null || heads.isEmpty() ? 0 : heads.last();
  }

  /** SYNC hints seen (with {@link #allowHints()}). */
  public long hints() {
    return hints;
  }

  /** ACCEPTED answers seen (each 200, in sending order). */
  public long accepted() {
    return accepted;
  }

  /** Pushed messages seen, every stream together. */
  public long messages() {
    return messages;
  }

  /** The last offset pushed on {@code from -> to}. */
  public long lastMessage(String from, String to) {
    return lastMessage.getOrDefault(from + "->" + to, 0L);
  }

  /** The last offset of forwarded DELIVERED on {@code from -> to}. */
  public long lastDelivered(String from, String to) {
    return lastAck.getOrDefault(AckMethod.DELIVERED_VALUE + ":" + from + "->" + to, 0L);
  }

  /** Forwarded acks seen. */
  public long acks() {
    return acks;
  }
}

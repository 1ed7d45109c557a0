package io.phoenix.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * What a test client's listeners heard, queued for the test thread to take with timeouts.
 * Also builds clients wired to it (the node module's tests extend it for their test nodes).
 */
class Recorder {
  static final Duration TIMEOUT = Duration.ofSeconds(15);

  final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
  final BlockingQueue<MessagePeerAckSignal> acks = new LinkedBlockingQueue<>();
  final BlockingQueue<StateChange> states = new LinkedBlockingQueue<>();

  /** A builder with {@code token} for {@code endpoints} (tried in turn), wired to this. */
  ClientBuilder builder(Vertx vertx, String token, String... endpoints) {
    ClientBuilder b = PhoenixClient.builder(vertx)
        .token(token)
        .onMessage(messages::add)
        .onAck(acks::add)
        .onStateChange(states::add);
    for (String e : endpoints) {
      b.endpoints(e);
    }
    return b;
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not succeed: " + e, e);
    }
  }

  /** The failure of {@code f}, which must fail within the timeout. */
  static Throwable failure(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("future did not fail: " + e, e);
    }
    throw new AssertionError("future succeeded: " + f.result());
  }

  Message nextMessage() {
    return take(messages, "message");
  }

  /** The next message, which must have this payload text and offset. */
  Message nextMessage(String text, long offset) {
    Message m = nextMessage();
    assertEquals(text, m.getPayload().toStringUtf8(), "payload");
    assertEquals(offset, m.getPeer().getOffset(), () -> "offset of " + text);
    return m;
  }

  MessagePeerAckSignal nextAck() {
    return take(acks, "ack signal");
  }

  /** Skips state changes until one matches. */
  StateChange nextState(Predicate<StateChange> p) {
    while (true) {
      StateChange s = take(states, "state change");
      if (p.test(s)) {
        return s;
      }
    }
  }

  StateChange nextState(ConnectionState state) {
    return nextState(s -> s.state() == state);
  }

  static <T> T take(BlockingQueue<T> q, String what) {
    try {
      T t = q.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (t == null) {
        fail("no " + what + " within " + TIMEOUT);
      }
      return t;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}

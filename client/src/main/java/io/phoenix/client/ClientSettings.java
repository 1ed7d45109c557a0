package io.phoenix.client;

import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.TrustOptions;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a {@link PhoenixClient} is built with (see {@link ClientBuilder} for the meaning
 * and defaults of each).
 *
 * <p>Immutable; the listeners are called on the client's context, and one that throws is
 * logged, never allowed to break the client.
 */
record ClientSettings(
    Vertx vertx,
    List<Endpoint> endpoints,
    Supplier<Future<String>> tokens,
    String resourceId,
    Backoff backoff,
    long helloTimeoutMs,
    int maxSendAttempts,
    int maxPendingSends,
    long maxPendingBytes,
    Consumer<Message> messageListener,
    Consumer<MessagePeerAckSignal> ackListener,
    Consumer<StateChange> stateListener,
    TrustOptions trust,
    DeviceKey signingKey) {

  private static final Logger log = LoggerFactory.getLogger(PhoenixClient.class);

  ClientSettings {
    endpoints = List.copyOf(endpoints);
  }

  void notifyAck(MessagePeerAckSignal signal) {
    try {
      ackListener.accept(signal);
    } catch (RuntimeException e) {
      log.warn("ack listener failed", e);
    }
  }

  void notifyState(StateChange change) {
    try {
      stateListener.accept(change);
    } catch (RuntimeException e) {
      log.warn("state listener failed", e);
    }
  }
}

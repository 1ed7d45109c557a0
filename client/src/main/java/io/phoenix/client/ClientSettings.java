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
 * <p>Immutable; the listeners are called on the client's context, and one that throws
 * (anything, Errors included, see {@link #rethrowIfFatal}) is logged, never allowed to break
 * the client.
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
    } catch (Throwable e) {
      rethrowIfFatal(e);
      log.warn("ack listener failed", e);
    }
  }

  void notifyState(StateChange change) {
    try {
      stateListener.accept(change);
    } catch (Throwable e) {
      rethrowIfFatal(e);
      log.warn("state listener failed", e);
    }
  }

  /**
   * Rethrows what the application's code (a listener, the token supplier) threw when it says
   * the JVM itself is failing: a {@link VirtualMachineError} such as OutOfMemoryError or
   * InternalError, which logging and going on would hide. Anything else, an Error such as
   * AssertionError or NoClassDefFoundError included, is a fault of that code alone, and the
   * caller logs it and goes on: thrown out of the client's context it would cut short what the
   * client was doing (the rest of a TCP read, a reconnect, the held messages of a stream).
   * StackOverflowError is a VirtualMachineError too, but it is taken as the code's own: by the
   * time it reaches the client, the stack has unwound and the client's state is intact.
   */
  static void rethrowIfFatal(Throwable t) {
    if (t instanceof VirtualMachineError e && !(t instanceof StackOverflowError)) {
      throw e;
    }
  }
}

package io.phoenix.client;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.MessageType;
import io.phoenix.protocol.v1.TransmissionMode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Phoenix client: one logical session with a cluster that survives lost connections, node
 * restarts and fail-overs. See {@code docs/client.md}.
 *
 * <ul>
 *   <li>{@link #connect()} says Hello to the first endpoint and keeps a heartbeat. When the
 *       connection is lost (closed, Goodbye, missed Pong) it reconnects to the next endpoint
 *       after an exponential backoff with full jitter, with a fresh token from the token
 *       supplier and the same connection_resource_id. Goodbye 401 to its Hello (bad token)
 *       and 409 (a newer session with the same resource took over) stop it: state FAILED. A
 *       session the node ends with 401 "token expired" is reconnected with a fresh token.</li>
 *   <li>{@link #send} completes with the ACCEPTED signal (status 200, or 208 for a message the
 *       node had stored before); a send whose answer is lost is sent again with the same
 *       message_id after reconnecting, so it is stored once (see {@link Outbox}).</li>
 *   <li>Incoming messages reach the message listener exactly once and, per stream, in offset
 *       order; gaps are pulled, and after each reconnect SYNC and PULL_REQUEST recover what was
 *       missed (see {@link Receiver}). A Welcome naming a new store epoch resets every stream
 *       position; {@link #history} fetches a stream's last messages.</li>
 * </ul>
 *
 * <p>Threading: all state lives on one Vert.x context, taken when the client is built (the
 * caller's, or a new event-loop context). Public methods may be called from any thread; they
 * hand their work to that context. Listeners and the returned futures' callbacks run on it, so
 * they must not block.
 */
public final class PhoenixClient {
  private static final Logger log = LoggerFactory.getLogger(PhoenixClient.class);

  private final ClientSettings settings;
  private final Context context;
  private final Connector connector;
  private final Outbox outbox;
  private final Receiver receiver;
  private final Acknowledger acks;
  private final Reconnector reconnector;
  private Predicate<Frame> swallow = f -> false;
  private boolean dropAfterSwallow;

  PhoenixClient(ClientSettings settings) {
    this.settings = settings;
    Vertx vertx = settings.vertx();
    this.context = vertx.getOrCreateContext();
    this.connector = new Connector(vertx, settings.trust());
    this.receiver = new Receiver(vertx, this::write, settings.messageListener(),
        settings.backoff());
    this.acks = new Acknowledger(vertx, this::write, settings.backoff());
    this.reconnector = new Reconnector(settings, context, connector, new Reconnector.Listener() {
      @Override
      public void connected(Identity identity, boolean epochChanged) {
        if (epochChanged) {
          acks.storeChanged();
          receiver.storeChanged();
        }
        outbox.connected();
        acks.connected(identity.getEid());
        receiver.connected(identity.getEid());
      }

      @Override
      public void received(Frame frame) {
        dispatch(frame);
      }

      @Override
      public void disconnected() {
        outbox.disconnected();
        receiver.disconnected();
      }

      @Override
      public void stopped(String reason) {
        outbox.failAll(reason);
        receiver.failHistory(reason);
        acks.stopped();
      }
    });
    this.outbox = new Outbox(vertx, this::write, settings.backoff(), settings.maxSendAttempts(),
        settings.maxPendingSends(), settings.maxPendingBytes(), reconnector::maxFrameBytes, this::sign);
  }

  /** Starts building a client that runs on {@code vertx}. */
  public static ClientBuilder builder(Vertx vertx) {
    return new ClientBuilder(vertx);
  }

  /**
   * Connects, and keeps reconnecting until {@link #close()} or a FAILED state. The future
   * completes with the session's identity at the first Welcome, and fails on FAILED or close.
   */
  public Future<Identity> connect() {
    Promise<Identity> promise = Promise.promise();
    onContext(() -> reconnector.start().onComplete(promise));
    return promise.future();
  }

  /**
   * Sends a SENDER (chat) message with a UTF-8 text payload to {@code to}.
   *
   * @throws NullPointerException when an argument is null (named in the message)
   */
  public Future<MessagePeerAckSignal> send(String to, String text) {
    return send(to, ByteString.copyFromUtf8(Objects.requireNonNull(text, "text")));
  }

  /**
   * Sends a SENDER (chat) message with an opaque payload to {@code to}.
   *
   * @throws NullPointerException when an argument is null (named in the message)
   */
  public Future<MessagePeerAckSignal> send(String to, ByteString payload) {
    return send(Message.newBuilder()
        .setTo(Identity.newBuilder().setEid(Objects.requireNonNull(to, "to")))
        .setPayload(Objects.requireNonNull(payload, "payload")));
  }

  /**
   * Sends a message. Fills in what is left empty: message_id (a random UUID), timestamp (now),
   * type (SENDER), transmission_mode (PUSH). The future completes with the ACCEPTED signal
   * (status 200 or 208; its {@code peer.offset} is the message's offset) or fails with a
   * {@link SendException}.
   *
   * @throws NullPointerException when {@code message} is null
   */
  public Future<MessagePeerAckSignal> send(Message.Builder message) {
    Objects.requireNonNull(message, "message");
    if (message.getMessageId().isEmpty()) {
      message.setMessageId(UUID.randomUUID().toString());
    }
    if (message.getTimestamp() == 0) {
      message.setTimestamp(System.currentTimeMillis());
    }
    if (message.getType() == 0) {
      message.setType(MessageType.SENDER_VALUE);
    }
    if (message.getTransmissionMode() == 0) {
      message.setTransmissionMode(TransmissionMode.PUSH_VALUE);
    }
    Message m = message.build();
    Promise<MessagePeerAckSignal> promise = Promise.promise();
    onContext(() -> {
      if (reconnector.stopped()) {
        promise.fail(new SendException(0, "client is " + reconnector.state()));
      } else {
        outbox.submit(m, promise);
      }
    });
    return promise.future();
  }

  /**
   * The last {@code count} stored messages of the stream S(from→to), oldest first, fetched with
   * PULL_REQUEST (the client must be {@code from} or {@code to}: the user's own messages to
   * someone, or someone's to the user). They go to the returned future only, not to the
   * message listener, and are not acknowledged. Waits for a connection; a request cut off by
   * a lost connection goes on after the next Welcome. Fails with a {@link SendException} when
   * the node refuses (403: not the user's stream), the client is closed or failed, or 1,000
   * requests are already waiting (status 0).
   *
   * @throws NullPointerException when {@code from} or {@code to} is null (checked here: on the
   *     client's context it would leave a request that breaks every later reconnect)
   */
  public Future<List<Message>> history(String from, String to, int count) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Promise<List<Message>> promise = Promise.promise();
    onContext(() -> {
      if (reconnector.stopped()) {
        promise.fail(new SendException(0, "client is " + reconnector.state()));
      } else {
        receiver.history(from, to, count, promise);
      }
    });
    return promise.future();
  }

  /**
   * Tells the sender that {@code received} (and all before it in its stream) was delivered.
   * Ignored for DEVICE messages and for messages the user is not the recipient of (copies of
   * its own messages sent from its other devices): only a stream's recipient acknowledges it.
   * Kept while disconnected and sent after the next Welcome; sent again a second later when
   * the node answers 503 (it cannot record it for the moment).
   */
  public void delivered(Message received) {
    Objects.requireNonNull(received, "received");
    onContext(() -> acks.acknowledge(received, AckMethod.DELIVERED));
  }

  /**
   * Tells the sender that {@code received} (and all before it in its stream) was read; ignored
   * like {@link #delivered}.
   */
  public void read(Message received) {
    Objects.requireNonNull(received, "received");
    onContext(() -> acks.acknowledge(received, AckMethod.READ));
  }

  /** The current state (a snapshot; changes are reported to the state listener). */
  public ConnectionState state() {
    return reconnector.state();
  }

  /** The store epoch named by the last Welcome (PROTOCOL.md §9), or null before it. */
  public String epoch() {
    return reconnector.epoch();
  }

  /** The identity of the current or last session, or null before the first Welcome. */
  public Identity identity() {
    return reconnector.identity();
  }

  /** The connection_resource_id this client uses on every connection. */
  public String resourceId() {
    return settings.resourceId();
  }

  /** Closes the connection, stops reconnecting and fails the sends still waiting. */
  public Future<Void> close() {
    Promise<Void> promise = Promise.promise();
    onContext(() -> {
      reconnector.close();
      connector.close().onComplete(promise);
    });
    return promise.future();
  }

  /**
   * For tests: frames matching {@code swallow} are dropped on arrival, as if the node had never
   * sent them; with {@code thenDrop} the connection is also closed at once, as if it had died
   * just before they came.
   */
  void interceptInbound(Predicate<Frame> swallow, boolean thenDrop) {
    onContext(() -> {
      this.swallow = swallow;
      this.dropAfterSwallow = thenDrop;
    });
  }

  /** For tests: closes the current connection without warning; the client reconnects. */
  void dropConnection() {
    onContext(reconnector::drop);
  }

  private void dispatch(Frame frame) {
    if (swallow.test(frame)) {
      if (dropAfterSwallow) {
        reconnector.drop();
      }
      return;
    }
    if (frame.getBodyCase() == Frame.BodyCase.MESSAGE) {
      receiver.message(frame.getMessage());
      return;
    }
    MessagePeerAckSignal signal = frame.getAck();
    switch (signal.getMethod()) {
      case AckMethod.ACCEPTED_VALUE -> {
        receiver.accepted(signal);
        outbox.accepted(signal);
      }
      case AckMethod.DELIVERED_VALUE, AckMethod.READ_VALUE -> {
        if (signal.getStatusCode() == Status.OK) {
          settings.notifyAck(signal);
        } else if (signal.getStatusCode() == Status.UNAVAILABLE) {
          acks.unavailable(signal); // sent again: the node could not record it for now
        } else {
          log.warn("{} of {} refused with status {}", signal.getMethod() == AckMethod.READ_VALUE
              ? "READ" : "DELIVERED", signal.getMessageId(), signal.getStatusCode());
        }
      }
      case AckMethod.SYNC_VALUE -> receiver.sync(signal);
      case AckMethod.PULL_REQUEST_VALUE -> receiver.pulled(signal);
      default -> { } // nothing else is sent to clients
    }
  }

  /**
   * With a signing key: signs a message not signed yet, as sent by the session's eid (known
   * once welcomed; an unsigned message is not written before that).
   */
  private Message sign(Message m) {
    Identity me = reconnector.identity();
    if (settings.signingKey() == null || !m.getSignature().isEmpty() || me == null) {
      return m;
    }
    String sender = m.hasFrom() && !m.getFrom().getEid().isEmpty() ? m.getFrom().getEid()
        : me.getEid();
    return m.toBuilder().setSignature(settings.signingKey().sign(m, sender)).build();
  }

  private boolean write(Frame frame) {
    return reconnector.write(frame);
  }

  private void onContext(Runnable task) {
    if (Vertx.currentContext() == context) {
      task.run();
    } else {
      context.runOnContext(v -> task.run());
    }
  }
}

package io.phoenix.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.phoenix.cluster.v1.NodeEnvelope;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node-to-node messages over the clustered Vert.x event bus: each node consumes at the address
 * derived from its {@code node.id} ({@code phoenix.node.<id>}) and sends to another node's
 * address. Fire-and-forget: what is lost on the way (a node dying) is recovered by clients
 * through SYNC and PULL_REQUEST, never by retrying here.
 *
 * <p>Thread-safe; the handler runs on the context that called {@link #start}.
 */
public final class NodeBus {
  private static final Logger log = LoggerFactory.getLogger(NodeBus.class);
  private static final String PREFIX = "phoenix.node.";

  private final Vertx vertx;
  private final String self;
  private Handler<NodeEnvelope> handler;
  private volatile MessageConsumer<Buffer> consumer;

  public NodeBus(Vertx vertx, String self) {
    this.vertx = vertx;
    this.self = self;
  }

  /** The event-bus address of a node. */
  public static String address(String node) {
    return PREFIX + node;
  }

  /** Starts consuming this node's address; completes once the registration is cluster-wide. */
  public Future<Void> start(Handler<NodeEnvelope> handler) {
    this.handler = handler;
    consumer = consume();
    return consumer.completion();
  }

  /**
   * Registers this node's address again: a new consumer first (its registration cluster-wide),
   * then the old one goes, so that no moment is without one. For when the cluster lost the
   * registration while the consumer lived (see {@code PhoenixNode}'s address watch).
   */
  public Future<Void> renew() {
    MessageConsumer<Buffer> old = consumer;
    MessageConsumer<Buffer> fresh = consume();
    return fresh.completion().compose(v -> {
      consumer = fresh;
      return old == null ? Future.succeededFuture() : old.unregister();
    });
  }

  private MessageConsumer<Buffer> consume() {
    return vertx.eventBus().consumer(address(self), msg -> {
      NodeEnvelope envelope;
      try {
        envelope = NodeEnvelope.parseFrom(msg.body().getBytes());
      } catch (InvalidProtocolBufferException e) {
        log.warn("dropping unparseable node envelope: {}", e.getMessage());
        return;
      }
      handler.handle(envelope);
    });
  }

  /** Sends an envelope to another node (serialized once). */
  public void send(String node, NodeEnvelope envelope) {
    vertx.eventBus().send(address(node), Buffer.buffer(envelope.toByteArray()));
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}

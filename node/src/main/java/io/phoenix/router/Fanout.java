package io.phoenix.router;

import com.google.protobuf.UnsafeByteOperations;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.cluster.NodeBus;
import io.phoenix.cluster.v1.Batch;
import io.phoenix.cluster.v1.Delivery;
import io.phoenix.cluster.v1.Kick;
import io.phoenix.cluster.v1.NodeEnvelope;
import io.phoenix.router.Subscriber.PushKind;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.Frame;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Hands a frame to a set of devices wherever they are connected: devices on this node through
 * the {@link LocalHub}, devices on other nodes through the clustered event bus. A frame is
 * encoded once per node (once in all when it is the same for every node), never once per
 * device.
 *
 * <p>What an event loop has for another node in one turn (deliveries and kicks, in the order
 * they were made) leaves as one event-bus message when the turn ends: the event bus writes
 * each of its messages to the node's connection with a system call of its own, and at a few
 * thousand pushes a second between two nodes those calls, and the reads at the other end,
 * would be most of what a push across nodes costs. Called from outside an event loop, an
 * envelope is sent at once.
 *
 * <p>Thread-safe; call from any context.
 */
public final class Fanout {
  private final String self;
  private final LocalHub hub;
  private final NodeBus bus;
  private final NodeMetrics metrics;
  /** The envelopes this thread's event loop made in its current turn, by node. */
  private final ThreadLocal<Outbox> outboxes = ThreadLocal.withInitial(Outbox::new);

  /** Envelopes waiting for the end of an event loop's turn. Touched by its thread only. */
  private static final class Outbox {
    final Map<String, List<NodeEnvelope>> byNode = new LinkedHashMap<>(4);
    boolean flushing;
  }

  public Fanout(String self, LocalHub hub, NodeBus bus, NodeMetrics metrics) {
    this.self = self;
    this.hub = hub;
    this.bus = bus;
    this.metrics = metrics;
  }

  /** Delivers the same frame, not part of any stream's order, to every device. */
  public void deliver(List<Device> devices, Frame frame) {
    deliver(devices, frame, PushKind.UNORDERED, null, 0, 0);
  }

  /** Delivers the same frame to every device. */
  public void deliver(List<Device> devices, Frame frame, PushKind kind, StreamId stream,
      long offset, long delivered) {
    if (devices.isEmpty()) {
      return;
    }
    EncodedFrame encoded = FrameCodec.encode(frame);
    deliver(devices, node -> encoded, kind, stream, offset, delivered);
  }

  /**
   * Delivers a frame built (and encoded) once per node holding some of the devices; see
   * {@link Subscriber#push} for {@code kind}, {@code stream}, {@code offset} and
   * {@code delivered}.
   */
  public void deliver(List<Device> devices, Function<String, EncodedFrame> framePerNode,
      PushKind kind, StreamId stream, long offset, long delivered) {
    if (devices.isEmpty()) {
      return;
    }
    String first = devices.get(0).node();
    if (onOneNode(devices, first)) {
      // the usual case (one node, or a user's devices on one): no grouping
      deliverOnNode(first, devices, framePerNode, kind, stream, offset, delivered);
      return;
    }
    Map<String, List<Device>> byNode = new LinkedHashMap<>();
    for (Device d : devices) {
      byNode.computeIfAbsent(d.node(), k -> new ArrayList<>(2)).add(d);
    }
    byNode.forEach((node, onNode) ->
        deliverOnNode(node, onNode, framePerNode, kind, stream, offset, delivered));
  }

  private static boolean onOneNode(List<Device> devices, String node) {
    for (int i = 1; i < devices.size(); i++) {
      if (!devices.get(i).node().equals(node)) {
        return false;
      }
    }
    return true;
  }

  /** Pushes to the devices {@code onNode}, all held by {@code node}. */
  private void deliverOnNode(String node, List<Device> onNode,
      Function<String, EncodedFrame> framePerNode, PushKind kind, StreamId stream, long offset,
      long delivered) {
    EncodedFrame frame = framePerNode.apply(node);
    if (node.equals(self)) {
      for (Device d : onNode) {
        hub.push(d.eid(), d.resource(), frame, kind, stream, offset, delivered);
      }
    } else {
      Delivery.Builder delivery = Delivery.newBuilder()
          // getBytes() copies into a new array of this frame's own: no second copy
          .setFrame(UnsafeByteOperations.unsafeWrap(frame.body().getBytes()))
          .setKindValue(kind.ordinal())
          .setOffset(offset)
          .setDelivered(delivered);
      if (stream != null) {
        delivery.setFrom(stream.from()).setTo(stream.to());
      }
      for (Device d : onNode) {
        delivery.addDevicesBuilder().setEid(d.eid()).setResource(d.resource());
      }
      send(node, NodeEnvelope.newBuilder().setDelivery(delivery).build());
      metrics.forwarded();
    }
  }

  /** Asks the node holding a replaced session to close it. */
  public void kick(Device replaced) {
    if (replaced.node().equals(self)) {
      hub.kick(replaced.eid(), replaced.resource(), replaced.sessionId(), Status.REPLACED,
          "replaced");
    } else {
      send(replaced.node(), NodeEnvelope.newBuilder().setKick(Kick.newBuilder()
          .setEid(replaced.eid()).setResource(replaced.resource())
          .setSessionId(replaced.sessionId())).build());
    }
  }

  /**
   * Sends an envelope to another node: on an event loop, at the end of its turn, with the
   * others of the turn for that node; elsewhere at once.
   */
  private void send(String node, NodeEnvelope envelope) {
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      bus.send(node, envelope);
      metrics.busSent();
      return;
    }
    Outbox box = outboxes.get();
    box.byNode.computeIfAbsent(node, k -> new ArrayList<>()).add(envelope);
    if (!box.flushing) {
      box.flushing = true;
      // a task queued behind those of the turn: what they make for other nodes joins the batch
      context.runOnContext(v -> flush(box));
    }
  }

  private void flush(Outbox box) {
    box.flushing = false;
    box.byNode.forEach((node, envelopes) -> {
      bus.send(node, envelopes.size() == 1 ? envelopes.get(0) : NodeEnvelope.newBuilder()
          .setBatch(Batch.newBuilder().addAllEnvelopes(envelopes)).build());
      metrics.busSent();
    });
    box.byNode.clear();
  }

  /** Applies what another node sent to this one. */
  public void receive(NodeEnvelope envelope) {
    switch (envelope.getBodyCase()) {
      case BATCH -> {
        for (NodeEnvelope e : envelope.getBatch().getEnvelopesList()) {
          receive(e);
        }
      }
      case DELIVERY -> {
        Delivery d = envelope.getDelivery();
        EncodedFrame frame = FrameCodec.wrap(d.getFrame().toByteArray());
        PushKind kind = switch (d.getKind()) {
          case PUSH_KIND_MESSAGE -> PushKind.MESSAGE;
          case PUSH_KIND_HINT -> PushKind.HINT;
          default -> PushKind.UNORDERED;
        };
        StreamId stream = kind == PushKind.UNORDERED ? null : new StreamId(d.getFrom(), d.getTo());
        for (var device : d.getDevicesList()) {
          hub.push(device.getEid(), device.getResource(), frame, kind, stream, d.getOffset(),
              d.getDelivered());
        }
      }
      case KICK -> {
        Kick k = envelope.getKick();
        hub.kick(k.getEid(), k.getResource(), k.getSessionId(), Status.REPLACED, "replaced");
      }
      default -> { }
    }
  }
}

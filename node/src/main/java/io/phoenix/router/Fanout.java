package io.phoenix.router;

import com.google.protobuf.UnsafeByteOperations;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.cluster.NodeBus;
import io.phoenix.cluster.v1.Delivery;
import io.phoenix.cluster.v1.Kick;
import io.phoenix.cluster.v1.NodeEnvelope;
import io.phoenix.router.Subscriber.PushKind;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.Frame;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Hands a frame to a set of devices wherever they are connected: devices on this node through
 * the {@link LocalHub}, devices on other nodes through one event-bus message per node. A frame
 * is encoded once per node (once in all when it is the same for every node), never once per
 * device.
 *
 * <p>Thread-safe; call from any context.
 */
public final class Fanout {
  private final String self;
  private final LocalHub hub;
  private final NodeBus bus;
  private final NodeMetrics metrics;

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
      bus.send(node, NodeEnvelope.newBuilder().setDelivery(delivery).build());
      metrics.forwarded();
    }
  }

  /** Asks the node holding a replaced session to close it. */
  public void kick(Device replaced) {
    if (replaced.node().equals(self)) {
      hub.kick(replaced.eid(), replaced.resource(), replaced.sessionId(), Status.REPLACED,
          "replaced");
    } else {
      bus.send(replaced.node(), NodeEnvelope.newBuilder().setKick(Kick.newBuilder()
          .setEid(replaced.eid()).setResource(replaced.resource())
          .setSessionId(replaced.sessionId())).build());
    }
  }

  /** Applies what another node sent to this one. */
  public void receive(NodeEnvelope envelope) {
    switch (envelope.getBodyCase()) {
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

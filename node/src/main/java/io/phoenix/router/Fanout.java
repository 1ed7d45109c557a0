package io.phoenix.router;

import com.google.protobuf.ByteString;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.cluster.NodeBus;
import io.phoenix.cluster.v1.Delivery;
import io.phoenix.cluster.v1.Kick;
import io.phoenix.cluster.v1.NodeEnvelope;
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

  /** Delivers the same frame to every device. */
  public void deliver(List<Device> devices, Frame frame, String stream, long offset) {
    if (devices.isEmpty()) {
      return;
    }
    EncodedFrame encoded = FrameCodec.encode(frame);
    deliver(devices, node -> encoded, stream, offset);
  }

  /** Delivers a frame built (and encoded) once per node holding some of the devices. */
  public void deliver(List<Device> devices, Function<String, EncodedFrame> framePerNode,
      String stream, long offset) {
    Map<String, List<Device>> byNode = new LinkedHashMap<>();
    for (Device d : devices) {
      byNode.computeIfAbsent(d.node(), k -> new ArrayList<>(2)).add(d);
    }
    byNode.forEach((node, onNode) -> {
      EncodedFrame frame = framePerNode.apply(node);
      if (node.equals(self)) {
        for (Device d : onNode) {
          hub.push(d.eid(), d.resource(), frame, stream, offset);
        }
      } else {
        Delivery.Builder delivery = Delivery.newBuilder()
            .setFrame(ByteString.copyFrom(frame.body().getBytes()))
            .setOffset(offset);
        if (stream != null) {
          delivery.setStream(stream);
        }
        for (Device d : onNode) {
          delivery.addDevicesBuilder().setEid(d.eid()).setResource(d.resource());
        }
        bus.send(node, NodeEnvelope.newBuilder().setDelivery(delivery).build());
        metrics.forwarded();
      }
    });
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
        String stream = d.getStream().isEmpty() ? null : d.getStream();
        for (var device : d.getDevicesList()) {
          hub.push(device.getEid(), device.getResource(), frame, stream, d.getOffset());
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

package io.phoenix.router;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.cluster.NodeBus;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.router.Subscriber.PushKind;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pushes to devices of another node go over the event bus: what an event loop makes for one
 * node in one turn leaves as one event-bus message, and arrives in the order it was made;
 * from outside an event loop each push leaves on its own. Two nodes' fanouts on one Vert.x
 * (the event bus is the same, only not clustered).
 */
class FanoutTest {
  private Vertx vertx;
  private MeterRegistry registry;
  private Fanout fromNode1;
  private final List<String> atNode2 = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
    NodeMetrics metrics1 = new NodeMetrics(registry);
    NodeBus bus1 = new NodeBus(vertx, "n1", metrics1, n -> true, NodeBus.MIN_RETRY_FOR_MS);
    fromNode1 = new Fanout("n1", new LocalHub(), bus1, metrics1);
    LocalHub hub2 = new LocalHub();
    hub2.add(new FakeSubscriber("bob", "phone", "n2", "s-bob", atNode2));
    hub2.add(new FakeSubscriber("carol", "tablet", "n2", "s-carol", atNode2));
    NodeMetrics metrics2 = NodeMetrics.inMemory();
    NodeBus bus2 = new NodeBus(vertx, "n2", metrics2, n -> true, NodeBus.MIN_RETRY_FOR_MS);
    Fanout node2 = new Fanout("n2", hub2, bus2, metrics2);
    bus2.start(node2::receive).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void whatAnEventLoopMakesInOneTurnLeavesAsOneMessageInOrder() {
    vertx.getOrCreateContext().runOnContext(v -> {
      for (long offset = 1; offset <= 100; offset++) {
        push(offset);
        if (offset == 50) {
          fromNode1.kick(new Device("carol", "tablet", "n2", "s-carol"));
        }
      }
    });
    List<String> expected = new ArrayList<>();
    LongStream.rangeClosed(1, 50).forEach(o -> expected.add("bob " + o));
    expected.add("carol closed 409");
    LongStream.rangeClosed(51, 100).forEach(o -> expected.add("bob " + o));
    await().atMost(Duration.ofSeconds(10)).until(() -> atNode2.size() == 101);
    assertEquals(expected, List.copyOf(atNode2));
    assertEquals(100, count("phoenix_eventbus_forwards"));
    assertEquals(1, count("phoenix_eventbus_sends"), "one event-bus message for the turn");
  }

  @Test
  void outsideAnEventLoopEachPushLeavesOnItsOwn() {
    for (long offset = 1; offset <= 100; offset++) {
      push(offset);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> atNode2.size() == 100);
    assertEquals(LongStream.rangeClosed(1, 100).mapToObj(o -> "bob " + o).toList(),
        List.copyOf(atNode2));
    assertEquals(100, count("phoenix_eventbus_sends"));
  }

  private void push(long offset) {
    fromNode1.deliver(List.of(new Device("bob", "phone", "n2", "s-bob")),
        Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(offset)).build(),
        PushKind.MESSAGE, new StreamId("alice", "bob"), offset, 0);
  }

  private double count(String counter) {
    return registry.get(counter).counter().count();
  }
}

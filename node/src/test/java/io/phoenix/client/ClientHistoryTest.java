package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PhoenixClient#history} against a real node (the last messages of a stream, both
 * directions, not delivered to the listener; another's stream refused), and a client that
 * never acknowledges its own messages: the copies its other devices get are shown, not
 * acknowledged, so the node refuses nothing.
 */
class ClientHistoryTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  private static List<String> texts(List<Message> messages) {
    return messages.stream().map(m -> m.getPayload().toStringUtf8()).toList();
  }

  private static List<String> range(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void historyBringsTheLastMessagesOfEitherDirection(Transport t) {
    String a = "alice-history-" + t;
    String b = "bob-history-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    for (int i = 1; i <= 130; i++) {
      ac.send(b, "a" + i);
    }
    await(ac.send(b, "a131"));
    await(bc.send(a, "b1"));
    await(bc.send(a, "b2"));
    alice.nextMessage("b1", 1);
    alice.nextMessage("b2", 2);

    List<Message> mine = await(ac.history(a, b, 120)); // more than one pull batch
    assertEquals(range("a", 12, 131), texts(mine));
    assertEquals(131, mine.get(mine.size() - 1).getPeer().getOffset());
    assertEquals(range("b", 1, 2), texts(await(ac.history(b, a, 20))), "fewer than asked");
    assertEquals(List.of(), await(ac.history(a, "nobody-" + t, 20)), "an empty stream");
    SendException refused = (SendException) Recorder.failure(ac.history(b, "carol", 5));
    assertEquals(403, refused.status(), "not alice's stream");

    await(bc.send(a, "b3"));
    alice.nextMessage("b3", 3); // the live stream goes on after the history requests
    assertTrue(alice.messages.isEmpty(), "history is not delivered to the listener");
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void historyRequestsWaitingForAConnectionAreBounded(Transport t) {
    String a = "alice-history-bound-" + t;
    NodeRecorder alice = new NodeRecorder();
    PhoenixClient ac = alice.builder(vertx, t, a, node).build(); // not connected: they wait
    List<Future<List<Message>>> waiting = new ArrayList<>();
    for (int i = 0; i < HistoryPulls.MAX_WAITING; i++) {
      waiting.add(ac.history(a, "bob-" + (i % 3), 10));
    }
    SendException tooMany = (SendException) Recorder.failure(ac.history(a, "bob-0", 10));
    assertEquals(0, tooMany.status());
    assertTrue(waiting.stream().noneMatch(Future::isComplete), "the others still wait");
    await(ac.connect());
    for (Future<List<Message>> f : waiting) {
      assertEquals(List.of(), await(f));
    }
    assertEquals(List.of(), await(ac.history(a, "bob-0", 10)), "room again once answered");
    await(ac.close());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void copiesOfOwnMessagesAreNeverAcknowledged(Transport t) {
    String a = "alice-copies-" + t;
    String b = "bob-copies-" + t;
    Counter forbidden = node.node().metrics().registry().counter("phoenix_rejections",
        "status", "403");
    double before = forbidden.count();
    NodeRecorder phone = new NodeRecorder();
    NodeRecorder laptop = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient pc = phone.connect(vertx, t, a, node);
    PhoenixClient lc = laptop.connect(vertx, t, a, node);
    PhoenixClient bc = bob.connect(vertx, t, b, node);
    await(pc.send(b, "from the phone"));
    Message copy = laptop.nextMessage("from the phone", 1);
    lc.delivered(copy);
    lc.read(copy);
    await(lc.history(a, b, 1)); // answered after the acks (the node refuses those at once)
    Message received = bob.nextMessage("from the phone", 1);
    bc.read(received);
    assertEquals(1, phone.nextAck().getPeer().getOffset(), "bob's READ reached the sender");
    assertEquals(before, forbidden.count(), "the node refused no acknowledgement");
    await(Future.join(pc.close(), lc.close(), bc.close()));
  }
}

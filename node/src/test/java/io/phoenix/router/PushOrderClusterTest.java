package io.phoenix.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.PushLedger;
import io.phoenix.testing.PushOrderScenario;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9 in one JVM: clusters of two and three nodes (backupCount 1), 1,000 messages back to
 * back on four streams at once, over TCP and WebSocket, with sender and recipient on the same
 * node and on different nodes — every ACCEPTED, push, copy and forwarded ack counted, in order,
 * nothing pulled or synced (see {@link PushOrderScenario}).
 */
class PushOrderClusterTest {
  static final int STREAMS = 4;
  static final int MESSAGES = 1000;

  enum Placement { SAME_NODE, DIFFERENT_NODES }

  /** One cluster of {@code size} nodes for the tests of a nested class. */
  abstract static class Cluster {
    final List<TestNode> nodes = new ArrayList<>();
    Vertx vertx;

    abstract int size();

    @BeforeAll
    void start() {
      List<JsonObject> configs = TestNode.clusterConfigs(size());
      for (JsonObject c : configs) {
        c.getJsonObject("cluster").put("backupCount", 1);
        c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
        nodes.add(TestNode.start(c));
      }
      vertx = Vertx.vertx();
    }

    @AfterAll
    void stop() {
      vertx.close();
      for (int i = nodes.size() - 1; i >= 0; i--) {
        nodes.get(i).close();
      }
    }

    void run(Transport t, Placement p) throws Exception {
      int last = size() - 1;
      PushOrderScenario.run((node, eid, resource) ->
              TestClient.login(vertx, t, nodes.get(node), eid, resource),
          STREAMS, MESSAGES, 0, p == Placement.SAME_NODE ? 0 : 1,
          p == Placement.SAME_NODE ? 0 : last);
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class TwoNodes extends Cluster {
    @Override
    int size() {
      return 2;
    }

    @ParameterizedTest(name = "{0}, {1}")
    @EnumSource(Transport.class)
    void sameNode(Transport t) throws Exception {
      run(t, Placement.SAME_NODE);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void differentNodes(Transport t) throws Exception {
      run(t, Placement.DIFFERENT_NODES);
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class ThreeNodes extends Cluster {
    @Override
    int size() {
      return 3;
    }

    /**
     * Two devices of one sender, on two nodes, send into the same stream at once: their offsets
     * interleave, and the recipient on the third node, once it follows the stream, gets them in
     * offset order: a push that overtakes a missing offset waits for it (up to a second), and
     * one that cannot wait any longer comes after a SYNC hint naming the gap, which a client
     * pulls. Every offset is pushed or hinted; nothing is dropped.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void twoDevicesOfOneSenderOnTwoNodes(Transport t) throws Exception {
      String s = "multi-" + t + "-" + System.nanoTime();
      String r = "multi-r-" + t + "-" + System.nanoTime();
      try (TestClient bob = TestClient.login(vertx, t, nodes.get(2), r, "phone");
           TestClient a1 = TestClient.login(vertx, t, nodes.get(0), s, "a1");
           TestClient a2 = TestClient.login(vertx, t, nodes.get(1), s, "a2")) {
        PushLedger ledger = new PushLedger(bob, r).allowHints();
        a1.send(TestClient.message("first", r).build());
        ledger.readUntil(() -> ledger.lastMessage(s, r) == 1, Duration.ofSeconds(30), m -> { });
        int each = 500;
        for (int i = 1; i <= each; i++) {
          a1.send(TestClient.message("a1-" + i, r).build());
          a2.send(TestClient.message("a2-" + i, r).build());
        }
        ledger.readUntil(() -> ledger.lastMessage(s, r) == 2 * each + 1, Duration.ofSeconds(30),
            m -> { });
        // every push came at an increasing offset, and the ledger checked that each offset it
        // skipped was named by a hint before the jump
        assertEquals(2 * each + 1, ledger.lastMessage(s, r));
        assertTrue(ledger.messages() > each,
            "most offsets pushed: " + ledger.messages() + " pushes, " + ledger.hints() + " hints");
      }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void sameNode(Transport t) throws Exception {
      run(t, Placement.SAME_NODE);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void differentNodes(Transport t) throws Exception {
      run(t, Placement.DIFFERENT_NODES);
    }
  }
}

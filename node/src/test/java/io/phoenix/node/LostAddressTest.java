package io.phoenix.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.phoenix.cluster.NodeBus;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node whose event-bus address the cluster lost while the node ran (what a member merging
 * back after a split did in {@code PausedMemberIT}: its late clean-up of the members it had
 * lost removed their registrations from the merged cluster, and pushes to one of them went
 * nowhere, silently) registers it again; what the other nodes sent it meanwhile they held and
 * send again.
 */
class LostAddressTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();

  @Test
  void aNodeWhoseAddressTheClusterLostRegistersItAgainAndIsPushedWhatWasSentMeanwhile()
      throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    TestNode sender = nodes.start(configs.get(0));
    TestNode receiver = nodes.start(configs.get(1));
    HazelcastInstance hazelcast = instanceOf(sender);
    String address = NodeBus.address(receiver.id());
    try (TestClient bob = TestClient.login(nodes.vertx(), Transport.TCP, receiver, "bob-lost",
        "p");
         TestClient alice = TestClient.login(nodes.vertx(), Transport.TCP, sender, "alice-lost",
             "p")) {
      assertTrue(sendAndPushed(alice, bob, "before"), "pushed across nodes before");

      // what the merging member did: the registrations of a member it had lost, removed
      hazelcast.getMultiMap(HazelcastCluster.SUBSCRIPTIONS).remove(address);

      // sent while the cluster holds no registration: none is lost, none waits for a later one
      List<String> ids = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        ids.add("after-" + i);
        MessagePeerAckSignal a = alice.sendAndAwaitAccepted(
            TestClient.message("after-" + i, "bob-lost").build());
        assertEquals(200, a.getStatusCode(), a::toString);
      }
      List<String> pushed = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (pushed.size() < ids.size() && System.nanoTime() < deadline) {
        Frame f = bob.poll(Duration.ofMillis(100));
        if (f != null && f.getBodyCase() == Frame.BodyCase.MESSAGE) {
          pushed.add(f.getMessage().getMessageId());
        }
      }
      assertEquals(ids, pushed, "every message sent while the node's address was lost is "
          + "pushed, in order, with no later message");
      long renewed = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (hazelcast.getMultiMap(HazelcastCluster.SUBSCRIPTIONS).valueCount(address) == 0
          && System.nanoTime() < renewed) {
        Thread.sleep(100);
      }
      assertEquals(1, hazelcast.getMultiMap(HazelcastCluster.SUBSCRIPTIONS).valueCount(address),
          "one registration of the address again");
      assertTrue(sendAndPushed(alice, bob, "last"), "pushed across nodes as before");
    }
  }

  /** Alice sends {@code id} to bob (ACCEPTED 200); whether bob is pushed it within a second. */
  private static boolean sendAndPushed(TestClient alice, TestClient bob, String id) {
    MessagePeerAckSignal a = alice.sendAndAwaitAccepted(TestClient.message(id, "bob-lost")
        .build());
    assertEquals(200, a.getStatusCode(), a::toString);
    long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
    while (System.nanoTime() < until) {
      Frame f = bob.poll(Duration.ofMillis(100));
      if (f != null && f.getBodyCase() == Frame.BodyCase.MESSAGE
          && f.getMessage().getMessageId().equals(id)) {
        return true;
      }
    }
    return false;
  }

  /** The Hazelcast member of a node started in this JVM. */
  private static HazelcastInstance instanceOf(TestNode node) {
    return Hazelcast.getAllHazelcastInstances().stream()
        .filter(h -> node.id().equals(h.getCluster().getLocalMember()
            .getAttribute(HazelcastCluster.NODE_ID_ATTRIBUTE)))
        .findFirst().orElseThrow();
  }
}

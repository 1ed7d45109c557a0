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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node whose event-bus address the cluster lost while the node ran (what a member merging
 * back after a split did in {@code PausedMemberIT}: its late clean-up of the members it had
 * lost removed their registrations from the merged cluster, and pushes to one of them went
 * nowhere, silently) registers it again, and is pushed to again.
 */
class LostAddressTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();

  @Test
  void aNodeWhoseAddressTheClusterLostRegistersItAgainAndIsPushedToAgain() throws Exception {
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

      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      int sent = 0;
      boolean pushed = false;
      while (!pushed && System.nanoTime() < deadline) {
        pushed = sendAndPushed(alice, bob, "after-" + ++sent);
      }
      assertTrue(pushed, "no push reached the node in 20 s after its address was lost ("
          + sent + " sent)");
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

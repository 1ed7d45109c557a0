package io.phoenix.cluster;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.phoenix.config.ConfigLoader;
import io.phoenix.node.HazelcastCluster;
import io.phoenix.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A node does not join a cluster whose member keeps the cluster's memory in another layout
 * (an older build, before recipients were bucketed by the top bits of their hash): they would
 * keep one stream in two buckets. The older member is a real Hazelcast member of the cluster,
 * configured as a Phoenix node of that build was (no layout attribute).
 */
class ClusterLayoutTest {
  @Test
  void aNodeRefusesToJoinAMemberOfAnOlderLayout() {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    Config old = HazelcastCluster.hazelcastConfig(
        ConfigLoader.fromJson(configs.get(0)).cluster(), "older-node", "memory", null);
    old.getMemberAttributeConfig().removeAttribute(HazelcastCluster.LAYOUT_ATTRIBUTE);
    old.getMemberAttributeConfig().setAttribute("__vertx.nodeId", UUID.randomUUID().toString());
    HazelcastInstance older = Hazelcast.newHazelcastInstance(old);
    try {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> TestNode.start(configs.get(1)));
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String message = root.getMessage();
      assertTrue(message.contains("(older-node) in layout 1 (an older Phoenix)"), message);
    } finally {
      older.shutdown();
    }
  }
}

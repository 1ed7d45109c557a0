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

  /** An older build does not check for itself: the current member it joins says so, loudly. */
  @Test
  void aMemberOfAnOlderLayoutJoiningIsLoggedAsAnError() {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    ch.qos.logback.classic.Logger cluster = (ch.qos.logback.classic.Logger)
        org.slf4j.LoggerFactory.getLogger("io.phoenix.cluster");
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen =
        new ch.qos.logback.core.read.ListAppender<>();
    seen.start();
    cluster.addAppender(seen);
    TestNode current = TestNode.start(configs.get(0));
    HazelcastInstance older = null;
    try {
      Config old = HazelcastCluster.hazelcastConfig(
          ConfigLoader.fromJson(configs.get(1)).cluster(), "older-node", "memory", null);
      old.getMemberAttributeConfig().removeAttribute(HazelcastCluster.LAYOUT_ATTRIBUTE);
      old.getMemberAttributeConfig().setAttribute("__vertx.nodeId", UUID.randomUUID().toString());
      older = Hazelcast.newHazelcastInstance(old);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
          seen.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
              && e.getFormattedMessage().contains("in layout 1 (an older Phoenix)")
              && e.getFormattedMessage().contains("that member must be stopped")));
    } finally {
      cluster.detachAppender(seen);
      if (older != null) {
        older.shutdown();
      }
      current.close();
    }
  }
}

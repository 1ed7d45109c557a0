package io.phoenix.cluster;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.PushOrderScenario;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 with every node its own JVM: a cluster of two node processes (backupCount 1), then the
 * same cluster grown to three; on each, 1,000 messages back to back on four streams at once, over
 * TCP and WebSocket, sender and recipient on the same node and on different nodes, every
 * ACCEPTED, push, copy and forwarded ack counted in order (see {@link PushOrderScenario}).
 */
class PushOrderIT {
  @TempDir
  Path dir;

  @Test
  void everyPushArrivesInOrderOnTwoAndThreeNodeProcesses() throws Exception {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
    List<JsonObject> configs = TestNode.clusterConfigs(3);
    for (JsonObject c : configs) {
      c.getJsonObject("cluster").put("backupCount", 1);
      c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    }
    List<NodeProcess> nodes = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try {
      nodes.add(NodeProcess.start(dir, configs.get(0)));
      nodes.add(NodeProcess.start(dir, configs.get(1)));
      runAll(vertx, nodes);
      nodes.add(NodeProcess.start(dir, configs.get(2)));
      runAll(vertx, nodes);
    } finally {
      vertx.close();
      for (NodeProcess n : nodes) {
        n.close();
      }
    }
  }

  private static void runAll(Vertx vertx, List<NodeProcess> nodes) throws Exception {
    int last = nodes.size() - 1;
    for (Transport t : Transport.values()) {
      PushOrderScenario.Login login = (node, eid, resource) ->
          TestClient.login(vertx, t, nodes.get(node), eid, resource);
      PushOrderScenario.run(login, 4, 1000, 0, 0, 0);
      PushOrderScenario.run(login, 4, 1000, 0, 1, last);
    }
  }
}

package io.phoenix.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logs of a three-node cluster, each node its own process: a healthy start warns about
 * nothing and says once per change how many members the cluster has; a member killed with
 * SIGKILL while traffic goes to it is one WARN line on each survivor, with no stack trace and
 * no error.
 */
class ClusterLogIT {
  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();
  private final List<NodeProcess> nodes = processes.started();
  private final Vertx vertx = processes.vertx();

  private static List<String> log(NodeProcess n) {
    try {
      return Files.readAllLines(n.log());
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * The log without the warning that storage.type memory gives at every start, on purpose (these
   * nodes keep streams in the cluster's memory; the warning is the configuration's, not noise).
   */
  private static List<String> logWithoutMemoryWarning(NodeProcess n) {
    return log(n).stream().filter(l -> !l.contains(" - storage.type memory: ")).toList();
  }

  private static boolean logged(NodeProcess n, String suffix) {
    return log(n).stream().anyMatch(l -> l.endsWith(suffix));
  }

  @Test
  void membersAreCountedAndALostOneIsOneWarningWithoutStackTraces() throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(3);
    List<String> ids = configs.stream().map(c -> c.getJsonObject("node").getString("id"))
        .toList();
    for (JsonObject c : configs) {
      nodes.add(NodeProcess.start(dir, c));
    }
    NodeProcess n1 = nodes.get(0);
    NodeProcess n2 = nodes.get(1);
    NodeProcess n3 = nodes.get(2);
    String three = " - cluster: 3 members [" + String.join(", ", ids) + "]";
    await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream()
        .allMatch(n -> logged(n, three)));
    for (NodeProcess n : nodes) {
      List<String> lines = logWithoutMemoryWarning(n);
      assertTrue(lines.stream().noneMatch(l -> l.contains(" WARN ") || l.contains(" ERROR ")),
          () -> "a healthy start warns about nothing:\n" + String.join("\n", lines));
    }

    TestClient alice = TestClient.login(vertx, Transport.TCP, n1, "alice", "phone");
    TestClient bob = TestClient.login(vertx, Transport.TCP, n3, "bob", "phone");
    for (int i = 1; i <= 20; i++) {
      alice.sendAndAwaitAccepted(TestClient.message("before-" + i, "bob").build());
      assertEquals("before-" + i, bob.nextMessage().getMessageId());
    }
    n3.kill();
    String lost = " - cluster: lost member " + ids.get(2) + " ([127.0.0.1]:"
        + configs.get(2).getJsonObject("cluster").getInteger("port") + ")";
    // keep sending towards bob's dead node until both survivors have noticed
    for (int i = 1; !(logged(n1, lost) && logged(n2, lost)); i++) {
      assertTrue(i < 600, "the survivors did not notice the lost member");
      Message m = TestClient.message("after-" + i, "bob").build();
      int status = alice.sendAndAwaitAccepted(m).getStatusCode();
      assertTrue(status == 200 || status == 503, "status " + status);
    }
    String two = " - cluster: 2 members [" + ids.get(0) + ", " + ids.get(1) + "]";
    await().atMost(Duration.ofSeconds(30)).until(() -> logged(n1, two) && logged(n2, two));
    for (NodeProcess survivor : List.of(n1, n2)) {
      List<String> lines = logWithoutMemoryWarning(survivor);
      String all = String.join("\n", lines);
      List<String> warnings = lines.stream().filter(l -> l.contains(" WARN ")).toList();
      assertEquals(1, warnings.size(), () -> "one warning for the lost member:\n" + all);
      assertTrue(warnings.get(0).endsWith(lost), all);
      assertTrue(lines.stream().noneMatch(l -> l.contains(" ERROR ")), () -> "no error:\n" + all);
      assertTrue(lines.stream().noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by")
          || l.strip().startsWith("at ")), () -> "no stack trace:\n" + all);
    }
    alice.close();
    bob.close();
  }
}

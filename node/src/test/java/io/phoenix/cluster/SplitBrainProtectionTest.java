package io.phoenix.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With {@code cluster.minimumMembers} = 2, a node that is alone (the smaller side of a split,
 * or the first node of a cluster) neither registers sessions nor stores messages: clients are
 * told to retry (503) and the node is not ready; once a second member is there, it serves.
 */
class SplitBrainProtectionTest {

  private static int status(String url) throws Exception {
    return Http.get(url).statusCode();
  }

  @Test
  void aLoneMemberRefusesUntilTheMinimumIsThere() throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    configs.forEach(c -> c.getJsonObject("cluster").put("minimumMembers", 2));
    Vertx vertx = Vertx.vertx();
    try (TestNode first = TestNode.start(configs.get(0))) {
      // alone: the directory refuses the session, which is told to retry
      try (TestClient early = TestClient.connect(vertx, Transport.TCP, first)) {
        early.hello(first.token("alice-sbp"), "a");
        assertEquals(503, early.expectGoodbye().getStatusCode());
      }
      assertEquals(503, status("http://127.0.0.1:" + first.httpPort() + "/health/ready"));
      try (TestNode second = TestNode.start(configs.get(1))) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(
            () -> status("http://127.0.0.1:" + first.httpPort() + "/health/ready") == 200);
        try (TestClient alice = TestClient.login(vertx, Transport.TCP, first, "alice-sbp", "a")) {
          MessagePeerAckSignal ack = alice.sendAndAwaitAccepted(
              TestClient.message("m1", "bob-sbp").build());
          assertEquals(200, ack.getStatusCode());
          assertEquals(1, ack.getPeer().getOffset());
        }
      }
    } finally {
      vertx.close();
    }
  }
}

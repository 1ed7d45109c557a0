package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A DELIVERED or READ that the node cannot record for the moment (503: its cluster or store is
 * unavailable) is sent again, as PROTOCOL.md §7 asks of 503, and reaches the sender once the
 * node can record it.
 */
class ClientAckRetryTest {

  private static int ready(TestNode n) throws Exception {
    return Http.get("http://127.0.0.1:" + n.httpPort() + "/health/ready").statusCode();
  }

  @Test
  void anAcknowledgementRefusedWith503IsSentAgain() throws Exception {
    // with cluster.minimumMembers 2, a member left alone refuses stream operations with 503
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    configs.forEach(c -> c.getJsonObject("cluster").put("minimumMembers", 2));
    Vertx vertx = Vertx.vertx();
    TestNode n1 = TestNode.start(configs.get(0));
    TestNode n2 = TestNode.start(configs.get(1));
    try {
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> ready(n1) == 200);
      String a = "alice-ack-retry";
      String b = "bob-ack-retry";
      NodeRecorder alice = new NodeRecorder();
      NodeRecorder bob = new NodeRecorder();
      PhoenixClient ac = alice.connect(vertx, Transport.TCP, a, n1);
      PhoenixClient bc = bob.connect(vertx, Transport.TCP, b, n1);
      assertEquals(1, await(ac.send(b, "m1")).getPeer().getOffset());
      Message m1 = bob.nextMessage("m1", 1);

      n2.close(); // n1 is alone: it answers 503
      n2 = null;
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> ready(n1) == 503);
      bc.read(m1);
      Thread.sleep(1_500); // the READ is answered 503 meanwhile

      n2 = TestNode.start(configs.get(1)); // the minimum is there again
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> ready(n1) == 200);
      MessagePeerAckSignal tick = alice.nextAck();
      assertEquals(AckMethod.READ_VALUE, tick.getMethod(), tick::toString);
      assertEquals(1, tick.getPeer().getOffset(), tick::toString);
      assertEquals(ConnectionState.CONNECTED, bc.state(), "bob kept his session");
      await(Future.join(ac.close(), bc.close()));
    } finally {
      vertx.close().await();
      if (n2 != null) {
        n2.close();
      }
      n1.close();
    }
  }
}

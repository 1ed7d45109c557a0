package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A burst of sends over the node's rate limit (5 messages a second here): the node answers
 * 429 to most of them, and the client retries them in the order they were sent, so that each
 * stream still holds them in that order, and none fails while the node lets messages through.
 * Once maxSendAttempts attempts in a row bring none through, the refused sends fail with 429,
 * and later sends to that recipient go on.
 */
class ClientRateLimitTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("messagesPerSecond", 5);
    node = nodes.start(config);
    vertx = nodes.vertx();
  }

  @Test
  void refusedSendsAreRetriedInTheOrderTheyWereSent() {
    String a = "alice-burst";
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    NodeRecorder carol = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, Transport.TCP, a, node);
    PhoenixClient bc = bob.connect(vertx, Transport.TCP, "bob-burst", node);
    PhoenixClient cc = carol.connect(vertx, Transport.TCP, "carol-burst", node);
    // 5 pass at once (a full bucket), the other 15 are answered 429 and wait for tokens; two
    // streams, so that neither waits behind the other's refusals
    List<Future<MessagePeerAckSignal>> toBob = new ArrayList<>();
    List<Future<MessagePeerAckSignal>> toCarol = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      toBob.add(ac.send("bob-burst", "b" + i));
      toCarol.add(ac.send("carol-burst", "c" + i));
    }
    for (int i = 1; i <= 10; i++) {
      assertEquals(i, await(toBob.get(i - 1)).getPeer().getOffset(), "offset of b" + i);
      assertEquals(i, await(toCarol.get(i - 1)).getPeer().getOffset(), "offset of c" + i);
    }
    for (int i = 1; i <= 10; i++) {
      bob.nextMessage("b" + i, i);
      carol.nextMessage("c" + i, i);
    }
    assertTrue(bob.messages.isEmpty() && carol.messages.isEmpty());
    await(Future.join(ac.close(), bc.close(), cc.close()));
  }

  @Test
  void refusedSendsFailWithTheNodesStatusOnceTheAttemptsRunOut() throws InterruptedException {
    NodeRecorder alice = new NodeRecorder();
    PhoenixClient ac = alice.builder(vertx, Transport.TCP, "alice-give-up", node)
        .maxSendAttempts(1).build();
    await(ac.connect());
    List<Future<MessagePeerAckSignal>> sends = new ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      sends.add(ac.send("dave-give-up", "d" + i));
    }
    for (int i = 1; i <= 5; i++) {
      assertEquals(i, await(sends.get(i - 1)).getPeer().getOffset());
    }
    for (int i = 6; i <= 7; i++) {
      assertEquals(429, ((SendException) Recorder.failure(sends.get(i - 1))).status(), "d" + i);
    }
    Thread.sleep(1_000); // the bucket fills again
    assertEquals(6, await(ac.send("dave-give-up", "d8")).getPeer().getOffset(),
        "the recipient's sends go on");
    await(ac.close());
  }
}

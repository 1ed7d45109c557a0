package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.TransmissionMode;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes of one cluster; the node both clients are on stops. Both reconnect to the other
 * node, and every message sent before, during and after the stop is stored once and delivered
 * once, in order.
 */
class ClientFailoverTest {
  static TestNode n1;
  static TestNode n2;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    n1 = TestNode.start(configs.get(0));
    n2 = TestNode.start(configs.get(1));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
    stopN1();
    n2.close();
  }

  private static synchronized void stopN1() {
    if (n1 != null) {
      n1.close();
      n1 = null;
    }
  }

  @Test
  void clientsMoveToTheOtherNodeAndNothingIsLost() throws Exception {
    String a = "alice-failover";
    String b = "bob-failover";
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.connect(vertx, Transport.TCP, a, n1, n2);
    PhoenixClient bc = bob.connect(vertx, Transport.WS, b, n1, n2);
    String first = n1.id();
    assertEquals(first, ac.identity().getNode());
    assertEquals(first, bc.identity().getNode());
    // bob's client SYNCs when its session starts; a listing answered after alice's first
    // messages are stored would have the client pull them (correctly) ahead of their pushes.
    // A request made now is answered after that SYNC (a session's answers keep its order).
    assertEquals(List.of(), await(bc.history(a, b, 1)));

    List<Future<MessagePeerAckSignal>> sends = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      sends.add(ac.send(b, "f" + i));
    }
    for (int i = 1; i <= 10; i++) {
      // counted as pushes: the client would repair a lost push by pulling, hiding it
      assertEquals(TransmissionMode.PUSH_VALUE, bob.nextMessage("f" + i, i).getTransmissionMode(),
          "f" + i + " reached bob by push, not by a pull that filled a gap");
    }
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(ClientFailoverTest::stopN1);
    for (int i = 11; i <= 30; i++) {
      sends.add(ac.send(b, "f" + i)); // before, during and after the stop
    }
    stopping.get(60, TimeUnit.SECONDS);
    for (int i = 31; i <= 40; i++) {
      sends.add(ac.send(b, "f" + i));
    }

    Map<Long, String> byOffset = new TreeMap<>();
    for (int i = 0; i < sends.size(); i++) {
      byOffset.put(await(sends.get(i)).getPeer().getOffset(), "f" + (i + 1));
    }
    assertEquals(40, byOffset.size(), "one distinct offset per message");
    assertEquals(40L, ((TreeMap<Long, String>) byOffset).lastKey(), "no offset skipped");
    for (long o = 11; o <= 40; o++) {
      bob.nextMessage(byOffset.get(o), o);
    }
    assertEquals(n2.id(), ac.identity().getNode());
    assertEquals(n2.id(), bc.identity().getNode());
    assertTrue(bob.messages.isEmpty());
    await(Future.join(ac.close(), bc.close()));
  }
}

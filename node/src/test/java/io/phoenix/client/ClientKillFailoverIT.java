package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Jwt;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fail-over after a crash: two node processes, both clients on the first, which is killed with
 * SIGKILL. The clients move to the other member, which names the same store epoch, and the
 * streams go on at the next offsets: the receiver's cursor is kept, and every new message
 * shows, once and in order.
 */
class ClientKillFailoverIT {
  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();
  private final List<NodeProcess> nodes = processes.started();
  private final Vertx vertx = processes.vertx();

  private static String token(String eid) {
    long now = Jwt.nowSeconds();
    return Jwt.hs256(TestNode.SECRET, new JsonObject().put("sub", eid).put("iss", "phoenix")
        .put("iat", now).put("exp", now + 3600));
  }

  private PhoenixClient connect(Recorder r, String eid) {
    PhoenixClient c = r.builder(vertx, token(eid),
        "tcp://127.0.0.1:" + nodes.get(0).tcpPort(), "tcp://127.0.0.1:" + nodes.get(1).tcpPort())
        .build();
    await(c.connect());
    return c;
  }

  @Test
  void afterAKillTheStreamsGoOnOnTheOtherMember() throws Exception {
    for (JsonObject c : TestNode.clusterConfigs(2)) {
      nodes.add(NodeProcess.start(dir, c));
    }
    Recorder alice = new Recorder();
    Recorder bob = new Recorder();
    PhoenixClient ac = connect(alice, "alice");
    PhoenixClient bc = connect(bob, "bob");
    String epoch = ac.epoch();
    for (int i = 1; i <= 10; i++) {
      await(ac.send("bob", "m" + i));
      bc.delivered(bob.nextMessage("m" + i, i));
    }
    alice.states.clear();
    bob.states.clear();

    nodes.get(0).kill();
    List<Future<MessagePeerAckSignal>> sends = new ArrayList<>();
    for (int i = 11; i <= 20; i++) {
      sends.add(ac.send("bob", "m" + i)); // while the cluster notices and moves the partitions
    }
    for (Recorder r : List.of(alice, bob)) {
      StateChange back = r.nextState(ConnectionState.CONNECTED);
      assertFalse(back.epochChanged(), back::toString);
      assertEquals(epoch, back.epoch(), "the surviving member holds the same store");
    }
    // retries after 503 may be stored in another order than sent: match texts by offset
    Map<Long, String> byOffset = new TreeMap<>();
    for (int i = 11; i <= 20; i++) {
      byOffset.put(await(sends.get(i - 11)).getPeer().getOffset(), "m" + i);
    }
    assertEquals(List.of(11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L),
        List.copyOf(byOffset.keySet()), "the offsets go on, none skipped or reused");
    for (long o = 11; o <= 20; o++) {
      bob.nextMessage(byOffset.get(o), o);
    }
    assertTrue(bob.messages.isEmpty(), "nothing twice");
    await(Future.join(ac.close(), bc.close()));
  }
}

package io.phoenix.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on loopback, on one PostgreSQL (how a cluster runs). The recipient's
 * node is killed with SIGKILL while a sender on another node keeps sending: every ACCEPTED
 * message is then recovered by the recipient on a surviving node through SYNC and
 * PULL_REQUEST, with offsets 1..N and none reused or skipped; the dead node's directory
 * entries are removed; the node restarts, rejoins and routes.
 */
class ClusterFailoverIT {
  private static final Duration FAILOVER = Duration.ofSeconds(90);

  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();
  private final List<NodeProcess> nodes = processes.started();
  private final Vertx vertx = processes.vertx();

  /** Three members' configurations on a fresh PostgreSQL database. */
  private static List<JsonObject> onPostgres(List<JsonObject> configs) {
    String url = TestPostgres.newDatabase();
    for (JsonObject c : configs) {
      c.put("storage", TestPostgres.storage(url));
    }
    return configs;
  }

  private NodeProcess start(JsonObject config) throws Exception {
    NodeProcess n = NodeProcess.start(dir, config);
    nodes.add(n);
    return n;
  }

  /**
   * Sends until ACCEPTED with a final status; retries the same message_id after a 503. Fails
   * fast when the node says goodbye.
   */
  private static MessagePeerAckSignal sendUntilAccepted(TestClient c, Message m) {
    for (int attempt = 0; attempt < 20; attempt++) {
      c.send(m);
      long deadline = System.nanoTime() + FAILOVER.toNanos();
      while (true) {
        Frame f = c.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        if (f.getBodyCase() == Frame.BodyCase.GOODBYE) {
          throw new AssertionError("the node said goodbye: " + f.getGoodbye());
        }
        if (f.getBodyCase() == Frame.BodyCase.ACK
            && f.getAck().getMethod() == AckMethod.ACCEPTED_VALUE
            && f.getAck().getMessageId().equals(m.getMessageId())) {
          if (f.getAck().getStatusCode() != 503) {
            return f.getAck();
          }
          break;
        }
      }
    }
    throw new AssertionError("message " + m.getMessageId() + " never accepted");
  }

  @Test
  void killingTheRecipientsNodeLosesNothingAccepted() throws Exception {
    List<JsonObject> configs = onPostgres(TestNode.clusterConfigs(3));
    NodeProcess n1 = start(configs.get(0));
    NodeProcess n2 = start(configs.get(1));
    NodeProcess n3 = start(configs.get(2));

    TestClient alice = TestClient.login(vertx, Transport.TCP, n1, "alice", "phone");
    TestClient bob = TestClient.login(vertx, Transport.TCP, n3, "bob", "phone");

    Map<String, Long> accepted = new LinkedHashMap<>();
    int total = 300;
    int killAt = 100;
    for (int i = 1; i <= total; i++) {
      if (i == killAt) {
        n3.kill();
      }
      Message m = TestClient.message("m" + i, "bob").build();
      MessagePeerAckSignal ack = sendUntilAccepted(alice, m);
      assertTrue(ack.getStatusCode() == 200 || ack.getStatusCode() == 208,
          "status " + ack.getStatusCode() + " for m" + i);
      accepted.put(m.getMessageId(), ack.getPeer().getOffset());
    }
    bob.close();

    // The survivors drop the dead node's directory entries: bob is no longer reachable.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      Message typing = TestClient.message("probe-" + System.nanoTime(), "bob").setType(2).build();
      return alice.sendAndAwaitAccepted(typing).getStatusCode() == 404;
    });

    // Bob comes back on another node and recovers everything by SYNC + PULL_REQUEST.
    TestClient bobAgain = TestClient.login(vertx, Transport.TCP, n2, "bob", "phone");
    assertRecovers(bobAgain, accepted, total);

    // The killed node restarts, rejoins, and routes again.
    NodeProcess n3again = start(configs.get(2));
    TestClient bobTablet = TestClient.login(vertx, Transport.TCP, n3again, "bob", "tablet");
    MessagePeerAckSignal next = alice.sendAndAwaitAccepted(
        TestClient.message("after-restart", "bob").build());
    assertEquals(total + 1, next.getPeer().getOffset());
    Message onTablet = bobTablet.nextMessage();
    assertEquals("after-restart", onTablet.getMessageId());
    assertEquals(total + 1, onTablet.getPeer().getOffset());
    assertEquals("after-restart", bobAgain.nextMessage().getMessageId());
    alice.close();
    bobAgain.close();
    bobTablet.close();
  }

  /** SYNC lists the stream alice→bob at head N; PULL_REQUEST returns offsets 1..N as accepted. */
  private static void assertRecovers(TestClient bobAgain, Map<String, Long> accepted, int total) {
    assertRecoversAs(bobAgain, "alice", accepted, total);
  }

  private static void assertRecoversAs(TestClient bobAgain, String sender,
      Map<String, Long> accepted, int total) {
    String me = bobAgain.identity().getEid();
    List<MessagePeerAckSignal> listing = bobAgain.sync("sync-1");
    assertEquals(1, listing.size(), listing::toString);
    assertEquals(sender, listing.get(0).getPeer().getFrom());
    assertEquals(total, listing.get(0).getPeer().getOffset(),
        "head = number of accepted messages");

    Map<Long, String> pulled = new TreeMap<>();
    long after = 0;
    while (true) {
      bobAgain.send(TestClient.ack(AckMethod.PULL_REQUEST, "pull-" + after, sender, me, after)
          .build());
      Frame f;
      while ((f = bobAgain.next()).getBodyCase() == Frame.BodyCase.MESSAGE) {
        Message got = f.getMessage();
        assertEquals(null, pulled.put(got.getPeer().getOffset(), got.getMessageId()),
            "offset pulled twice");
        after = got.getPeer().getOffset();
      }
      int status = f.getAck().getStatusCode();
      if (status == 200) {
        break;
      }
      assertEquals(206, status);
    }
    assertEquals(total, pulled.size());
    for (Map.Entry<String, Long> e : accepted.entrySet()) {
      assertEquals(e.getKey(), pulled.get(e.getValue()),
          "ACCEPTED " + e.getKey() + " at offset " + e.getValue());
    }
    assertEquals(List.copyOf(pulled.keySet()), java.util.stream.LongStream.rangeClosed(1, total)
        .boxed().toList(), "offsets 1..N, none reused or skipped");
  }

  @Test
  void aRollingRestartWithSigtermLosesNothing() throws Exception {
    List<JsonObject> configs = onPostgres(TestNode.clusterConfigs(3));
    NodeProcess[] n = {start(configs.get(0)), start(configs.get(1)), start(configs.get(2))};
    TestClient[] alice = {TestClient.login(vertx, Transport.TCP, n[0], "carol", "phone")};

    Map<String, Long> accepted = new LinkedHashMap<>();
    int total = 180;
    CompletableFuture<Integer> stopping = null;
    int stoppingIndex = -1;
    // restart node 3, then node 2, then node 1 (carol's own node) while carol keeps sending
    Map<Integer, Integer> stopAt = Map.of(30, 2, 80, 1, 130, 0);
    for (int i = 1; i <= total; i++) {
      if (stopAt.containsKey(i)) {
        stoppingIndex = stopAt.get(i);
        NodeProcess leaving = n[stoppingIndex];
        stopping = CompletableFuture.supplyAsync(() -> {
          try {
            return leaving.terminate();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
      }
      if (stopping != null && i % 50 == 0) {
        assertEquals(0, stopping.get(90, TimeUnit.SECONDS), "exit code after SIGTERM");
        nodes.remove(n[stoppingIndex]);
        n[stoppingIndex] = start(configs.get(stoppingIndex));
        stopping = null;
      }
      Message m = TestClient.message("r" + i, "dave").build();
      MessagePeerAckSignal ack = null;
      while (ack == null) {
        try {
          ack = sendUntilAccepted(alice[0], m);
        } catch (AssertionError e) {
          // carol's node is going away (Goodbye 503 / closed): reconnect to a live node, retry
          alice[0].close();
          NodeProcess other = n[stoppingIndex == 1 ? 2 : 1];
          alice[0] = TestClient.login(vertx, Transport.TCP, other, "carol", "phone");
        }
      }
      assertTrue(ack.getStatusCode() == 200 || ack.getStatusCode() == 208,
          "status " + ack.getStatusCode() + " for r" + i);
      accepted.put(m.getMessageId(), ack.getPeer().getOffset());
    }
    if (stopping != null) {
      assertEquals(0, stopping.get(90, TimeUnit.SECONDS), "exit code after SIGTERM");
    }
    TestClient dave = TestClient.login(vertx, Transport.TCP, n[1], "dave", "phone");
    assertRecoversAs(dave, "carol", accepted, total);
    dave.close();
    alice[0].close();
  }
}

package io.phoenix.stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.phoenix.testing.Traffic;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, with {@code storage.acceptAfter commit}: a sender goes flat out while every node is
 * killed with SIGKILL; after a restart, every message that was ACCEPTED (200 or 208) is pullable
 * at the same offset with identical bytes, offsets are gapless, SYNC lists the stream, the next
 * message gets head + 1, a retry of an old message_id is answered 208 with its offset, and the
 * DELIVERED and READ positions are at least those the node last forwarded. On the embedded
 * default (one node) and on a three-node cluster on PostgreSQL.
 */
class DurabilityIT {
  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();
  private final List<NodeProcess> nodes = processes.started();
  private final Vertx vertx = processes.vertx();

  private List<NodeProcess> startAll(List<JsonObject> configs) throws Exception {
    List<CompletableFuture<NodeProcess>> starting = new ArrayList<>();
    for (JsonObject c : configs) {
      starting.add(CompletableFuture.supplyAsync(() -> {
        try {
          return NodeProcess.start(dir, c);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    List<NodeProcess> started = new ArrayList<>();
    for (CompletableFuture<NodeProcess> s : starting) {
      started.add(s.get(180, TimeUnit.SECONDS));
    }
    nodes.addAll(started);
    return started;
  }

  @Test
  void theEmbeddedDefaultLosesNothingAcceptedWhenTheNodeIsKilled() throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("storage").put("path", dir.resolve("db").toString());
    config.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    NodeProcess node = startAll(List.of(config)).get(0);
    Traffic traffic = runUntilKilled(List.of(node), node, node);
    NodeProcess again = startAll(List.of(config)).get(0);
    verify(traffic, again, again);
  }

  /**
   * {@code acceptAfter replicate}: ACCEPTED before the write, but written within
   * {@code storage.flushMs}: a kill -9 after that loses nothing.
   */
  @Test
  void replicateModeWritesWithinFlushMs() throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("storage").put("path", dir.resolve("db").toString())
        .put("acceptAfter", "replicate").put("flushMs", 100);
    config.getJsonObject("limits").put("pullBatch", 1000);
    NodeProcess node = startAll(List.of(config)).get(0);
    Map<String, Long> accepted = new HashMap<>();
    try (TestClient alice = TestClient.login(vertx, Transport.TCP, node, "alice", "phone")) {
      for (int i = 1; i <= 200; i++) {
        alice.send(TestClient.message("r" + i, "bob").build());
      }
      while (accepted.size() < 200) {
        MessagePeerAckSignal a = alice.nextAck();
        assertEquals(200, a.getStatusCode(), a::toString);
        accepted.put(a.getMessageId(), a.getPeer().getOffset());
      }
    }
    Thread.sleep(1_000); // ten times storage.flushMs
    node.kill();
    nodes.remove(node);
    NodeProcess again = startAll(List.of(config)).get(0);
    try (TestClient bob = TestClient.login(vertx, Transport.TCP, again, "bob", "phone")) {
      bob.send(TestClient.ack(AckMethod.PULL_REQUEST, "all", "alice", "bob", 0).build());
      Map<String, Long> stored = new HashMap<>();
      while (true) {
        Frame f = bob.next();
        if (f.getBodyCase() == Frame.BodyCase.MESSAGE) {
          stored.put(f.getMessage().getMessageId(), f.getMessage().getPeer().getOffset());
        } else if (f.getBodyCase() == Frame.BodyCase.ACK) {
          assertEquals(200, f.getAck().getStatusCode(), f.getAck()::toString);
          break;
        }
      }
      assertEquals(accepted, stored, "every message written within flushMs, at its offset");
    }
  }

  @Test
  void aPostgresClusterLosesNothingAcceptedWhenEveryNodeIsKilled() throws Exception {
    String url = TestPostgres.newDatabase();
    List<JsonObject> configs = TestNode.clusterConfigs(3);
    for (JsonObject c : configs) {
      c.put("storage", TestPostgres.storage(url));
      c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    }
    List<NodeProcess> cluster = startAll(configs);
    Traffic traffic = runUntilKilled(cluster, cluster.get(0), cluster.get(1));
    List<NodeProcess> again = startAll(configs);
    verify(traffic, again.get(2), again.get(1));
  }

  /**
   * alice on {@code senderNode} sends flat out to bob on {@code recipientNode} (over TCP and
   * WebSocket); once a few thousand are ACCEPTED, every node is killed mid-flight.
   */
  private Traffic runUntilKilled(List<NodeProcess> all, NodeProcess senderNode,
      NodeProcess recipientNode) throws Exception {
    TestClient alice = TestClient.login(vertx, Transport.TCP, senderNode, "alice", "phone");
    TestClient bob = TestClient.login(vertx, Transport.WS, recipientNode, "bob", "phone");
    Traffic traffic = new Traffic(alice, bob, 64);
    await().atMost(Duration.ofSeconds(120)).until(() -> traffic.accepted.size() >= 3000
        && traffic.lastRead.get() > 0);
    for (NodeProcess n : all) {
      n.kill(); // while the sender still sends
    }
    nodes.removeAll(all);
    traffic.stop();
    alice.close();
    bob.close();
    return traffic;
  }

  private void verify(Traffic before, NodeProcess senderNode, NodeProcess recipientNode) {
    assertTrue(before.accepted.size() >= 3000, "ran flat out before the kill");
    try (TestClient alice = TestClient.login(vertx, Transport.TCP, senderNode, "alice", "phone2");
         TestClient bob = TestClient.login(vertx, Transport.TCP, recipientNode, "bob", "phone2")) {
      // every offset from 1 to the head, gapless, each ACCEPTED message where it was told to be
      Map<Long, Message> stored = new HashMap<>();
      long after = 0;
      MessagePeerAckSignal end;
      do {
        bob.send(TestClient.ack(AckMethod.PULL_REQUEST, "p" + after, "alice", "bob", after)
            .build());
        while (true) {
          Frame f = bob.next(Duration.ofSeconds(30));
          if (f.getBodyCase() == Frame.BodyCase.MESSAGE) {
            Message m = f.getMessage();
            assertEquals(after + 1, m.getPeer().getOffset(), "gapless");
            stored.put(m.getPeer().getOffset(), m);
            after = m.getPeer().getOffset();
          } else if (f.getBodyCase() == Frame.BodyCase.ACK
              && f.getAck().getMethod() == AckMethod.PULL_REQUEST_VALUE) {
            end = f.getAck();
            break;
          }
        }
      } while (end.getStatusCode() == 206);
      long head = end.getPeer().getOffset();
      assertEquals(head, after, "pulled up to the head");
      for (Map.Entry<String, Long> a : before.accepted.entrySet()) {
        Message m = stored.get(a.getValue());
        assertTrue(m != null, "ACCEPTED " + a.getKey() + " at " + a.getValue() + " is lost");
        assertEquals(a.getKey(), m.getMessageId(), "offset " + a.getValue() + " names another");
        assertArrayEquals(before.payloads.get(a.getKey()), m.getPayload().toByteArray());
      }
      for (Map.Entry<Long, String> p : before.pushed.entrySet()) {
        assertEquals(p.getValue(), stored.get(p.getKey()).getMessageId(),
            "a pushed offset names the same message");
      }
      assertTrue(end.getPeer().getPeerOffset() >= before.lastDelivered.get(),
          "DELIVERED " + end.getPeer().getPeerOffset() + " went back below "
              + before.lastDelivered.get());

      List<MessagePeerAckSignal> sync = bob.sync("sync");
      long delivered = end.getPeer().getPeerOffset();
      if (head > delivered) {
        assertEquals(List.of(head), sync.stream().filter(s -> s.getPeer().getFrom()
            .equals("alice")).map(s -> s.getPeer().getOffset()).toList(), "SYNC lists it");
      }

      MessagePeerAckSignal next = alice.sendAndAwaitAccepted(
          TestClient.message("after-restart", "bob").build());
      assertEquals(200, next.getStatusCode(), next::toString);
      assertEquals(head + 1, next.getPeer().getOffset(), "the next message gets head + 1");

      String first = before.accepted.entrySet().stream().min(Map.Entry.comparingByValue())
          .orElseThrow().getKey();
      MessagePeerAckSignal retry = alice.sendAndAwaitAccepted(Message.newBuilder()
          .setMessageId(first).setTo(io.phoenix.protocol.v1.Identity.newBuilder().setEid("bob"))
          .setType(1).setPayload(com.google.protobuf.ByteString.copyFrom(
              before.payloads.get(first))).build());
      assertEquals(208, retry.getStatusCode(), retry::toString);
      assertEquals(before.accepted.get(first), retry.getPeer().getOffset());

      // READ kept: acknowledging what was read before the kill moves nothing (nothing forwarded)
      long read = before.lastRead.get();
      alice.barrier();
      assertEquals("after-restart", bob.nextMatching(f -> f.getBodyCase()
          == Frame.BodyCase.MESSAGE).getMessage().getMessageId(), "pushed (the retry is not)");
      bob.barrier();
      bob.send(TestClient.ack(AckMethod.READ, "re-read", "alice", "bob", read).build());
      assertEquals(List.of(), bob.barrier());
      assertEquals(List.of(), alice.barrier().stream()
          .filter(f -> f.getBodyCase() == Frame.BodyCase.ACK
              && f.getAck().getMethod() == AckMethod.READ_VALUE).toList(),
          "READ " + read + " was kept: acknowledging it again forwards nothing");
    }
  }
}

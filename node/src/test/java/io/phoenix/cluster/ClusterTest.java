package io.phoenix.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.MemberLinks;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Three nodes in one JVM form one cluster (PROTOCOL.md §8): clients on different nodes reach
 * each other, acks and copies cross nodes, a session on one node replaces one on another, and
 * a node id used twice is refused.
 */
class ClusterTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode n1;
  static TestNode n2;
  static TestNode n3;
  static List<JsonObject> configs;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    configs = TestNode.clusterConfigs(3);
    n1 = nodes.start(configs.get(0));
    n2 = nodes.start(configs.get(1));
    n3 = nodes.start(configs.get(2));
    vertx = nodes.vertx();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void messagesAcksAndCopiesCrossNodes(Transport t) {
    String a = "alice-x-" + t;
    String b = "bob-x-" + t;
    try (TestClient alicePhone = TestClient.login(vertx, t, n1, a, "phone");
         TestClient aliceLaptop = TestClient.login(vertx, t, n3, a, "laptop");
         TestClient bob = TestClient.login(vertx, t, n2, b, "phone");
         TestClient bobTablet = TestClient.login(vertx, t, n3, b, "tablet")) {
      for (int i = 1; i <= 20; i++) {
        MessagePeerAckSignal ack = alicePhone.sendAndAwaitAccepted(
            TestClient.message("x" + i, b).build());
        assertEquals(200, ack.getStatusCode());
        assertEquals(i, ack.getPeer().getOffset());
      }
      for (int i = 1; i <= 20; i++) {
        Message onBob = bob.nextMessage();
        assertEquals(i, onBob.getPeer().getOffset(), "per-stream order across nodes");
        assertEquals(n2.id(), onBob.getTo().getNode());
        assertEquals(n1.id(), onBob.getFrom().getNode());
        Message onTablet = bobTablet.nextMessage();
        assertEquals(i, onTablet.getPeer().getOffset());
        assertEquals(n3.id(), onTablet.getTo().getNode());
        Message copy = aliceLaptop.nextMessage();
        assertEquals("x" + i, copy.getMessageId());
      }
      bob.send(TestClient.ack(AckMethod.READ, "x20", a, b, 20).build());
      MessagePeerAckSignal read = alicePhone.nextAck();
      assertEquals(AckMethod.READ_VALUE, read.getMethod());
      assertEquals(20, read.getPeer().getPeerOffset());
      assertEquals(AckMethod.READ_VALUE, aliceLaptop.nextAck().getMethod());
      assertEquals(AckMethod.READ_VALUE, bobTablet.nextAck().getMethod());
      assertTrue(bob.barrier().isEmpty(), "the acknowledging session gets nothing back");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSessionOnAnotherNodeReplacesTheOldOne(Transport t) {
    String eid = "carol-x-" + t;
    try (TestClient first = TestClient.login(vertx, t, n1, eid, "phone");
         TestClient second = TestClient.login(vertx, t, n2, eid, "phone");
         TestClient dave = TestClient.login(vertx, t, n3, "dave-x-" + t, "d")) {
      assertEquals(409, first.expectGoodbye().getStatusCode());
      assertEquals(200, dave.sendAndAwaitAccepted(TestClient.message("r1", eid).build())
          .getStatusCode());
      assertEquals("r1", second.nextMessage().getMessageId());
    }
  }

  @Test
  void deviceMessagesReachOtherNodesAndReport404WhenNobodyIsOnline() {
    Transport t = Transport.TCP;
    try (TestClient erin = TestClient.login(vertx, t, n1, "erin-x", "e");
         TestClient frank = TestClient.login(vertx, t, n2, "frank-x", "f")) {
      Message typing = TestClient.message("typing-1", "frank-x").setType(2).build();
      assertEquals(200, erin.sendAndAwaitAccepted(typing).getStatusCode());
      Frame got = frank.next();
      assertEquals("typing-1", got.getMessage().getMessageId());
      assertTrue(!got.getMessage().hasPeer());
      Message nobody = TestClient.message("typing-2", "nobody-x").setType(2).build();
      assertEquals(404, erin.sendAndAwaitAccepted(nobody).getStatusCode());
    }
  }

  @Test
  void everyMemberNamesTheSameEpoch() {
    assertFalse(n1.node().epoch().isEmpty());
    assertEquals(n1.node().epoch(), n2.node().epoch());
    assertEquals(n1.node().epoch(), n3.node().epoch());
  }

  /**
   * A member may bind any address of loopback, as several members on one machine do to keep
   * their ports apart: Hazelcast's interface matching knows only 127.0.0.1 and refused to start.
   */
  @Test
  void aMemberOnAnotherLoopbackAddressJoinsAndBindsThatAddressOnly() throws Exception {
    assumeTrue(MemberLinks.bindable("127.0.0.2"), "this machine does not bind 127.0.0.2");
    JsonObject alias = configs.get(0).copy();
    int port = TestNode.freePort();
    alias.getJsonObject("node").put("id", "alias-" + port);
    alias.getJsonObject("cluster").put("host", "127.0.0.2").put("port", port).put("members",
        configs.get(0).getJsonObject("cluster").getJsonArray("members").copy()
            .add("127.0.0.2:" + port));
    try (TestNode n4 = TestNode.start(alias);
         TestClient a = TestClient.login(vertx, Transport.TCP, n4, "alias-a", "phone");
         TestClient b = TestClient.login(vertx, Transport.TCP, n1, "alias-b", "phone")) {
      assertEquals(200, a.sendAndAwaitAccepted(TestClient.message("alias-1", "alias-b").build())
          .getStatusCode());
      assertEquals("alias-1", b.nextMessage().getMessageId());
      new java.net.Socket("127.0.0.2", port).close();
      assertThrows(java.net.ConnectException.class, () -> new java.net.Socket("127.0.0.1", port));
    }
  }

  @Test
  void aSecondNodeWithTheSameIdIsRefused() {
    JsonObject twin = configs.get(0).copy();
    int port = TestNode.freePort();
    twin.getJsonObject("cluster").put("port", port).put("members",
        configs.get(0).getJsonObject("cluster").getJsonArray("members").copy()
            .add("127.0.0.1:" + port));
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalStateException.class, () -> TestNode.start(twin));
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    assertTrue(root.getMessage().contains("is already used"), root.getMessage());
  }
}

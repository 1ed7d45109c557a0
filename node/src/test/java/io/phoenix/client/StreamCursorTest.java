package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stream cursors through real nodes: a client follows each stream by offset and new messages
 * always show, whether a node comes back with a new store (memory only, or an embedded
 * database on a new disk: a new Welcome.epoch, offsets from 1 again) or with the one it had
 * (embedded, PostgreSQL, or a cluster member restarted while another kept the store: the same
 * epoch, offsets go on), for a device that joined mid-stream and after thousands of messages. (Fail-over to another member: {@link ClientFailoverTest} and
 * {@code ClientKillFailoverIT}.)
 */
class StreamCursorTest {
  static final int LONG_STREAM = 2_000;

  Vertx vertx;
  final List<PhoenixClient> clients = new ArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    clients.forEach(c -> c.close().await());
    vertx.close().await();
  }

  private PhoenixClient connect(NodeRecorder r, String eid, String resource, TestNode... nodes) {
    PhoenixClient c = r.builder(vertx, Transport.TCP, eid, nodes).resourceId(resource)
        .token(() -> Future.succeededFuture(nodes[0].token(eid))).build();
    clients.add(c);
    await(c.connect());
    return c;
  }

  /** A node on fixed ports, so that it can be started again where its clients look for it. */
  private static JsonObject fixedPorts(JsonObject config) {
    config.getJsonObject("tcp").put("port", TestNode.freePort());
    config.getJsonObject("http").put("port", TestNode.freePort());
    config.getJsonObject("limits").put("messagesPerSecond", 100_000);
    return config;
  }

  /** Sends {@code n} messages "prefix1".. from {@code sender}; returns the ACCEPTED offsets. */
  private static List<Long> send(PhoenixClient sender, String to, String prefix, int n) {
    List<Future<MessagePeerAckSignal>> sends = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      sends.add(sender.send(to, prefix + i));
    }
    return sends.stream().map(f -> await(f).getPeer().getOffset()).toList();
  }

  /** Takes {@code n} messages "prefix1".. at offsets first, first + 1, …; acknowledges them. */
  private static void receive(NodeRecorder r, PhoenixClient c, String prefix, int n, long first) {
    Message m = null;
    for (int i = 1; i <= n; i++) {
      m = r.nextMessage(prefix + i, first + i - 1);
    }
    c.delivered(m);
  }

  /** Skips the sender's ticks until DELIVERED reaches {@code offset}. */
  private static MessagePeerAckSignal deliveredUpTo(NodeRecorder sender, long offset) {
    while (true) {
      MessagePeerAckSignal tick = sender.nextAck();
      if (tick.getMethod() == AckMethod.DELIVERED_VALUE && tick.getPeer().getOffset() >= offset) {
        assertEquals(offset, tick.getPeer().getOffset());
        return tick;
      }
    }
  }

  /** How a node comes back: with the store it had (same epoch) or with a new, empty one. */
  enum Restart {
    MEMORY(false), EMBEDDED_NEW_DISK(false), EMBEDDED(true), POSTGRESQL(true);

    final boolean keepsStore;

    Restart(boolean keepsStore) {
      this.keepsStore = keepsStore;
    }

    void configure(JsonObject config) {
      switch (this) {
        case MEMORY -> config.put("storage", new JsonObject().put("type", "memory"));
        case POSTGRESQL -> config.put("storage", TestPostgres.storage(TestPostgres.newDatabase()));
        default -> { } // TestNode's default: embedded, in a directory of its own
      }
    }

    /** The configuration the node comes back with. */
    JsonObject after(JsonObject config) {
      JsonObject again = config.copy();
      if (this == EMBEDDED_NEW_DISK) {
        again.getJsonObject("storage").put("path", TestNode.dataDir().toString());
      }
      return again;
    }
  }

  @ParameterizedTest
  @EnumSource(Restart.class)
  void newMessagesShowOnEveryDeviceAfterANodeRestart(Restart restart) {
    JsonObject config = fixedPorts(TestNode.config());
    restart.configure(config);
    TestNode node = TestNode.start(config);
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    NodeRecorder bobTablet = new NodeRecorder();
    PhoenixClient ac = connect(alice, "alice", "laptop", node);
    PhoenixClient bc = connect(bob, "bob", "phone", node);
    String before = ac.epoch();
    assertFalse(before.isEmpty(), "the node names its store");

    send(ac, "bob", "m", LONG_STREAM);
    receive(bob, bc, "m", LONG_STREAM, 1);
    deliveredUpTo(alice, LONG_STREAM);
    // a second device of bob's joins mid-stream: it never saw the low offsets
    PhoenixClient tablet = connect(bobTablet, "bob", "tablet", node);
    send(ac, "bob", "mid", 3);
    receive(bob, bc, "mid", 3, LONG_STREAM + 1);
    receive(bobTablet, tablet, "mid", 3, LONG_STREAM + 1);
    deliveredUpTo(alice, LONG_STREAM + 3); // bob's phone; the tablet's is no news

    List.of(alice, bob, bobTablet).forEach(r -> r.states.clear());
    node.close();
    node = TestNode.start(restart.after(config));
    try {
      for (NodeRecorder r : List.of(alice, bob, bobTablet)) {
        StateChange back = r.nextState(ConnectionState.CONNECTED);
        assertEquals(!restart.keepsStore, back.epochChanged(), back::toString);
        assertEquals(restart.keepsStore, before.equals(back.epoch()), back::toString);
      }
      long first = restart.keepsStore ? LONG_STREAM + 4 : 1;
      assertEquals(List.of(first, first + 1, first + 2, first + 3),
          send(ac, "bob", "after", 4));
      receive(bob, bc, "after", 4, first);
      receive(bobTablet, tablet, "after", 4, first);
      deliveredUpTo(alice, first + 3); // ✓✓ for the messages after the restart

      // and the other way round: bob's stream to alice was never used before the restart
      assertEquals(List.of(1L), send(bc, "alice", "hi", 1));
      alice.nextMessage("hi1", 1);
      bobTablet.nextMessage("hi1", 1); // the copy for bob's other device
      assertTrue(bob.messages.isEmpty() && bobTablet.messages.isEmpty(), "nothing twice");
    } finally {
      node.close();
    }
  }

  @Test
  void aRestartThatKeepsTheStoreContinuesTheOffsets() {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    JsonObject first = fixedPorts(configs.get(0));
    TestNode a = TestNode.start(first);
    TestNode b = TestNode.start(fixedPorts(configs.get(1)));
    try {
      NodeRecorder alice = new NodeRecorder();
      NodeRecorder bob = new NodeRecorder();
      NodeRecorder bobTablet = new NodeRecorder();
      PhoenixClient ac = connect(alice, "carol", "laptop", a, b);
      PhoenixClient bc = connect(bob, "dave", "phone", a, b);
      String epoch = ac.epoch();
      send(ac, "dave", "m", LONG_STREAM);
      receive(bob, bc, "m", LONG_STREAM, 1);
      deliveredUpTo(alice, LONG_STREAM);
      PhoenixClient tablet = connect(bobTablet, "dave", "tablet", a, b);

      List.of(alice, bob, bobTablet).forEach(r -> r.states.clear());
      a.close(); // the store lives on in b
      a = TestNode.start(first);
      for (NodeRecorder r : List.of(alice, bob, bobTablet)) {
        StateChange back = r.nextState(ConnectionState.CONNECTED);
        assertFalse(back.epochChanged(), back::toString);
        assertEquals(epoch, back.epoch());
      }
      List<Long> offsets = send(ac, "dave", "after", 3);
      assertEquals(List.of(LONG_STREAM + 1L, LONG_STREAM + 2L, LONG_STREAM + 3L), offsets);
      receive(bob, bc, "after", 3, LONG_STREAM + 1);
      receive(bobTablet, tablet, "after", 3, LONG_STREAM + 1);
      assertTrue(bob.messages.isEmpty(), "nothing delivered twice");
    } finally {
      a.close();
      b.close();
    }
  }
}

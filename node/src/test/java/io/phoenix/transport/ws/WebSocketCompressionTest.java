package io.phoenix.transport.ws;

import static io.phoenix.testing.TestClient.message;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A WebSocket client that offers permessage-deflate, as browsers always do: by default the node
 * declines the offer; with {@code http.webSocketCompression} it takes it. Either way frames go
 * both ways intact, many of them back to back.
 */
class WebSocketCompressionTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode plain;
  static TestNode compressing;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    plain = nodes.start();
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("webSocketCompression", true);
    compressing = nodes.start(config);
    vertx = nodes.vertx();
  }

  /** Exchanges frames with a deflate-offering client; returns the extensions the node chose. */
  private static String exchange(TestNode node) {
    WebSocketClientOptions deflate = new WebSocketClientOptions()
        .setTryUsePerMessageCompression(true);
    try (TestClient bob = TestClient.connectWebSocket(vertx, node, deflate)
            .login(node, "bob-deflate", "browser");
         TestClient alice = TestClient.login(vertx, Transport.TCP, node, "alice-deflate",
             "phone")) {
      int count = 200;
      for (int i = 1; i <= count; i++) {
        alice.send(message("m" + i, "bob-deflate")
            .setPayload(ByteString.copyFromUtf8(("payload " + i + " ").repeat(50))).build());
      }
      for (int i = 1; i <= count; i++) {
        Message m = bob.nextMessage();
        assertEquals("m" + i, m.getMessageId());
        assertEquals(i, m.getPeer().getOffset());
        assertEquals(("payload " + i + " ").repeat(50), m.getPayload().toStringUtf8());
      }
      assertEquals(200, bob.sendAndAwaitAccepted(message("back", "alice-deflate").build())
          .getStatusCode());
      assertEquals("back", alice.nextMatching(f -> f.hasMessage()).getMessage().getMessageId());
      return bob.handshakeHeaders().get("Sec-WebSocket-Extensions");
    }
  }

  @Test
  void byDefaultTheOfferIsDeclinedAndFramesGoUncompressed() {
    assertNull(exchange(plain), "no extension negotiated");
  }

  @Test
  void withWebSocketCompressionTheOfferIsTakenAndFramesGoBothWaysIntact() {
    String extensions = exchange(compressing);
    assertTrue(extensions != null && extensions.contains("permessage-deflate"),
        "negotiated: " + extensions);
  }

  /**
   * Vert.x runs no close handler for a connection it upgraded to a WebSocket: the socket each
   * holds in {@code limits.maxConnections} must be given back when the WebSocket closes, or a
   * node with compression on ends up refusing every connection.
   */
  @Test
  void withWebSocketCompressionAClosedSessionGivesItsSocketBack() {
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("webSocketCompression", true);
    config.getJsonObject("limits").put("maxConnections", 3);
    WebSocketClientOptions deflate = new WebSocketClientOptions()
        .setTryUsePerMessageCompression(true);
    try (TestNode node = TestNode.start(config)) {
      // the bound holds for these sockets: three sessions open, a fourth connection is refused
      List<TestClient> held = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        held.add(TestClient.connectWebSocket(vertx, node, deflate).login(node, "dave-" + i,
            "browser"));
      }
      assertThrows(Throwable.class, () -> TestClient.connectWebSocket(vertx, node, deflate)
          .login(node, "eve", "browser"), "a fourth connection past limits.maxConnections 3");
      for (TestClient c : held) {
        c.close();
        c.awaitClosed();
      }
      for (int i = 1; i <= 10; i++) {
        String eid = "carol-" + i;
        // the node sees the previous close a moment after the client: wait for it, not forever
        TestClient carol = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
            .until(() -> TestClient.connectWebSocket(vertx, node, deflate)
                .login(node, eid, "browser"), c -> true);
        carol.close();
        carol.awaitClosed();
      }
    }
  }

  /**
   * With compression Vert.x's server has the port, WebSocket sessions included: a connection
   * that sends nothing is closed after an idle timeout one heartbeat past the session's own
   * limit (4 s here), a silent session still gets its Goodbye 408 first, and a session that
   * pings stays open past that timeout.
   */
  @Test
  void withWebSocketCompressionIdleConnectionsCloseAndSessionsMeetTheirHeartbeatFirst()
      throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("http").put("webSocketCompression", true);
    config.getJsonObject("limits").put("heartbeatSeconds", 1);
    WebSocketClientOptions deflate = new WebSocketClientOptions()
        .setTryUsePerMessageCompression(true);
    ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor();
    try (TestNode node = TestNode.start(config);
         Socket idle = new Socket("127.0.0.1", node.httpPort());
         TestClient silent = TestClient.connectWebSocket(vertx, node, deflate)
             .login(node, "dave-silent", "browser");
         TestClient pinging = TestClient.connectWebSocket(vertx, node, deflate)
             .login(node, "erin-pinging", "browser")) {
      long opened = System.nanoTime();
      AtomicLong stamp = new AtomicLong();
      pinger.scheduleAtFixedRate(() -> pinging.send(Frame.newBuilder()
          .setPing(Ping.newBuilder().setTimestamp(stamp.incrementAndGet())).build()),
          0, 500, TimeUnit.MILLISECONDS); // traffic, not synchronisation
      idle.setSoTimeout(15_000);
      assertEquals(-1, idle.getInputStream().read(), "an idle HTTP connection is closed");
      Frame f = silent.next(Duration.ofSeconds(8));
      assertEquals(408, f.getGoodbye().getStatusCode(), () -> "expected Goodbye 408, got " + f);
      // pings for 6 s, past the 4 s after which the idle connection was closed
      long left = TimeUnit.SECONDS.toNanos(6) - (System.nanoTime() - opened);
      if (left > 0) {
        TimeUnit.NANOSECONDS.sleep(left);
      }
      pinger.shutdownNow();
      assertTrue(pinger.awaitTermination(5, TimeUnit.SECONDS));
      assertFalse(pinging.isClosed(), "a session with traffic every 500 ms was closed");
      assertTrue(pinging.drain().stream().allMatch(Frame::hasPong), "only Pongs");
      assertEquals(200, pinging.sendAndAwaitAccepted(message("still", "dave-silent").build())
          .getStatusCode());
    } finally {
      pinger.shutdownNow();
    }
  }
}

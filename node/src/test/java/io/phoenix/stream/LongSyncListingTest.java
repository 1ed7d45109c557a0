package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A SYNC listing longer than {@code limits.maxOutboundBytes} (PROTOCOL.md §6: one signal per
 * stream into the client whose head is beyond what it acknowledged, then the 204 terminator):
 * every stream is listed and the session stays open. The client asked for it once and reads
 * it; it is not a slow consumer.
 */
class LongSyncListingTest {
  static final int SENDERS = 400;
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("maxOutboundBytes", 65_536);
    node = TestNode.start(config);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
    node.close();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void everyPendingStreamIsListedEvenPastMaxOutboundBytes(Transport t) {
    String b = "bob-" + t + "-many";
    for (int i = 0; i < SENDERS; i++) {
      try (TestClient s = TestClient.login(vertx, t, node, "s" + i + "-" + t, "phone")) {
        MessagePeerAckSignal ok = s.sendAndAwaitAccepted(TestClient.message("m", b).build());
        assertEquals(200, ok.getStatusCode(), ok::toString);
      }
    }
    try (TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
      List<MessagePeerAckSignal> listed = b1.sync("sync-many");
      Set<String> from = listed.stream().map(s -> s.getPeer().getFrom())
          .collect(Collectors.toSet());
      assertEquals(SENDERS, listed.size());
      assertEquals(SENDERS, from.size());
      assertEquals(List.of(), b1.barrier(), "the session is still open, nothing more sent");
      // and it still answers a second time
      assertEquals(SENDERS, b1.sync("sync-again").size());
    }
  }
}

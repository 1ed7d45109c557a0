package io.phoenix.router;

import static io.phoenix.testing.TestClient.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The last check of PROTOCOL.md §5, the session's rate limit, on a node configured with
 * {@code limits.messagesPerSecond = 5}: a burst beyond it is answered ACCEPTED 429 message by
 * message, and a 429'd message is neither stored (no offset used) nor delivered.
 */
class RateLimitTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final int PER_SECOND = 5;
  private static final int BURST = 30;

  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("messagesPerSecond", PER_SECOND);
    node = nodes.start(config);
    vertx = nodes.vertx();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void burstBeyondTheLimitIsAnswered429AndNotDelivered(Transport t) {
    String a = "alice-" + t + "-rate";
    String b = "bob-" + t + "-rate";
    try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
         TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
      long start = System.nanoTime();
      for (int i = 1; i <= BURST; i++) {
        a1.send(message("m" + i, b).build());
      }
      Set<String> accepted = new HashSet<>();
      Set<String> limited = new HashSet<>();
      Set<String> answered = new HashSet<>();
      for (int i = 1; i <= BURST; i++) {
        MessagePeerAckSignal ack = a1.nextAck();
        assertEquals(AckMethod.ACCEPTED_VALUE, ack.getMethod(), () -> "got " + ack);
        assertTrue(answered.add(ack.getMessageId()), () -> "answered twice: " + ack);
        if (ack.getStatusCode() == 200) {
          accepted.add(ack.getMessageId());
        } else {
          assertEquals(429, ack.getStatusCode(), () -> "got " + ack);
          assertFalse(ack.hasPeer(), "a refusal carries no peer");
          limited.add(ack.getMessageId());
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      // A full bucket of PER_SECOND, plus what refilled while the burst was being answered.
      long allowed = PER_SECOND + (long) Math.ceil(seconds * PER_SECOND) + 1;
      assertFalse(limited.isEmpty(), "no 429 in a burst of " + BURST);
      assertTrue(accepted.size() <= allowed,
          () -> accepted.size() + " accepted in " + seconds + " s, at most " + allowed);

      // B gets exactly the accepted ones, at offsets 1..n: a 429 used no offset.
      List<String> got = new ArrayList<>();
      for (int i = 1; i <= accepted.size(); i++) {
        Message m = b1.nextMessage();
        assertEquals(i, m.getPeer().getOffset());
        got.add(m.getMessageId());
      }
      assertEquals(accepted, new HashSet<>(got));
      assertEquals(List.of(), b1.barrier(), "a 429'd message was delivered");
    }
  }
}

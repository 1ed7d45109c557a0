package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Answers that add up to more than {@code limits.maxOutboundBytes} reach a client that reads
 * them, in order, without making it a slow consumer (the session stays open):
 * <ul>
 *   <li>a SYNC listing of more streams than the bound holds (PROTOCOL.md §6: one signal per
 *       stream into the client whose head is beyond what it acknowledged, then the 204
 *       terminator), asked for once;</li>
 *   <li>PULL_REQUESTs sent back to back (a client that pulls every stream SYNC listed without
 *       waiting for each answer), each answer within a quarter of the bound (docs/protocol.md
 *       item 24).</li>
 * </ul>
 */
class LongAnswersTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static final int SENDERS = 400;
  static final int PULLS = 12;
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("maxOutboundBytes", 65_536);
    node = nodes.start(config);
    vertx = nodes.vertx();
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

  @ParameterizedTest
  @EnumSource(Transport.class)
  void pipelinedPullsAreAllAnsweredInOrder(Transport t) {
    String a = "alice-" + t + "-pipelined";
    String b = "bob-" + t + "-pipelined";
    ByteString body = ByteString.copyFrom(new byte[2_000]);
    try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone")) {
      for (int i = 1; i <= 40; i++) {
        MessagePeerAckSignal ok = a1.sendAndAwaitAccepted(
            TestClient.message("m" + i, b).setPayload(body).build());
        assertEquals(200, ok.getStatusCode(), ok::toString);
      }
    }
    try (TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
      for (int i = 0; i < PULLS; i++) {
        b1.send(TestClient.ack(AckMethod.PULL_REQUEST, "p" + i, a, b, 0).build());
      }
      for (int i = 0; i < PULLS; i++) {
        List<Long> offsets = new ArrayList<>();
        while (true) {
          Frame f = b1.next();
          if (f.getBodyCase() == Frame.BodyCase.MESSAGE) {
            offsets.add(f.getMessage().getPeer().getOffset());
            continue;
          }
          assertEquals(Frame.BodyCase.ACK, f.getBodyCase(), f::toString);
          assertEquals("p" + i, f.getAck().getMessageId(), f::toString);
          assertEquals(206, f.getAck().getStatusCode(), f::toString);
          break;
        }
        assertEquals(1L, offsets.get(0));
        assertEquals(offsets.size(), offsets.get(offsets.size() - 1));
      }
      assertEquals(List.of(), b1.barrier(), "the session is still open, nothing more sent");
    }
  }
}

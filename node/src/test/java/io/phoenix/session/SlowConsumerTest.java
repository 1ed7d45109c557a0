package io.phoenix.session;

import static io.phoenix.testing.TestClient.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The slow consumer of docs/protocol.md (item 7), through real sockets: a receiver that stops
 * reading lets the node's writes pile up in the socket buffers, then in the node; past
 * {@code limits.maxOutboundBytes} its session is closed with Goodbye 503. What was written before
 * arrives in order ahead of the Goodbye, the sender is answered 200 throughout (messages are
 * stored whatever the receiver does), and the node goes on serving: the receiver connects again
 * and gets the next message.
 */
class SlowConsumerTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final int MAX_OUTBOUND = 65_536;
  private static final int PAYLOAD = 32 * 1024;
  /** 64 MB at most: far beyond what loopback socket buffers hold. */
  private static final int MAX_MESSAGES = 2_000;

  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("maxOutboundBytes", MAX_OUTBOUND)
        .put("messagesPerSecond", 100_000);
    node = nodes.start(config);
    vertx = nodes.vertx();
  }

  private static double slowConsumerGoodbyes() {
    Counter c = node.node().metrics().registry().find("phoenix_rejections").tag("status", "503")
        .counter();
    return c == null ? 0 : c.count();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aReceiverThatStopsReadingIsClosedWithGoodbye503AndNothingElseSuffers(Transport t) {
    String a = "alice-" + t + "-slow";
    String b = "bob-" + t + "-slow";
    byte[] body = new byte[PAYLOAD];
    Arrays.fill(body, (byte) 'x');
    ByteString payload = ByteString.copyFrom(body);
    try (TestClient alice = TestClient.login(vertx, Transport.TCP, node, a, "phone");
         TestClient bob = TestClient.login(vertx, t, node, b, "phone")) {
      double before = slowConsumerGoodbyes();
      bob.pauseReading();
      int sent = 0;
      while (slowConsumerGoodbyes() == before) {
        assertTrue(sent < MAX_MESSAGES, "no slow-consumer Goodbye after " + sent + " messages");
        sent++;
        Message m = message("m" + sent, b).setPayload(payload).build();
        assertEquals(200, alice.sendAndAwaitAccepted(m).getStatusCode());
      }

      bob.resumeReading();
      long expected = 1;
      Goodbye goodbye = null;
      while (goodbye == null) {
        Frame f = bob.next();
        if (f.getBodyCase() == Frame.BodyCase.GOODBYE) {
          goodbye = f.getGoodbye();
        } else if (f.getBodyCase() == Frame.BodyCase.MESSAGE) {
          assertEquals(expected++, f.getMessage().getPeer().getOffset(), "pushes in order");
        }
      }
      assertEquals(503, goodbye.getStatusCode());
      assertTrue(goodbye.getReason().startsWith("slow consumer: more than " + MAX_OUTBOUND),
          goodbye.getReason());
      assertTrue(expected - 1 < sent, "some pushes were still waiting: " + (expected - 1)
          + " of " + sent + " arrived before the Goodbye");
      bob.awaitClosed();

      try (TestClient again = TestClient.login(vertx, t, node, b, "phone")) {
        Message after = message("after", b).build();
        assertEquals(200, alice.sendAndAwaitAccepted(after).getStatusCode());
        Message got = again.nextMatching(f -> f.getBodyCase() == Frame.BodyCase.MESSAGE
            && f.getMessage().getMessageId().equals("after")).getMessage();
        assertEquals(sent + 1, got.getPeer().getOffset(), "the stream went on, gapless");
      }
    }
  }
}

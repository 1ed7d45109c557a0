package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.testing.Http;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code limits.signalsPerSecond} through real sockets (docs/protocol.md item 28a): a client
 * sending ack signals faster than the limit has every one of them answered, and is then not
 * read again until the bucket has paid for them, so a frame it sends afterwards waits. The hold
 * is not the client's silence (heartbeat of one second, a hold of up to six), and another
 * session of the same node is served meanwhile.
 */
class SignalPacingTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final int PER_SECOND = 20;
  /**
   * A full bucket, then six seconds' worth more. Read in one go (as the WebSocket frames are
   * here), they owe one hold of about six heartbeats, which the once-a-second check of silence
   * sees past three; read in smaller chunks (TCP here), they owe several shorter holds.
   */
  private static final int SIGNALS = PER_SECOND + 6 * PER_SECOND;

  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("signalsPerSecond", PER_SECOND).put("heartbeatSeconds", 1);
    node = nodes.start(config);
    vertx = nodes.vertx();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void signalsOverTheLimitAreAnsweredAndTheClientIsReadMoreSlowly(Transport t) throws Exception {
    double pacedBefore = paced();
    try (TestClient alice = TestClient.login(vertx, t, node, "alice-pace-" + t, "phone")) {
      long start = System.nanoTime();
      for (int i = 0; i < SIGNALS; i++) {
        alice.send(MessagePeerAckSignal.newBuilder().setMethod(AckMethod.SYNC_VALUE)
            .setMessageId("s" + i).build());
      }
      // nothing is refused: each SYNC gets its listing's end (the client has no streams)
      for (int i = 0; i < SIGNALS; i++) {
        MessagePeerAckSignal end = alice.nextAck();
        assertEquals(AckMethod.SYNC_VALUE, end.getMethod(), end::toString);
        assertEquals(204, end.getStatusCode(), end::toString);
        assertEquals("s" + i, end.getMessageId(), "answered in the order asked");
      }
      alice.send(Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(1)).build());

      // another session is served while alice's reading is held
      try (TestClient bob = TestClient.login(vertx, t, node, "bob-pace-" + t, "phone")) {
        bob.send(Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(2)).build());
        Frame bobs = bob.next();
        assertEquals(Frame.BodyCase.PONG, bobs.getBodyCase(), bobs::toString);
        assertNull(alice.poll(Duration.ZERO), "alice's Ping was read while she owed signals");
      }

      // read once the bucket has paid for every signal beyond its burst, and not closed as
      // silent although the hold lasted more than three heartbeats
      Frame pong = alice.next();
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(Frame.BodyCase.PONG, pong.getBodyCase(), pong::toString);
      double owed = (double) (SIGNALS - PER_SECOND) / PER_SECOND;
      assertTrue(seconds >= owed, "Ping answered after " + seconds + " s, before the "
          + owed + " s the signals beyond the burst take at " + PER_SECOND + "/s");
      assertTrue(paced() > pacedBefore, "phoenix_signals_paced_total did not move");
    }
  }

  private static double paced() throws Exception {
    return Http.metric(Http.get("http://127.0.0.1:" + node.httpPort() + "/metrics").body(),
        "phoenix_signals_paced_total");
  }
}

package io.phoenix.transport.ws;

import static io.phoenix.testing.TestClient.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Messages whose WebSocket frames need each of RFC 6455's three length forms (7 bits, 16 bits,
 * 64 bits), back to back through a real node configured for frames that large.
 */
class WebSocketFramesTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final int MAX_FRAME = 300_000;
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("maxFrameBytes", MAX_FRAME);
    node = nodes.start(config);
    vertx = nodes.vertx();
  }

  @Test
  void theHeaderLengthIsWhatAFrameIsWrittenWith() {
    for (int n : new int[] {0, 1, 125, 126, 65_535, 65_536, MAX_FRAME}) {
      Buffer out = Buffer.buffer();
      WebSocketFrames.append(out, WebSocketFrames.BINARY, Buffer.buffer(new byte[n]));
      assertEquals(WebSocketFrames.headerLength(n) + n, out.length(), "payload of " + n);
    }
  }

  @Test
  void messagesOfEveryFrameLengthFormArriveIntactBackToBack() {
    WebSocketClientOptions big = new WebSocketClientOptions().setMaxFrameSize(MAX_FRAME)
        .setMaxMessageSize(MAX_FRAME);
    int[] sizes = {10, 100, 1_000, 60_000, 70_000, 250_000, 5, 130, 65_000};
    try (TestClient bob = TestClient.connectWebSocket(vertx, node, big)
            .login(node, "bob-frames", "browser");
         TestClient alice = TestClient.login(vertx, Transport.TCP, node, "alice-frames",
             "phone")) {
      Random random = new Random(11);
      byte[][] payloads = new byte[sizes.length][];
      for (int i = 0; i < sizes.length; i++) {
        payloads[i] = new byte[sizes[i]];
        random.nextBytes(payloads[i]);
        alice.send(message("m" + i, "bob-frames").setPayload(ByteString.copyFrom(payloads[i]))
            .build());
      }
      for (int i = 0; i < sizes.length; i++) {
        Message m = bob.nextMessage();
        assertEquals("m" + i, m.getMessageId());
        assertArrayEquals(payloads[i], m.getPayload().toByteArray(), "payload of " + sizes[i]);
      }
    }
  }
}

package io.phoenix.transport.ws;

import static io.phoenix.testing.TestClient.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The frames the WebSocket transport lays out itself (without compression): read back by
 * Netty's own WebSocket decoder, which insists on RFC 6455's rules (unmasked from a server,
 * lengths in the fewest bytes), at every length boundary; and through a real node, messages
 * whose frames need each of the three length forms, back to back.
 */
class WebSocketFramesTest {
  private static final int MAX_FRAME = 300_000;
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("maxFrameBytes", MAX_FRAME);
    node = TestNode.start(config);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
    node.close();
  }

  @Test
  void headersAtEveryLengthBoundaryAreReadBackByNettysDecoder() {
    int[] lengths = {0, 1, 125, 126, 127, 65_535, 65_536, 65_537, 250_000};
    Random random = new Random(7);
    Buffer out = Buffer.buffer();
    byte[][] payloads = new byte[lengths.length][];
    for (int i = 0; i < lengths.length; i++) {
      payloads[i] = new byte[lengths[i]];
      random.nextBytes(payloads[i]);
      WebSocketConnection.appendHeader(out, lengths[i]);
      out.appendBytes(payloads[i]);
    }
    EmbeddedChannel decoder = new EmbeddedChannel(new WebSocket08FrameDecoder(
        WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false).allowExtensions(false)
            .maxFramePayloadLength(1_000_000).build()));
    decoder.writeInbound(Unpooled.wrappedBuffer(out.getBytes()));
    for (int i = 0; i < lengths.length; i++) {
      Object f = decoder.readInbound();
      assertTrue(f instanceof BinaryWebSocketFrame, "frame " + i + ": " + f);
      BinaryWebSocketFrame frame = (BinaryWebSocketFrame) f;
      assertTrue(frame.isFinalFragment());
      ByteBuf content = frame.content();
      assertArrayEquals(payloads[i], ByteBufUtil.getBytes(content), "payload of " + lengths[i]);
      frame.release();
    }
    assertNull(decoder.readInbound(), "nothing more");
    decoder.finishAndReleaseAll();
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

package io.phoenix.transport.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.FrameTooLargeException;
import io.phoenix.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The RFC 6455 reader on its own: every split of the stream, fragments, control frames, limits. */
class WebSocketFrameDecoderTest {
  private static final int MAX = 70_000;

  private final List<String> events = new ArrayList<>();
  private final List<ProtocolException> failures = new ArrayList<>();
  private boolean refuseMessages;
  private final WebSocketFrameDecoder.Sink sink = new WebSocketFrameDecoder.Sink() {
        @Override
        public void message(byte[] bytes, int length) {
          if (refuseMessages) {
            throw new ProtocolException(400, "unparseable");
          }
          events.add("message " + Arrays.toString(Arrays.copyOf(bytes, length)));
        }

        @Override
        public void ping(byte[] payload) {
          events.add("ping " + Arrays.toString(payload));
        }

        @Override
        public void close(byte[] payload) {
          events.add("close " + Arrays.toString(payload));
        }

        @Override
        public void failed(ProtocolException e) {
          events.add("failed");
          failures.add(e);
        }
      };
  private final WebSocketFrameDecoder decoder = WebSocketFrameDecoder.ofClientFrames(MAX, sink);

  /** One client frame: masked with a random key, as RFC 6455 requires of clients. */
  static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked, Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((fin ? 0x80 : 0) | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length <= 125) {
      out.write(maskBit | payload.length);
    } else if (payload.length <= 0xFFFF) {
      out.write(maskBit | 126);
      out.write(payload.length >>> 8);
      out.write(payload.length & 0xFF);
    } else {
      out.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) ((long) payload.length >>> shift) & 0xFF);
      }
    }
    byte[] body = payload.clone();
    if (masked) {
      byte[] key = new byte[4];
      random.nextBytes(key);
      out.writeBytes(key);
      for (int i = 0; i < body.length; i++) {
        body[i] ^= key[i & 3];
      }
    }
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static byte[] bytes(int length, int seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private void feedInChunks(byte[] stream, int chunk) {
    for (int i = 0; i < stream.length; i += chunk) {
      decoder.feed(Buffer.buffer(Arrays.copyOfRange(stream, i, Math.min(stream.length,
          i + chunk))));
    }
  }

  @Test
  void everyLengthFormArrivesWholeHoweverTheStreamIsCut() {
    Random random = new Random(1);
    byte[] small = bytes(0, 1);
    byte[] seven = bytes(125, 2);
    byte[] sixteen = bytes(65_535, 3);
    byte[] sixtyFour = bytes(65_536, 4);
    byte[] stream = concat(frame(true, 2, small, true, random), frame(true, 2, seven, true,
        random), frame(true, 2, sixteen, true, random), frame(true, 2, sixtyFour, true, random));
    List<String> expected = List.of("message " + Arrays.toString(small),
        "message " + Arrays.toString(seven), "message " + Arrays.toString(sixteen),
        "message " + Arrays.toString(sixtyFour));
    for (int chunk : new int[] {1, 2, 3, 7, 13, 127, 4096, stream.length}) {
      WebSocketFrameDecoderTest fresh = new WebSocketFrameDecoderTest();
      fresh.feedInChunks(stream, chunk);
      assertEquals(expected, fresh.events, "chunks of " + chunk);
    }
  }

  @Test
  void fragmentsAreJoinedAndControlFramesMayComeBetweenThem() {
    Random random = new Random(2);
    byte[] a = bytes(100, 5);
    byte[] b = bytes(3000, 6);
    byte[] c = bytes(1, 7);
    byte[] stream = concat(frame(false, 2, a, true, random),
        frame(true, 9, new byte[] {1, 2, 3}, true, random),
        frame(false, 0, b, true, random),
        frame(true, 10, new byte[] {4}, true, random), // a pong: ignored
        frame(true, 0, c, true, random));
    feedInChunks(stream, 5);
    assertEquals(List.of("ping [1, 2, 3]", "message " + Arrays.toString(concat(a, b, c))),
        events);
  }

  @Test
  void closeFrameEndsTheStream() {
    Random random = new Random(3);
    byte[] stream = concat(frame(true, 8, new byte[] {3, (byte) 0xE8}, true, random),
        frame(true, 2, bytes(10, 8), true, random));
    feedInChunks(stream, stream.length);
    assertEquals(List.of("close [3, -24]"), events);
  }

  @Test
  void aMessageOverTheLimitIsRefusedAtTheHeaderThatCrossesIt() {
    Random random = new Random(4);
    byte[] first = frame(false, 2, bytes(MAX - 10, 9), true, random);
    byte[] crossing = frame(true, 0, bytes(11, 10), true, random);
    decoder.feed(Buffer.buffer(first));
    // only the header of the crossing fragment: refused before its payload arrives
    decoder.feed(Buffer.buffer(Arrays.copyOf(crossing, 6)));
    assertEquals(List.of("failed"), events);
    FrameTooLargeException e = assertInstanceOf(FrameTooLargeException.class, failures.get(0));
    assertEquals(413, e.status());
    assertTrue(e.getMessage().contains((MAX + 1) + " bytes"), e.getMessage());
    // its payload and later messages are skipped; the client's close frame is still found
    decoder.feed(Buffer.buffer(concat(Arrays.copyOfRange(crossing, 6, crossing.length),
        frame(true, 2, bytes(5, 1), true, random), frame(true, 9, new byte[1], true, random),
        frame(true, 8, new byte[0], true, random))));
    assertEquals(List.of("failed", "close []"), events);

    WebSocketFrameDecoderTest fresh = new WebSocketFrameDecoderTest();
    byte[] header = {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    fresh.decoder.feed(Buffer.buffer(header)); // announces 2^40 bytes without sending them
    assertInstanceOf(FrameTooLargeException.class, fresh.failures.get(0));
  }

  @Test
  void violationsOfRfc6455EndTheStream() {
    Random random = new Random(5);
    assertViolation(frame(true, 2, bytes(5, 1), false, random), "masked");
    assertViolation(frame(true, 3, bytes(5, 1), true, random), "reserved opcode 3");
    byte[] rsv = frame(true, 2, bytes(5, 1), true, random);
    rsv[0] |= 0x40;
    assertViolation(rsv, "reserved bits");
    assertViolation(frame(false, 9, bytes(5, 1), true, random), "control frames");
    assertViolation(frame(true, 8, bytes(126, 1), true, random), "control frames");
    assertViolation(frame(true, 0, bytes(5, 1), true, random), "continuation");
    assertViolation(concat(frame(false, 2, bytes(5, 1), true, random),
        frame(true, 2, bytes(5, 1), true, random)), "inside a fragmented");
    byte[] negative = {(byte) 0x82, (byte) (0x80 | 127), (byte) 0x80, 0, 0, 0, 0, 0, 0, 0,
        1, 2, 3, 4};
    assertViolation(negative, "most significant bit");
  }

  private static void assertViolation(byte[] stream, String reason) {
    WebSocketFrameDecoderTest fresh = new WebSocketFrameDecoderTest();
    Random random = new Random(7);
    // what follows the violation, even a close frame, is ignored
    fresh.decoder.feed(Buffer.buffer(concat(stream, frame(true, 2, new byte[] {1}, true, random),
        frame(true, 8, new byte[0], true, random))));
    assertEquals(List.of("failed"), fresh.events);
    WebSocketException e = assertInstanceOf(WebSocketException.class, fresh.failures.get(0));
    assertEquals(1002, e.closeCode());
    assertEquals(400, e.status());
    assertTrue(e.getMessage().startsWith("websocket error: "), e.getMessage());
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }

  @Test
  void aTextMessageIsRefusedAndTheCloseFrameStillFound() {
    Random random = new Random(8);
    decoder.feed(Buffer.buffer(concat(frame(true, 1, "{}".getBytes(), true, random),
        frame(true, 2, bytes(3, 1), true, random), frame(true, 8, new byte[0], true, random))));
    assertEquals(List.of("failed", "close []"), events);
    WebSocketException e = assertInstanceOf(WebSocketException.class, failures.get(0));
    assertEquals(1003, e.closeCode());
    assertEquals(400, e.status());
    assertEquals("text messages are not frames: send binary", e.getMessage());
  }

  @Test
  void aMessageTheSinkRefusesIsTheLastOneHandedOn() {
    refuseMessages = true;
    Random random = new Random(6);
    decoder.feed(Buffer.buffer(concat(frame(true, 2, bytes(3, 1), true, random),
        frame(true, 9, new byte[0], true, random), frame(true, 2, bytes(3, 1), true, random),
        frame(true, 8, new byte[0], true, random))));
    assertEquals(List.of("failed", "close []"), events);
    assertEquals("unparseable", failures.get(0).getMessage());
  }

  @Test
  void afterTheNodesCloseFrameOnlyTheClientsCloseIsHandedOn() {
    Random random = new Random(9);
    decoder.feed(Buffer.buffer(frame(false, 2, bytes(10, 1), true, random)));
    decoder.skipMessages();
    decoder.feed(Buffer.buffer(concat(frame(true, 0, bytes(10, 2), true, random),
        frame(true, 2, bytes(MAX, 3), true, random), frame(true, 1, bytes(3, 4), true, random),
        frame(true, 9, new byte[1], true, random), frame(true, 8, new byte[] {3, (byte) 0xE8},
        true, random))));
    assertEquals(List.of("close [3, -24]"), events);
  }

  @Test
  void closeCodesAreEchoedOnlyWhenTheyMayBeSent() {
    assertEquals(1000, WebSocketConnection.echoCode(new byte[0]));
    assertEquals(1002, WebSocketConnection.echoCode(new byte[] {3}));
    assertEquals(1001, WebSocketConnection.echoCode(new byte[] {3, (byte) 0xE9, 'b', 'y'}));
    assertEquals(4000, WebSocketConnection.echoCode(new byte[] {0x0F, (byte) 0xA0}));
    assertEquals(1002, WebSocketConnection.echoCode(new byte[] {3, (byte) 0xED})); // 1005
    assertEquals(1002, WebSocketConnection.echoCode(new byte[] {0x03, (byte) 0xE7})); // 999
    assertEquals(1002, WebSocketConnection.echoCode(new byte[] {3, (byte) 0xE8, (byte) 0xC3}));
  }

  @Test
  void serverFramesAreReadUnmaskedAndAMaskedOneIsRefused() {
    WebSocketFrameDecoder client = WebSocketFrameDecoder.ofServerFrames(MAX, sink);
    byte[] a = bytes(125, 1);
    byte[] b = bytes(65_536, 2);
    byte[] stream = concat(frame(true, 2, a, false, null), frame(true, 9, new byte[] {7}, false,
        null), frame(false, 2, b, false, null), frame(true, 0, a, false, null));
    for (int i = 0; i < stream.length; i += 3) {
      client.feed(Buffer.buffer(Arrays.copyOfRange(stream, i, Math.min(stream.length, i + 3))));
    }
    assertEquals(List.of("message " + Arrays.toString(a), "ping [7]",
        "message " + Arrays.toString(concat(b, a))), events);
    client.feed(Buffer.buffer(frame(true, 2, bytes(3, 3), true, new Random(4))));
    assertEquals(1, failures.size());
    WebSocketException e = assertInstanceOf(WebSocketException.class, failures.get(0));
    assertEquals(WebSocketException.PROTOCOL_ERROR, e.closeCode());
    assertTrue(e.getMessage().contains("server frames must not be masked"), e.getMessage());
  }

  @Test
  void framesWrittenForEitherSideAreTheBytesOfRfc6455() {
    for (int length : new int[] {0, 1, 7, 8, 9, 125, 126, 1_000, 65_535, 65_536}) {
      byte[] payload = bytes(length, length);
      Buffer plain = Buffer.buffer();
      WebSocketFrames.append(plain, WebSocketFrames.BINARY, Buffer.buffer(payload));
      assertArrayEquals(frame(true, 2, payload, false, null), plain.getBytes(),
          "unmasked " + length);
      // frame() takes its key from Random.nextBytes, which lays an int out low byte first
      int key = Integer.reverseBytes(new Random(length).nextInt());
      Buffer masked = Buffer.buffer();
      WebSocketFrames.appendMasked(masked, WebSocketFrames.BINARY, Buffer.buffer(payload), key);
      assertArrayEquals(frame(true, 2, payload, true, new Random(length)), masked.getBytes(),
          "masked " + length);
      decoder.feed(masked);
      assertEquals("message " + Arrays.toString(payload), events.remove(events.size() - 1));
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void acceptKeyIsTheOneOfRfc6455() {
    assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        WebSocketFrames.acceptFor("dGhlIHNhbXBsZSBub25jZQ=="));
  }
}

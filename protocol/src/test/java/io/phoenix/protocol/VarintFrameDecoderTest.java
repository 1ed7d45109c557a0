package io.phoenix.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Ping;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The TCP framing: whatever way the stream is cut, the same frames come out. */
class VarintFrameDecoderTest {

  private static byte[] stream(List<byte[]> bodies) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] b : bodies) {
      Buffer framed = FrameCodec.wrap(b).delimited();
      out.writeBytes(framed.getBytes());
    }
    return out.toByteArray();
  }

  private static List<byte[]> bodies() {
    Random r = new Random(42);
    List<byte[]> bodies = new ArrayList<>();
    for (int size : new int[] {0, 1, 127, 128, 300, 16_383, 16_384, 40_000}) {
      byte[] b = new byte[size];
      r.nextBytes(b);
      bodies.add(b);
    }
    return bodies;
  }

  @Test
  void everySplitPointYieldsTheSameFrames() {
    List<byte[]> bodies = bodies();
    byte[] all = stream(bodies);
    for (int chunk : new int[] {1, 2, 3, 7, 128, 4096, all.length}) {
      List<byte[]> got = new ArrayList<>();
      VarintFrameDecoder d = new VarintFrameDecoder(65_536, b -> got.add(b.getBytes()));
      for (int i = 0; i < all.length; i += chunk) {
        d.feed(Buffer.buffer(all).slice(i, Math.min(all.length, i + chunk)));
      }
      assertEquals(bodies.size(), got.size(), "chunk " + chunk);
      for (int i = 0; i < bodies.size(); i++) {
        assertArrayEquals(bodies.get(i), got.get(i), "chunk " + chunk + " frame " + i);
      }
      assertFalse(d.inFrame());
    }
  }

  @Test
  void oversizedLengthIsRefusedBeforeTheBody() {
    List<byte[]> got = new ArrayList<>();
    VarintFrameDecoder d = new VarintFrameDecoder(1024, b -> got.add(b.getBytes()));
    byte[] prefixOnly = FrameCodec.wrap(new byte[1025]).delimited().getBytes();
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> d.feed(Buffer.buffer(prefixOnly).slice(0, 2)));
    assertEquals(Status.TOO_LARGE, e.status());
    assertTrue(got.isEmpty());
  }

  @Test
  void exactlyTheLimitIsAccepted() {
    List<byte[]> got = new ArrayList<>();
    VarintFrameDecoder d = new VarintFrameDecoder(1024, b -> got.add(b.getBytes()));
    d.feed(FrameCodec.wrap(new byte[1024]).delimited());
    assertEquals(1, got.size());
    assertEquals(1024, got.get(0).length);
  }

  @Test
  void overlongVarintIsMalformed() {
    VarintFrameDecoder d = new VarintFrameDecoder(1024, b -> { });
    byte[] sixContinuations = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
        (byte) 0x80};
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> d.feed(Buffer.buffer(sixContinuations)));
    assertEquals(Status.BAD_REQUEST, e.status());
  }

  @Test
  void aHalfReadFrameIsReported() {
    VarintFrameDecoder d = new VarintFrameDecoder(1024, b -> { });
    d.feed(Buffer.buffer(new byte[] {10, 1, 2}));
    assertTrue(d.inFrame());
  }

  @Test
  void codecRoundTripsAFrameForBothTransports() {
    Frame ping = Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(123)).build();
    EncodedFrame e = FrameCodec.encode(ping);
    assertEquals(ping, FrameCodec.decode(e.body()));
    assertEquals(e.bodyLength() + 1, e.delimitedLength());
    List<Frame> got = new ArrayList<>();
    new VarintFrameDecoder(1024, b -> got.add(FrameCodec.decode(b))).feed(e.delimited());
    assertEquals(List.of(ping), got);
    // views are independent: reading one does not consume the other
    assertEquals(e.body().length(), e.body().length());
  }

  @Test
  void decodeRefusesGarbageAndEmptyFrames() {
    ProtocolException garbage = assertThrows(ProtocolException.class,
        () -> FrameCodec.decode(Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xff, 1})));
    assertEquals(Status.BAD_REQUEST, garbage.status());
    ProtocolException empty = assertThrows(ProtocolException.class,
        () -> FrameCodec.decode(Buffer.buffer(new byte[0])));
    assertEquals(Status.BAD_REQUEST, empty.status());
  }
}

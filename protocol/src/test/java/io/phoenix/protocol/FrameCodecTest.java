package io.phoenix.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Encoding is protobuf's own length-delimited form; decoding refuses what is not a Frame. */
class FrameCodecTest {

  private static Frame message(int payloadBytes) {
    return Frame.newBuilder().setMessage(Message.newBuilder().setMessageId("m-1")
        .setTo(Identity.newBuilder().setEid("bob"))
        .setPayload(ByteString.copyFrom(new byte[payloadBytes])).setType(1)).build();
  }

  @Test
  void encodesTheDelimitedFormAndTheBodyOfEveryFrameSize() throws IOException {
    for (int size : new int[] {0, 100, 110, 16_300, 16_400, 70_000}) {
      Frame frame = message(size);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      frame.writeDelimitedTo(expected);

      EncodedFrame encoded = FrameCodec.encode(frame);
      assertArrayEquals(expected.toByteArray(), encoded.delimited().getBytes(), "size " + size);
      assertArrayEquals(frame.toByteArray(), encoded.body().getBytes(), "size " + size);
      assertEquals(frame.getSerializedSize(), encoded.bodyLength());
      assertEquals(expected.size(), encoded.delimitedLength());
      assertEquals(frame, FrameCodec.decode(encoded.body()));
    }
  }

  @Test
  void framesOwnTheirBytesAfterTheThreadsScratchArrayIsReused() {
    Frame first = Frame.newBuilder().setMessage(message(100).getMessage().toBuilder()
        .setPayload(ByteString.copyFromUtf8("first payload"))).build();
    Frame second = Frame.newBuilder().setMessage(message(100).getMessage().toBuilder()
        .setMessageId("m-2").setPayload(ByteString.copyFromUtf8("other bytes!!"))).build();
    EncodedFrame a = FrameCodec.encode(first);
    EncodedFrame b = FrameCodec.encode(second);
    Frame decodedA = FrameCodec.decode(a.body());
    Frame decodedB = FrameCodec.decode(b.body());
    assertEquals(first, decodedA);
    assertEquals(second, decodedB);
    assertEquals("first payload", decodedA.getMessage().getPayload().toStringUtf8());
    assertArrayEquals(first.toByteArray(), a.body().getBytes());
  }

  @Test
  void decodesABodyInsideALargerBuffer() {
    Frame frame = message(10);
    Buffer around = Buffer.buffer("xyz").appendBytes(frame.toByteArray()).appendString("tail");
    assertEquals(frame, FrameCodec.decode(around.slice(3, 3 + frame.getSerializedSize())));
  }

  @Test
  void refusesBytesThatAreNoFrameWith400() {
    ProtocolException garbage = assertThrows(ProtocolException.class,
        () -> FrameCodec.decode(Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xff, 0x01})));
    assertEquals(Status.BAD_REQUEST, garbage.status());
    ProtocolException empty = assertThrows(ProtocolException.class,
        () -> FrameCodec.decode(Buffer.buffer()));
    assertEquals(Status.BAD_REQUEST, empty.status());
  }
}

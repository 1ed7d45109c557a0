package io.phoenix.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.phoenix.protocol.v1.Frame;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * Turns {@link Frame}s into bytes and back. Encoding writes the TCP form (varint length +
 * body) in one buffer so that both transports share it (see {@link EncodedFrame}); decoding
 * parses one frame body and maps every parse failure to a {@link ProtocolException} with
 * status 400.
 *
 * <p>Only Vert.x's public {@link Buffer} API is used. It has no way to wrap an array or to read
 * one in place, so encoding serializes into a scratch array and copies that into the buffer, and
 * decoding copies the body into a scratch array and parses it there. The scratch array is the
 * calling thread's own ({@value #SCRATCH_BYTES} bytes, larger frames get one of their own), so
 * the copies add no garbage per frame; protobuf copies what it parses out of it.
 *
 * <p>Thread-safe: no shared state; each thread has its own scratch array.
 */
public final class FrameCodec {
  private FrameCodec() {}

  /** Bytes of each thread's scratch array. */
  static final int SCRATCH_BYTES = 8192;
  private static final ThreadLocal<byte[]> SCRATCH =
      ThreadLocal.withInitial(() -> new byte[SCRATCH_BYTES]);

  /** Serializes {@code frame} once, with its length prefix. */
  public static EncodedFrame encode(Frame frame) {
    int size = frame.getSerializedSize();
    byte[] body = size <= SCRATCH_BYTES ? SCRATCH.get() : new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(body, 0, size);
    try {
      frame.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("serializing into an exact-size array cannot fail", e);
    }
    return prefixed(body, size);
  }

  /** Adds the length prefix to an already serialized frame body (one copy, no re-encoding). */
  public static EncodedFrame wrap(byte[] body) {
    return prefixed(body, body.length);
  }

  /** A buffer of exactly the TCP form: the varint {@code size}, then {@code body[0..size)}. */
  private static EncodedFrame prefixed(byte[] body, int size) {
    int prefix = CodedOutputStream.computeUInt32SizeNoTag(size);
    Buffer out = Buffer.buffer(prefix + size);
    int rest = size;
    while ((rest & ~0x7F) != 0) {
      out.appendByte((byte) ((rest & 0x7F) | 0x80));
      rest >>>= 7;
    }
    out.appendByte((byte) rest);
    return new EncodedFrame(out.appendBytes(body, 0, size), prefix);
  }

  /**
   * Parses one frame body.
   *
   * @throws ProtocolException 400 when the bytes are not a Frame, or a Frame with no body set
   */
  public static Frame decode(Buffer body) {
    int size = body.length();
    byte[] bytes = size <= SCRATCH_BYTES ? SCRATCH.get() : new byte[size];
    body.getBytes(0, size, bytes);
    return decode(bytes, 0, size);
  }

  /**
   * Parses one frame body held in {@code bytes[offset..offset+length)}, for a transport that
   * already copied it out of the socket's buffers (the WebSocket transport unmasks into an
   * array). Protobuf copies what it keeps, so the array may be reused afterwards.
   *
   * @throws ProtocolException 400 when the bytes are not a Frame, or a Frame with no body set
   */
  public static Frame decode(byte[] bytes, int offset, int length) {
    Frame frame;
    try {
      frame = Frame.parser().parseFrom(bytes, offset, length);
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolException(Status.BAD_REQUEST, "unparseable frame: " + e.getMessage());
    }
    if (frame.getBodyCase() == Frame.BodyCase.BODY_NOT_SET) {
      throw new ProtocolException(Status.BAD_REQUEST, "frame has no body");
    }
    return frame;
  }
}

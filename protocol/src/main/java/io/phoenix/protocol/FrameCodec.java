package io.phoenix.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.phoenix.protocol.v1.Frame;
import io.vertx.core.buffer.Buffer;

/**
 * Turns {@link Frame}s into bytes and back. Encoding writes the TCP form (varint length +
 * body) in one buffer so that both transports share it (see {@link EncodedFrame}); decoding
 * parses one frame body and maps every parse failure to a {@link ProtocolException} with
 * status 400.
 *
 * <p>Only Vert.x's public {@link Buffer} API is used. It has no way to wrap an array or to read
 * one in place, so encoding copies the serialized array into the buffer once, and decoding
 * copies the body out once before parsing it.
 *
 * <p>Stateless and thread-safe.
 */
public final class FrameCodec {
  private FrameCodec() {}

  /** Serializes {@code frame} once, with its length prefix. */
  public static EncodedFrame encode(Frame frame) {
    return wrap(frame.toByteArray());
  }

  /** Adds the length prefix to an already serialized frame body (one copy, no re-encoding). */
  public static EncodedFrame wrap(byte[] body) {
    int prefix = CodedOutputStream.computeUInt32SizeNoTag(body.length);
    Buffer out = Buffer.buffer(prefix + body.length);
    int rest = body.length;
    while ((rest & ~0x7F) != 0) {
      out.appendByte((byte) ((rest & 0x7F) | 0x80));
      rest >>>= 7;
    }
    out.appendByte((byte) rest);
    return new EncodedFrame(out.appendBytes(body), prefix);
  }

  /**
   * Parses one frame body.
   *
   * @throws ProtocolException 400 when the bytes are not a Frame, or a Frame with no body set
   */
  public static Frame decode(Buffer body) {
    Frame frame;
    try {
      frame = Frame.parseFrom(body.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolException(Status.BAD_REQUEST, "unparseable frame: " + e.getMessage());
    }
    if (frame.getBodyCase() == Frame.BodyCase.BODY_NOT_SET) {
      throw new ProtocolException(Status.BAD_REQUEST, "frame has no body");
    }
    return frame;
  }
}

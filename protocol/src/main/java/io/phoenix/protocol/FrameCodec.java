package io.phoenix.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.phoenix.protocol.v1.Frame;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;

/**
 * Turns {@link Frame}s into bytes and back. Encoding writes the TCP form (varint length +
 * body) in one array so that both transports share it (see {@link EncodedFrame}); decoding
 * parses one frame body and maps every parse failure to a {@link ProtocolException} with
 * status 400.
 *
 * <p>Stateless and thread-safe.
 */
public final class FrameCodec {
  private FrameCodec() {}

  /** Serializes {@code frame} once, with its length prefix. */
  public static EncodedFrame encode(Frame frame) {
    int size = frame.getSerializedSize();
    int prefix = CodedOutputStream.computeUInt32SizeNoTag(size);
    byte[] out = new byte[prefix + size];
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    try {
      cos.writeUInt32NoTag(size);
      frame.writeTo(cos);
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("serializing into an exact-size array cannot fail", e);
    }
    return new EncodedFrame(wrapArray(out), prefix);
  }

  /**
   * A Buffer over the array itself: {@code Buffer.buffer(byte[])} would copy it once more into a
   * Netty buffer (one copy per frame on the hot path).
   */
  private static Buffer wrapArray(byte[] bytes) {
    return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes));
  }

  /** Adds the length prefix to an already serialized frame body (one copy, no re-encoding). */
  public static EncodedFrame wrap(byte[] body) {
    int prefix = CodedOutputStream.computeUInt32SizeNoTag(body.length);
    byte[] out = new byte[prefix + body.length];
    CodedOutputStream cos = CodedOutputStream.newInstance(out, 0, prefix);
    try {
      cos.writeUInt32NoTag(body.length);
    } catch (IOException e) {
      throw new IllegalStateException("writing a varint into its exact size cannot fail", e);
    }
    System.arraycopy(body, 0, out, prefix, body.length);
    return new EncodedFrame(wrapArray(out), prefix);
  }

  /**
   * Parses one frame body.
   *
   * @throws ProtocolException 400 when the bytes are not a Frame, or a Frame with no body set
   */
  public static Frame decode(Buffer body) {
    Frame frame;
    try {
      // parse the bytes where they are, without copying them out of the buffer first
      frame = Frame.parseFrom(((BufferInternal) body).getByteBuf().nioBuffer());
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolException(Status.BAD_REQUEST, "unparseable frame: " + e.getMessage());
    }
    if (frame.getBodyCase() == Frame.BodyCase.BODY_NOT_SET) {
      throw new ProtocolException(Status.BAD_REQUEST, "frame has no body");
    }
    return frame;
  }
}

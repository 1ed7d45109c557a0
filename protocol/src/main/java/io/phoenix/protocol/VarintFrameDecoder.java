package io.phoenix.protocol;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Splits a TCP byte stream into frames: each frame is preceded by its length as a protobuf
 * base-128 varint (what {@code writeDelimitedTo} writes).
 *
 * <p>Pure and incremental: feed it whatever the socket delivers, in order; it emits the body of
 * every complete frame (without the prefix) to the sink. A length above {@code maxFrameBytes}
 * is refused as soon as the prefix is read, before any body byte is buffered, so a peer cannot
 * make the node hold more than one frame's worth of bytes. A prefix longer than 5 bytes (more
 * than 2^35) is malformed.
 *
 * <p>Not thread-safe: one instance per connection, used on that connection's event loop.
 */
public final class VarintFrameDecoder {
  private static final int MAX_VARINT_BYTES = 5;

  private final int maxFrameBytes;
  private final Consumer<Buffer> sink;
  private Buffer pending = null;
  private long length = -1;
  private int varintShift = 0;
  private int varintBytes = 0;
  private long varintValue = 0;

  public VarintFrameDecoder(int maxFrameBytes, Consumer<Buffer> sink) {
    this.maxFrameBytes = maxFrameBytes;
    this.sink = sink;
  }

  /**
   * Consumes the next chunk of the stream.
   *
   * @throws ProtocolException 400 for a malformed length prefix, 413 for an oversized frame
   */
  public void feed(Buffer chunk) {
    int pos = 0;
    int end = chunk.length();
    while (pos < end) {
      if (length < 0) {
        byte b = chunk.getByte(pos++);
        varintValue |= (long) (b & 0x7f) << varintShift;
        varintShift += 7;
        varintBytes++;
        if ((b & 0x80) != 0) {
          if (varintBytes >= MAX_VARINT_BYTES) {
            throw new ProtocolException(Status.BAD_REQUEST, "malformed frame length prefix");
          }
          continue;
        }
        if (varintValue > maxFrameBytes) {
          throw new FrameTooLargeException(varintValue, maxFrameBytes);
        }
        length = varintValue;
        varintValue = 0;
        varintShift = 0;
        varintBytes = 0;
        if (length == 0) {
          emit(Buffer.buffer(0));
        }
        continue;
      }
      int have = pending == null ? 0 : pending.length();
      int need = (int) length - have;
      int available = end - pos;
      if (have == 0 && available >= need) {
        emit(chunk.slice(pos, pos + need));
        pos += need;
      } else {
        int take = Math.min(need, available);
        if (pending == null) { // grows as bytes arrive, never to what a prefix merely declares
          pending = Buffer.buffer((int) Math.min(length, 4096));
        }
        pending.appendBuffer(chunk, pos, take);
        pos += take;
        if (pending.length() == length) {
          Buffer body = pending;
          pending = null;
          emit(body);
        }
      }
    }
  }

  /** True while a frame has been started but not finished (used to report truncated input). */
  public boolean inFrame() {
    return length >= 0 || varintBytes > 0;
  }

  private void emit(Buffer body) {
    length = -1;
    sink.accept(body);
  }
}

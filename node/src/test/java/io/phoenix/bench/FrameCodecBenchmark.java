package io.phoenix.bench;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.Peer;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the cost of the wire format per frame: encoding a delivered chat message once (what a
 * fan-out does), parsing one, and splitting a TCP byte stream into frames with the varint
 * decoder, whole or in 1460-byte segments. Run as described in BENCHMARKS.md.
 *
 * <p>One state per benchmark thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrameCodecBenchmark {
  private static final int FRAMES = 64;
  private static final int SEGMENT = 1460;

  /** Payload bytes of the message. */
  @Param({"100", "1000"})
  public int size;

  private Frame delivered;
  private Buffer body;
  private Buffer stream;
  private Buffer[] segments;
  private int frames;

  @Setup
  public void setup() {
    Identity alice = Identity.newBuilder().setEid("alice-0123456789")
        .setConnectionResourceId("c3a1f0e2-55b4-4d0c-9d1e-8f7a6b5c4d3e").setNode("node-1").build();
    delivered = Frame.newBuilder().setMessage(Message.newBuilder()
        .setMessageId("2f9c0b7e-1d2a-4c3b-8e4f-5a6b7c8d9e0f")
        .setFrom(alice)
        .setTo(Identity.newBuilder().setEid("bob-0123456789").setNode("node-1"))
        .setTimestamp(1_764_000_000_000L)
        .setPayload(ByteString.copyFrom(new byte[size]))
        .setType(1)
        .setTransmissionMode(2)
        .setPeer(Peer.newBuilder().setFrom("alice-0123456789").setTo("bob-0123456789")
            .setOffset(123_456).setPeerOffset(123_400))).build();
    EncodedFrame encoded = FrameCodec.encode(delivered);
    body = encoded.body().copy();
    stream = Buffer.buffer();
    for (int i = 0; i < FRAMES; i++) {
      stream.appendBuffer(encoded.delimited());
    }
    segments = segments(stream);
  }

  /** {@code stream} cut into the 1460-byte reads a TCP socket could deliver (slices). */
  public static Buffer[] segments(Buffer stream) {
    int n = (stream.length() + SEGMENT - 1) / SEGMENT;
    Buffer[] segments = new Buffer[n];
    for (int i = 0; i < n; i++) {
      segments[i] = stream.slice(i * SEGMENT, Math.min(stream.length(), (i + 1) * SEGMENT));
    }
    return segments;
  }

  /** Serializes a delivered message with its length prefix (once per fan-out). */
  @Benchmark
  public EncodedFrame encode() {
    return FrameCodec.encode(delivered);
  }

  /** Parses one frame body (once per received frame). */
  @Benchmark
  public Frame decode() {
    return FrameCodec.decode(body);
  }

  /** Splits 64 frames that arrive in one read (per frame). */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public int varintFramingWhole() {
    frames = 0;
    VarintFrameDecoder decoder = new VarintFrameDecoder(65_536, b -> frames++);
    decoder.feed(stream);
    return frames;
  }

  /** Splits 64 frames that arrive in 1460-byte segments, frames cut across them (per frame). */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public int varintFramingSegmented() {
    frames = 0;
    VarintFrameDecoder decoder = new VarintFrameDecoder(65_536, b -> frames++);
    for (Buffer segment : segments) {
      decoder.feed(segment);
    }
    return frames;
  }
}

package io.phoenix.transport.ws;

import io.phoenix.bench.FrameCodecBenchmark;
import io.phoenix.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import java.util.Random;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH: what reading client WebSocket frames costs the node per frame (header, unmasking into
 * the array that is parsed, handing on), for 64 masked binary frames that arrive in one read or
 * in 1460-byte segments; the WebSocket counterpart of {@code FrameCodecBenchmark}'s varint
 * framing. Run as described in BENCHMARKS.md.
 *
 * <p>One state per benchmark thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WebSocketFramingBenchmark {
  private static final int FRAMES = 64;

  /** Bytes of each frame's payload (a serialized Frame in the node). */
  @Param({"200", "1100"})
  public int size;

  private Buffer stream;
  private Buffer[] segments;
  private int frames;
  private Blackhole blackhole;
  private final WebSocketFrameDecoder.Sink counter = new WebSocketFrameDecoder.Sink() {
    @Override
    public void message(byte[] bytes, int length) {
      frames++;
      blackhole.consume(bytes); // the node parses it: the array must exist
    }

    @Override
    public void ping(byte[] payload) { }

    @Override
    public void close(byte[] payload) { }

    @Override
    public void failed(ProtocolException e) {
      throw e;
    }
  };

  @Setup
  public void setup() {
    Random random = new Random(1);
    byte[] payload = new byte[size];
    random.nextBytes(payload);
    stream = Buffer.buffer();
    for (int i = 0; i < FRAMES; i++) {
      stream.appendBytes(WebSocketFrameDecoderTest.frame(true, WebSocketFrames.BINARY,
          payload, true, random));
    }
    segments = FrameCodecBenchmark.segments(stream);
  }

  /** Reads 64 frames that arrive in one read (per frame). */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public int whole(Blackhole bh) {
    blackhole = bh;
    frames = 0;
    WebSocketFrameDecoder.ofClientFrames(65_536, counter).feed(stream);
    return frames;
  }

  /** Reads 64 frames that arrive in 1460-byte segments, frames cut across them (per frame). */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public int segmented(Blackhole bh) {
    blackhole = bh;
    frames = 0;
    WebSocketFrameDecoder decoder = WebSocketFrameDecoder.ofClientFrames(65_536, counter);
    for (Buffer segment : segments) {
      decoder.feed(segment);
    }
    return frames;
  }
}

package io.phoenix.bench;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.MessageSignature;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: what a message signature (PROTOCOL.md §10) costs with the JDK's providers: the node's
 * verification of one message (signed bytes + Ed25519 or ECDSA P-256 verify), and the client's
 * signing. These figures decided that the node verifies on worker threads, not on the event
 * loop (see BENCHMARKS.md). Run as described there.
 *
 * <p>One state per benchmark thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SignatureBenchmark {
  /** The device key's curve. */
  @Param({"Ed25519", "P-256"})
  public String curve;

  private DeviceKey key;
  private Message unsigned;
  private Message signed;

  @Setup
  public void setUp() throws Exception {
    KeyPairGenerator g;
    if (curve.equals("Ed25519")) {
      g = KeyPairGenerator.getInstance("Ed25519");
    } else {
      g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
    }
    key = DeviceKey.of(g.generateKeyPair().getPrivate());
    unsigned = Message.newBuilder().setMessageId("0.1a2b.1a2c").setType(1)
        .setTo(Identity.newBuilder().setEid("bench-receiver-0"))
        .setPayload(ByteString.copyFrom(new byte[100])).build();
    signed = unsigned.toBuilder().setSignature(key.sign(unsigned, "bench-sender-0")).build();
  }

  /** The node's check of one message of a session with a bound key. */
  @Benchmark
  public boolean verify() {
    return MessageSignature.verify(signed, "bench-sender-0", key.publicKey());
  }

  /** The client's signing of one message. */
  @Benchmark
  public String sign() {
    return key.sign(unsigned, "bench-sender-0");
  }

  /** The signed bytes alone (the part of both that is Phoenix's own). */
  @Benchmark
  public byte[] signedBytes() {
    return MessageSignature.signedBytes(unsigned, "bench-sender-0");
  }
}

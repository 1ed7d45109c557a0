package io.phoenix.bench;

import com.google.protobuf.UnsafeByteOperations;
import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.MessageType;
import io.phoenix.protocol.v1.TransmissionMode;
import java.nio.ByteBuffer;

/**
 * The sending half of a bench pair: sends chat messages (SENDER, PUSH or PULL) to its receiver
 * and times the ACCEPTED answers.
 *
 * <p>At a fixed rate, message {@code i} has an intended send time ({@code first + i ×
 * interval}); {@link #tick} sends every message that is due, and latencies are measured from
 * the intended time, so a stall of the node (or of the bench) counts against every message it
 * delayed instead of being hidden (no coordinated omission). At most {@code window} messages
 * are unanswered: a sender that reaches it waits, and its schedule keeps running. Flat out
 * ({@code interval 0}) it keeps {@code window} messages unanswered and sends the next one as
 * each answer arrives; latencies are then measured from the actual send.
 *
 * <p>The payload carries the intended and actual send times ({@code System.nanoTime()}, 8 bytes
 * each), the message_id carries them too, so no per-message state is kept. With a device key
 * every message is signed (PROTOCOL.md §10) as its sender would, on the sender's event loop.
 * Confined to its connection's event loop.
 */
final class Sender implements BenchConnection.Listener {
  private final BenchConnection connection;
  private final Identity to;
  private final LoadStats stats;
  private final LoadRun.Times times;
  private final long intervalNanos;
  private final int window;
  private final int mode;
  private final int size;
  private final DeviceKey key;
  private final String fromEid;
  private long seq;
  private long nextIntended;
  private int inFlight;
  private boolean stopped;
  /** Whether a message of the measured window was sent. */
  private boolean reachedWindow;

  Sender(BenchConnection connection, String toEid, LoadStats stats, LoadRun.Times times,
      long intervalNanos, int window, boolean pull, int size) {
    this(connection, toEid, stats, times, intervalNanos, window, pull, size, null, null);
  }

  /** A sender that signs each message with {@code key} as {@code fromEid} (when not null). */
  Sender(BenchConnection connection, String toEid, LoadStats stats, LoadRun.Times times,
      long intervalNanos, int window, boolean pull, int size, DeviceKey key, String fromEid) {
    this.key = key;
    this.fromEid = fromEid;
    this.connection = connection;
    this.to = Identity.newBuilder().setEid(toEid).build();
    this.stats = stats;
    this.times = times;
    this.intervalNanos = intervalNanos;
    this.window = window;
    this.mode = pull ? TransmissionMode.PULL_VALUE : TransmissionMode.PUSH_VALUE;
    this.size = size;
  }

  /** Starts the schedule at {@code first} (fixed rate), or fills the window (flat out). */
  void start(long first) {
    if (intervalNanos > 0) {
      nextIntended = first;
      return;
    }
    long now = System.nanoTime();
    while (inFlight < window) {
      send(now, now);
    }
  }

  /** Fixed rate: sends every message due by {@code now} that the window allows. */
  void tick(long now) {
    while (!stopped && nextIntended <= now && nextIntended < times.end() && inFlight < window) {
      send(nextIntended, now);
      nextIntended += intervalNanos;
    }
  }

  private void send(long intended, long now) {
    byte[] payload = new byte[size];
    ByteBuffer.wrap(payload).putLong(intended).putLong(now);
    long base = times.start();
    String id = Long.toString(seq++, 36) + '.' + Long.toString(intended - base, 36) + '.'
        + Long.toString(now - base, 36);
    Message.Builder m = Message.newBuilder()
        .setMessageId(id)
        .setTo(to)
        .setPayload(UnsafeByteOperations.unsafeWrap(payload))
        .setType(MessageType.SENDER_VALUE)
        .setTransmissionMode(mode);
    if (key != null) {
      m.setSignature(key.sign(m.buildPartial(), fromEid));
    }
    connection.write(FrameCodec.encode(Frame.newBuilder().setMessage(m).build()));
    inFlight++;
    stats.sentAll.increment();
    boolean inWindow = times.inWindow(intended);
    if (inWindow) {
      stats.sent.increment();
    }
    if (intervalNanos > 0) {
      stats.sendLag.record(now - intended, inWindow);
      if (inWindow && !reachedWindow) {
        reachedWindow = true;
        stats.lagAtWindowStart.accumulate(now - intended);
      }
    }
  }

  @Override
  public void onFrame(BenchConnection c, Frame frame) {
    if (frame.getBodyCase() == Frame.BodyCase.ACK
        && frame.getAck().getMethod() == AckMethod.ACCEPTED_VALUE) {
      answered(frame.getAck());
    } else if (frame.getBodyCase() == Frame.BodyCase.GOODBYE) {
      stats.error("goodbye " + frame.getGoodbye().getStatusCode());
      stopped = true;
    }
  }

  private void answered(MessagePeerAckSignal ack) {
    long now = System.nanoTime();
    inFlight--;
    stats.answeredAll.increment();
    String id = ack.getMessageId();
    int dot1 = id.indexOf('.');
    int dot2 = id.indexOf('.', dot1 + 1);
    long base = times.start();
    long intended = base + Long.parseLong(id, dot1 + 1, dot2, 36);
    long sent = base + Long.parseLong(id, dot2 + 1, id.length(), 36);
    boolean inWindow = times.inWindow(intended);
    if (ack.getStatusCode() == 200) {
      stats.acceptedAll.increment();
      if (inWindow) {
        stats.acceptedCount.increment();
      }
      stats.accepted.record(now - (intervalNanos > 0 ? intended : sent), inWindow);
    } else {
      stats.error("accepted " + ack.getStatusCode());
    }
    if (intervalNanos == 0 && !stopped && now < times.end()) {
      send(now, now);
    }
  }

  @Override
  public void onClosed(BenchConnection c) {
    if (!stopped) {
      stats.error("sender connection closed");
    }
    stopped = true;
  }

  /** Stops sending (the run is over). */
  void stop() {
    stopped = true;
  }
}

package io.phoenix.stream;

import io.phoenix.cluster.Directory.Device;
import io.vertx.core.Future;
import java.util.List;

/**
 * Where streams live: offsets, stored messages, acknowledgement positions and message_id
 * dedupe, for every stream {@code S(from → to)} of the cluster (PROTOCOL.md §4, §9).
 *
 * <p>Rules every implementation MUST keep:
 * <ol>
 *   <li>Offsets of a stream are 1, 2, 3, … with no gap and no reuse, cluster-wide: an offset a
 *       client was told (an answer, a push, a pull) always names the same message.</li>
 *   <li>{@link #append} is atomic: dedupe, offset assignment and storage happen together, and
 *       its future succeeds only once the message is stored as durably as configured.</li>
 *   <li>One caller's appends to one stream get offsets in the order it made them.</li>
 *   <li>Acknowledged positions never move back; READ implies DELIVERED.</li>
 *   <li>Methods never block the calling thread; futures complete on the caller's context.</li>
 * </ol>
 */
public interface StreamStore {

  /** Stores one message of {@code S(from → to)} unless its message_id is already stored. */
  Future<AppendResult> append(String from, String to, String messageId, int type,
      byte[] message, long now);

  /**
   * Records that {@code to} has acknowledged {@code S(from → to)} up to {@code offset}.
   * {@code read} also moves the READ position.
   */
  Future<AckResult> acknowledge(String from, String to, long offset, boolean read, long now);

  /** Up to {@code max} stored messages of {@code S(from → to)} with offset above {@code after}. */
  Future<PullResult> pull(String from, String to, long after, int max, long now);

  /** The streams into {@code to} whose head is beyond what {@code to} has acknowledged. */
  Future<List<StreamPosition>> unacknowledged(String to);

  /** The online devices of {@code eid} (the directory lives beside the streams). */
  Future<List<Device>> devices(String eid);

  /** The store's epoch (Welcome.epoch): offsets compare only within one. */
  String epoch();

  /** Stops taking operations, finishes what was accepted, and closes the database. */
  void close();

  /**
   * Outcome of {@link #append}. For a message STORED: the online devices of its recipient, and
   * for a SENDER message those of its sender too (for the copies), looked up once the message
   * is stored as durably as configured, so that a device that registered before is among them.
   */
  record AppendResult(Outcome outcome, long offset, long delivered, List<Device> recipients,
      List<Device> senders) {
    public enum Outcome { STORED, DUPLICATE, FULL }
  }

  /**
   * Outcome of {@link #acknowledge}; {@code forwardToSender} is false for RECEIVER messages
   * (also once trimmed: their offsets are remembered). When it advanced: the online devices of
   * the acknowledging eid and, when forwarded, of the sender.
   */
  record AckResult(boolean accepted, long delivered, long read, long head, boolean advanced,
      boolean forwardToSender, List<Device> acknowledgers, List<Device> senders) {}

  /** Messages in ascending offset order; {@code more} when further messages remain. */
  record PullResult(List<StoredMessage> messages, long head, long delivered, boolean more) {}

  /** One message as stored: its offset and the serialized Message (without {@code peer}). */
  record StoredMessage(long offset, byte[] message) {}

  /** A stream's head and acknowledged positions. */
  record StreamPosition(String from, String to, long head, long delivered, long read) {}

  /** The store cannot take a message now (database unreachable, backlog full): answer 503. */
  final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnavailableException(String message) {
      super(message, null, false, false);
    }
  }
}

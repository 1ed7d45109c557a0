package io.phoenix.stream;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The entry processors that read and change an {@link Inbox}. Each runs on the partition thread
 * that owns the recipient's inbox, so it sees and changes the inbox atomically; the mutating
 * ones are re-applied on backups and are therefore deterministic (the caller supplies the
 * clock).
 *
 * <p>Instances are single-use messages: built by the caller, run once by Hazelcast.
 */
final class InboxProcessors {
  private InboxProcessors() {}

  /** Base for processors: Hazelcast identity in one place. */
  abstract static class Base<R> implements EntryProcessor<String, Inbox, R>,
      IdentifiedDataSerializable {
    @Override
    public int getFactoryId() {
      return StreamSerialization.FACTORY_ID;
    }
  }

  static final long STORED = 0;
  static final long DUPLICATE = 1;
  static final long FULL = 2;

  /** Dedupe, assign the next offset, store: returns {outcome, offset, delivered}. */
  static final class Append extends Base<long[]> {
    String from;
    String messageId;
    int type;
    byte[] message;
    long now;
    long retentionMs;
    int maxKept;

    Append() {}

    Append(String from, String messageId, int type, byte[] message, long now, long retentionMs,
        int maxKept) {
      this.from = from;
      this.messageId = messageId;
      this.type = type;
      this.message = message;
      this.now = now;
      this.retentionMs = retentionMs;
      this.maxKept = maxKept;
    }

    @Override
    public long[] process(Map.Entry<String, Inbox> entry) {
      Inbox inbox = entry.getValue();
      if (inbox == null) {
        inbox = new Inbox();
      }
      StreamState s = inbox.streams.computeIfAbsent(from, k -> new StreamState());
      boolean trimmed = s.trimBefore(now - retentionMs) > 0;
      Long existing = s.offsetOf(messageId);
      if (existing != null || s.size() >= maxKept) {
        if (trimmed) {
          entry.setValue(inbox);
        }
        return new long[] {existing != null ? DUPLICATE : FULL,
            existing != null ? existing : 0, s.delivered};
      }
      long offset = s.append(messageId, type, message, now);
      s.noteType(offset, type);
      entry.setValue(inbox);
      return new long[] {STORED, offset, s.delivered};
    }

    @Override
    public int getClassId() {
      return StreamSerialization.APPEND;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(from);
      out.writeString(messageId);
      out.writeInt(type);
      out.writeByteArray(message);
      out.writeLong(now);
      out.writeLong(retentionMs);
      out.writeInt(maxKept);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      from = in.readString();
      messageId = in.readString();
      type = in.readInt();
      message = in.readByteArray();
      now = in.readLong();
      retentionMs = in.readLong();
      maxKept = in.readInt();
    }
  }

  /**
   * Moves DELIVERED (and READ) forward: returns {accepted, delivered, read, head, advanced,
   * forwardToSender}, where accepted is 0 when the offset is beyond the head.
   */
  static final class Ack extends Base<long[]> {
    String from;
    long offset;
    boolean read;

    Ack() {}

    Ack(String from, long offset, boolean read) {
      this.from = from;
      this.offset = offset;
      this.read = read;
    }

    @Override
    public long[] process(Map.Entry<String, Inbox> entry) {
      Inbox inbox = entry.getValue();
      StreamState s = inbox == null ? null : inbox.streams.get(from);
      if (s == null || offset > s.head) {
        return new long[] {0, 0, 0, s == null ? 0 : s.head, 0, 0};
      }
      boolean advanced = false;
      // decided before the types at or below the new DELIVERED are forgotten
      boolean forward = s.forwardsAckOf(offset);
      if (offset > s.delivered) {
        s.delivered = offset;
        advanced = true;
      }
      if (read && offset > s.read) {
        s.read = offset;
        s.forgetTypesUpTo(offset);
        advanced = true;
      }
      if (advanced) {
        entry.setValue(inbox);
      }
      return new long[] {1, s.delivered, s.read, s.head, advanced ? 1 : 0, forward ? 1 : 0};
    }

    @Override
    public int getClassId() {
      return StreamSerialization.ACK;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(from);
      out.writeLong(offset);
      out.writeBoolean(read);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      from = in.readString();
      offset = in.readLong();
      read = in.readBoolean();
    }
  }

  /** Reads up to {@code max} kept, unexpired messages after an offset. */
  static final class Pull extends Base<PullBatch> implements ReadOnly {
    String from;
    long after;
    int max;
    long cutoff;

    Pull() {}

    Pull(String from, long after, int max, long cutoff) {
      this.from = from;
      this.after = after;
      this.max = max;
      this.cutoff = cutoff;
    }

    @Override
    public PullBatch process(Map.Entry<String, Inbox> entry) {
      Inbox inbox = entry.getValue();
      StreamState s = inbox == null ? null : inbox.streams.get(from);
      PullBatch batch = new PullBatch();
      if (s == null) {
        return batch;
      }
      batch.head = s.head;
      batch.delivered = s.delivered;
      long next = Math.max(after + 1, s.firstKeptOffset());
      while (next <= s.head && batch.offsets.size() < max) {
        StreamState.Kept k = s.at(next++);
        if (k.acceptedAt() >= cutoff) {
          batch.offsets.add(k.offset());
          batch.messages.add(k.message());
        }
      }
      batch.more = next <= s.head;
      return batch;
    }

    @Override
    public EntryProcessor<String, Inbox, PullBatch> getBackupProcessor() {
      return null;
    }

    @Override
    public int getClassId() {
      return StreamSerialization.PULL;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(from);
      out.writeLong(after);
      out.writeInt(max);
      out.writeLong(cutoff);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      from = in.readString();
      after = in.readLong();
      max = in.readInt();
      cutoff = in.readLong();
    }
  }

  /** Result of {@link Pull}. */
  static final class PullBatch implements IdentifiedDataSerializable {
    long head;
    long delivered;
    boolean more;
    final List<Long> offsets = new ArrayList<>();
    final List<byte[]> messages = new ArrayList<>();

    @Override
    public int getFactoryId() {
      return StreamSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return StreamSerialization.PULL_BATCH;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(head);
      out.writeLong(delivered);
      out.writeBoolean(more);
      out.writeInt(offsets.size());
      for (int i = 0; i < offsets.size(); i++) {
        out.writeLong(offsets.get(i));
        out.writeByteArray(messages.get(i));
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      head = in.readLong();
      delivered = in.readLong();
      more = in.readBoolean();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        offsets.add(in.readLong());
        messages.add(in.readByteArray());
      }
    }
  }

  /** Lists the streams of an inbox whose head is beyond DELIVERED. */
  static final class Positions extends Base<PositionList> implements ReadOnly {
    @Override
    public PositionList process(Map.Entry<String, Inbox> entry) {
      PositionList list = new PositionList();
      Inbox inbox = entry.getValue();
      if (inbox != null) {
        inbox.streams.forEach((from, s) -> {
          if (s.head > s.delivered) {
            list.from.add(from);
            list.positions.add(new long[] {s.head, s.delivered, s.read});
          }
        });
      }
      return list;
    }

    @Override
    public EntryProcessor<String, Inbox, PositionList> getBackupProcessor() {
      return null;
    }

    @Override
    public int getClassId() {
      return StreamSerialization.POSITIONS;
    }

    @Override
    public void writeData(ObjectDataOutput out) {}

    @Override
    public void readData(ObjectDataInput in) {}
  }

  /** Result of {@link Positions}: parallel lists of sender eid and {head, delivered, read}. */
  static final class PositionList implements IdentifiedDataSerializable {
    final List<String> from = new ArrayList<>();
    final List<long[]> positions = new ArrayList<>();

    @Override
    public int getFactoryId() {
      return StreamSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
      return StreamSerialization.POSITION_LIST;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(from.size());
      for (int i = 0; i < from.size(); i++) {
        out.writeString(from.get(i));
        out.writeLongArray(positions.get(i));
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        from.add(in.readString());
        positions.add(in.readLongArray());
      }
    }
  }

  /** Drops expired messages from every stream of an inbox; returns how many. */
  static final class Trim extends Base<Long> {
    long cutoff;

    Trim() {}

    Trim(long cutoff) {
      this.cutoff = cutoff;
    }

    @Override
    public Long process(Map.Entry<String, Inbox> entry) {
      Inbox inbox = entry.getValue();
      if (inbox == null) {
        return 0L;
      }
      long dropped = 0;
      for (StreamState s : inbox.streams.values()) {
        dropped += s.trimBefore(cutoff);
      }
      if (dropped > 0) {
        entry.setValue(inbox);
      }
      return dropped;
    }

    @Override
    public int getClassId() {
      return StreamSerialization.TRIM;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(cutoff);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      cutoff = in.readLong();
    }
  }
}

package io.phoenix.stream;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Every stream into one recipient: the value of the {@code phoenix.inbox} map.
 *
 * <pre>
 * map phoenix.inbox      key                 value
 *                        recipient eid (B)   Inbox { sender eid (A) → StreamState of S(A → B) }
 * </pre>
 *
 * Keying by recipient puts all of B's streams in one partition, so storing a message, SYNC and
 * an acknowledgement are each one entry-processor call on one key, and the processor can
 * dedupe, assign the offset and store atomically (the partition thread serializes them).
 *
 * <p>Not thread-safe: owned by the partition thread; in-memory format OBJECT.
 */
public final class Inbox implements IdentifiedDataSerializable {
  final Map<String, StreamState> streams = new HashMap<>();

  @Override
  public int getFactoryId() {
    return StreamSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return StreamSerialization.INBOX;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(streams.size());
    for (Map.Entry<String, StreamState> e : streams.entrySet()) {
      out.writeString(e.getKey());
      e.getValue().writeTo(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      streams.put(in.readString(), StreamState.readFrom(in));
    }
  }
}

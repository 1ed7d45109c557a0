package io.phoenix.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The online devices of one eid: the value of the {@code phoenix.directory} map.
 *
 * <pre>
 * map phoenix.directory   key    value
 *                         eid    DeviceSet { resource → (node id, session id) }
 * </pre>
 *
 * <p>Not thread-safe: changed only by entry processors on the owning partition thread; read
 * by callers as a deserialized copy.
 */
public final class DeviceSet implements IdentifiedDataSerializable {
  /** resource → {node, sessionId}. */
  final Map<String, String[]> devices = new LinkedHashMap<>();

  @Override
  public int getFactoryId() {
    return DirectorySerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return DirectorySerialization.DEVICE_SET;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(devices.size());
    for (Map.Entry<String, String[]> e : devices.entrySet()) {
      out.writeString(e.getKey());
      out.writeString(e.getValue()[0]);
      out.writeString(e.getValue()[1]);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      devices.put(in.readString(), new String[] {in.readString(), in.readString()});
    }
  }
}

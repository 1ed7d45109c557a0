package io.phoenix.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;

/**
 * Entry processors that change a {@link DeviceSet} atomically on its partition thread.
 *
 * <p>Instances are single-use messages: built by the caller, run once by Hazelcast.
 */
final class DirectoryProcessors {
  private DirectoryProcessors() {}

  abstract static class Base<R> implements EntryProcessor<String, DeviceSet, R>,
      IdentifiedDataSerializable {
    @Override
    public int getFactoryId() {
      return DirectorySerialization.FACTORY_ID;
    }

    static void store(Map.Entry<String, DeviceSet> entry, DeviceSet set) {
      entry.setValue(set.devices.isEmpty() ? null : set);
    }
  }

  /** Puts {resource → (node, session)}; returns the replaced {node, session} or null. */
  static final class Register extends Base<String[]> {
    String resource;
    String node;
    String sessionId;

    Register() {}

    Register(String resource, String node, String sessionId) {
      this.resource = resource;
      this.node = node;
      this.sessionId = sessionId;
    }

    @Override
    public String[] process(Map.Entry<String, DeviceSet> entry) {
      DeviceSet set = entry.getValue() == null ? new DeviceSet() : entry.getValue();
      String[] previous = set.devices.put(resource, new String[] {node, sessionId});
      store(entry, set);
      return previous;
    }

    @Override
    public int getClassId() {
      return DirectorySerialization.REGISTER;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(resource);
      out.writeString(node);
      out.writeString(sessionId);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      resource = in.readString();
      node = in.readString();
      sessionId = in.readString();
    }
  }

  /** Removes the resource if it still names the session. */
  static final class Unregister extends Base<Boolean> {
    String resource;
    String sessionId;

    Unregister() {}

    Unregister(String resource, String sessionId) {
      this.resource = resource;
      this.sessionId = sessionId;
    }

    @Override
    public Boolean process(Map.Entry<String, DeviceSet> entry) {
      DeviceSet set = entry.getValue();
      if (set == null) {
        return false;
      }
      String[] current = set.devices.get(resource);
      if (current == null || !current[1].equals(sessionId)) {
        return false;
      }
      set.devices.remove(resource);
      store(entry, set);
      return true;
    }

    @Override
    public int getClassId() {
      return DirectorySerialization.UNREGISTER;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(resource);
      out.writeString(sessionId);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      resource = in.readString();
      sessionId = in.readString();
    }
  }

  /** Removes every resource held by a node; returns how many. */
  static final class RemoveNode extends Base<Integer> {
    String node;

    RemoveNode() {}

    RemoveNode(String node) {
      this.node = node;
    }

    @Override
    public Integer process(Map.Entry<String, DeviceSet> entry) {
      DeviceSet set = entry.getValue();
      if (set == null) {
        return 0;
      }
      int before = set.devices.size();
      set.devices.values().removeIf(v -> v[0].equals(node));
      int removed = before - set.devices.size();
      if (removed > 0) {
        store(entry, set);
      }
      return removed;
    }

    @Override
    public int getClassId() {
      return DirectorySerialization.REMOVE_NODE;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(node);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      node = in.readString();
    }
  }
}

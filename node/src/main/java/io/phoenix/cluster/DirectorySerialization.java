package io.phoenix.cluster;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Hazelcast serialization for the directory's value and processors; every member registers it.
 *
 * <p>Stateless; thread-safe.
 */
public final class DirectorySerialization implements DataSerializableFactory {
  public static final int FACTORY_ID = 7102;
  static final int DEVICE_SET = 1;
  static final int REGISTER = 2;
  static final int UNREGISTER = 3;
  static final int REMOVE_NODE = 4;

  @Override
  public IdentifiedDataSerializable create(int classId) {
    return switch (classId) {
      case DEVICE_SET -> new DeviceSet();
      case REGISTER -> new DirectoryProcessors.Register();
      case UNREGISTER -> new DirectoryProcessors.Unregister();
      case REMOVE_NODE -> new DirectoryProcessors.RemoveNode();
      default -> null;
    };
  }
}

package io.phoenix.stream;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Hazelcast serialization for the stream store's values, processors and results. Every member
 * registers this factory (see the cluster bootstrap).
 *
 * <p>Stateless; thread-safe.
 */
public final class StreamSerialization implements DataSerializableFactory {
  public static final int FACTORY_ID = 7101;
  static final int BUCKET = 10;
  static final int BATCH = 11;
  static final int READ_BATCH = 12;
  static final int RESULTS = 13;

  @Override
  public IdentifiedDataSerializable create(int classId) {
    return switch (classId) {
      case BUCKET -> new StreamBucket();
      case BATCH -> new BucketBatch();
      case READ_BATCH -> new BucketBatch.ReadBatch();
      case RESULTS -> new BucketBatch.Results();
      default -> null;
    };
  }
}

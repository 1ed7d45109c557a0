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
  static final int INBOX = 1;
  static final int APPEND = 2;
  static final int ACK = 3;
  static final int PULL = 4;
  static final int PULL_BATCH = 5;
  static final int POSITIONS = 6;
  static final int POSITION_LIST = 7;
  static final int TRIM = 8;

  @Override
  public IdentifiedDataSerializable create(int classId) {
    return switch (classId) {
      case INBOX -> new Inbox();
      case APPEND -> new InboxProcessors.Append();
      case ACK -> new InboxProcessors.Ack();
      case PULL -> new InboxProcessors.Pull();
      case PULL_BATCH -> new InboxProcessors.PullBatch();
      case POSITIONS -> new InboxProcessors.Positions();
      case POSITION_LIST -> new InboxProcessors.PositionList();
      case TRIM -> new InboxProcessors.Trim();
      default -> null;
    };
  }
}

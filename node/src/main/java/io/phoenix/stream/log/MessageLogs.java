package io.phoenix.stream.log;

import io.phoenix.config.StorageOptions;
import java.nio.file.Path;

/**
 * Opens the {@link MessageLog} a node's {@code storage} group names.
 *
 * <p>Stateless.
 */
public final class MessageLogs {
  private MessageLogs() {}

  /**
   * The database of {@code storage}, opened (and created or migrated), or null for
   * {@code storage.type memory}. Blocks while it connects.
   *
   * {@code memberTimeoutSeconds} ({@code cluster.memberTimeoutSeconds}) bounds how long a
   * PostgreSQL transaction of this node may stay open and idle (see
   * {@link PostgresMessageLog#open(String, String, String, int, int)}).
   *
   * @throws LogException with one line that says what is wrong and what to do
   */
  public static MessageLog open(StorageOptions storage, int memberTimeoutSeconds)
      throws LogException {
    return switch (storage.type()) {
      case StorageOptions.EMBEDDED -> RocksDbMessageLog.open(Path.of(storage.path()));
      case StorageOptions.POSTGRESQL -> PostgresMessageLog.open(storage.url(), storage.user(),
          storage.password(), storage.poolSize(), memberTimeoutSeconds);
      default -> null;
    };
  }
}

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
   * @throws LogException with one line that says what is wrong and what to do
   */
  public static MessageLog open(StorageOptions storage) throws LogException {
    return switch (storage.type()) {
      case StorageOptions.EMBEDDED -> RocksDbMessageLog.open(Path.of(storage.path()));
      case StorageOptions.POSTGRESQL -> PostgresMessageLog.open(storage.url(), storage.user(),
          storage.password(), storage.poolSize());
      default -> null;
    };
  }
}

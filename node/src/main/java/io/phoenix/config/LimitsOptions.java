package io.phoenix.config;

/**
 * Per-connection and per-session limits (config group {@code limits}).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles.
 *
 * @param maxFrameBytes largest accepted protocol frame, 1024 to 16777216 bytes
 * @param helloTimeoutMs time a new connection has to say hello, 100 to 600000 ms
 * @param heartbeatSeconds session heartbeat interval, 1 to 3600 seconds
 * @param messagesPerSecond messages a session may publish per second, 1 to 1000000
 * @param signalsPerSecond ack signals (DELIVERED, READ, PULL_REQUEST, SYNC) a session may send
 *     per second, 1 to 1000000; beyond it the node reads the session more slowly
 * @param pullBatch most messages returned by one pull, 1 to 10000
 * @param maxOutboundBytes pending writes of a session before it is closed as a slow consumer,
 *     65536 to 268435456 bytes
 * @param maxUndeliveredPerStream messages a stream may hold above the recipient's DELIVERED
 *     position, 1 to 100000000
 * @param maxConnections client sockets held at once over both ports, 0 (derived from the
 *     open-files limit) to 10000000
 * @param devicesPerIdentity devices (connection_resource_ids) one eid may have online at once
 *     in the cluster, 1 to 1000000
 */
public record LimitsOptions(int maxFrameBytes, int helloTimeoutMs, int heartbeatSeconds,
    int messagesPerSecond, int signalsPerSecond, int pullBatch, int maxOutboundBytes,
    int maxUndeliveredPerStream, int maxConnections, int devicesPerIdentity) {

  /** Default of {@code limits.maxFrameBytes}: {@value} (64 KiB). */
  public static final int DEFAULT_MAX_FRAME_BYTES = 65_536;
  /** Default of {@code limits.helloTimeoutMs}: {@value}. */
  public static final int DEFAULT_HELLO_TIMEOUT_MS = 10_000;
  /** Default of {@code limits.heartbeatSeconds}: {@value}. */
  public static final int DEFAULT_HEARTBEAT_SECONDS = 30;
  /** Default of {@code limits.messagesPerSecond}: {@value}. */
  public static final int DEFAULT_MESSAGES_PER_SECOND = 1000;
  /** Default of {@code limits.signalsPerSecond}: {@value}. */
  public static final int DEFAULT_SIGNALS_PER_SECOND = 5000;
  /** Default of {@code limits.pullBatch}: {@value}. */
  public static final int DEFAULT_PULL_BATCH = 100;
  /** Default of {@code limits.maxOutboundBytes}: {@value} (4 MiB). */
  public static final int DEFAULT_MAX_OUTBOUND_BYTES = 4_194_304;
  /** Default of {@code limits.maxUndeliveredPerStream}: {@value}. */
  public static final int DEFAULT_MAX_UNDELIVERED_PER_STREAM = 10_000;
  /** Default of {@code limits.maxConnections}: {@value}, derived from the open-files limit. */
  public static final int DEFAULT_MAX_CONNECTIONS = 0;
  /** Default of {@code limits.devicesPerIdentity}: {@value}. */
  public static final int DEFAULT_DEVICES_PER_IDENTITY = 256;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public LimitsOptions {
    ConfigKey.LIMITS_MAX_FRAME_BYTES.checkInt(maxFrameBytes);
    ConfigKey.LIMITS_HELLO_TIMEOUT_MS.checkInt(helloTimeoutMs);
    ConfigKey.LIMITS_HEARTBEAT_SECONDS.checkInt(heartbeatSeconds);
    ConfigKey.LIMITS_MESSAGES_PER_SECOND.checkInt(messagesPerSecond);
    ConfigKey.LIMITS_SIGNALS_PER_SECOND.checkInt(signalsPerSecond);
    ConfigKey.LIMITS_PULL_BATCH.checkInt(pullBatch);
    ConfigKey.LIMITS_MAX_OUTBOUND_BYTES.checkInt(maxOutboundBytes);
    ConfigKey.LIMITS_MAX_UNDELIVERED_PER_STREAM.checkInt(maxUndeliveredPerStream);
    ConfigKey.LIMITS_MAX_CONNECTIONS.checkInt(maxConnections);
    ConfigKey.LIMITS_DEVICES_PER_IDENTITY.checkInt(devicesPerIdentity);
  }

  /** @return the options with every default */
  public static LimitsOptions defaults() {
    return new LimitsOptions(DEFAULT_MAX_FRAME_BYTES, DEFAULT_HELLO_TIMEOUT_MS,
        DEFAULT_HEARTBEAT_SECONDS, DEFAULT_MESSAGES_PER_SECOND,
        DEFAULT_SIGNALS_PER_SECOND, DEFAULT_PULL_BATCH,
        DEFAULT_MAX_OUTBOUND_BYTES, DEFAULT_MAX_UNDELIVERED_PER_STREAM, DEFAULT_MAX_CONNECTIONS,
        DEFAULT_DEVICES_PER_IDENTITY);
  }
}

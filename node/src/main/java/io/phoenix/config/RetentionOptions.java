package io.phoenix.config;

/**
 * How long and how many stored messages are kept (config group {@code retention}).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles.
 *
 * @param seconds age after which stored messages expire, 1 to 315360000 seconds
 * @param maxMessagesPerStream most messages kept per stream, 1 to 10000000
 * @param sweepSeconds interval of the expiry sweep, 1 to 86400 seconds
 */
public record RetentionOptions(long seconds, int maxMessagesPerStream, int sweepSeconds) {

  /** Default of {@code retention.seconds}: {@value} (seven days). */
  public static final long DEFAULT_SECONDS = 604_800L;
  /** Default of {@code retention.maxMessagesPerStream}: {@value}. */
  public static final int DEFAULT_MAX_MESSAGES_PER_STREAM = 10_000;
  /** Default of {@code retention.sweepSeconds}: {@value}. */
  public static final int DEFAULT_SWEEP_SECONDS = 60;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public RetentionOptions {
    ConfigKey.RETENTION_SECONDS.checkLong(seconds);
    ConfigKey.RETENTION_MAX_MESSAGES_PER_STREAM.checkInt(maxMessagesPerStream);
    ConfigKey.RETENTION_SWEEP_SECONDS.checkInt(sweepSeconds);
  }

  /** @return the options with every default */
  public static RetentionOptions defaults() {
    return new RetentionOptions(DEFAULT_SECONDS, DEFAULT_MAX_MESSAGES_PER_STREAM,
        DEFAULT_SWEEP_SECONDS);
  }
}

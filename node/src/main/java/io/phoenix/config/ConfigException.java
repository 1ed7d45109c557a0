package io.phoenix.config;

/**
 * A configuration problem found while the node starts: unreadable file, invalid JSON, unknown
 * key, wrong type or value out of range.
 *
 * <p>Threading: immutable once thrown; safe to pass between threads.
 *
 * <p>The message is a single line that names the offending key, environment variable or file,
 * and is meant to be printed to the operator as is, e.g.
 * {@code config error: limits.maxFrameBytes must be between 1024 and 16777216 (got 12)}.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Prefix of every message. */
  public static final String PREFIX = "config error: ";

  /**
   * @param detail what is wrong, starting with the key or file it concerns; line breaks are
   *     replaced with spaces so the message stays on one line
   */
  public ConfigException(String detail) {
    this(detail, null);
  }

  /**
   * @param detail what is wrong, starting with the key or file it concerns
   * @param cause the underlying failure, kept for debugging; it never appears in the message
   */
  public ConfigException(String detail, Throwable cause) {
    super(PREFIX + oneLine(detail), cause);
  }

  static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}

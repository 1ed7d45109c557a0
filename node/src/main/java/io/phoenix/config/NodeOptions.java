package io.phoenix.config;

/**
 * Identity of this node (config group {@code node}).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles.
 *
 * @param id unique node id, 1 to 64 characters of {@code [A-Za-z0-9._-]}; it becomes part of
 *     event-bus addresses
 */
public record NodeOptions(String id) {

  /** Default of {@code node.id}: {@value}. */
  public static final String DEFAULT_ID = "node-1";

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public NodeOptions {
    ConfigKey.NODE_ID.checkString(id);
  }

  /** @return the options with every default */
  public static NodeOptions defaults() {
    return new NodeOptions(DEFAULT_ID);
  }
}

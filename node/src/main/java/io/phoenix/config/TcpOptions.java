package io.phoenix.config;

/**
 * The TCP protocol listener (config group {@code tcp}).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles.
 *
 * @param host interface to bind, non-empty
 * @param port port to bind, 0 to 65535; 0 picks any free port
 */
public record TcpOptions(String host, int port) {

  /** Default of {@code tcp.host}: {@value}, every interface. */
  public static final String DEFAULT_HOST = "0.0.0.0";
  /** Default of {@code tcp.port}: {@value}. */
  public static final int DEFAULT_PORT = 4100;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public TcpOptions {
    ConfigKey.TCP_HOST.checkString(host);
    ConfigKey.TCP_PORT.checkInt(port);
  }

  /** @return the options with every default */
  public static TcpOptions defaults() {
    return new TcpOptions(DEFAULT_HOST, DEFAULT_PORT);
  }
}

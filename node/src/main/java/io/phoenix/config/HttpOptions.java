package io.phoenix.config;

/**
 * The HTTP and WebSocket listener (config group {@code http}).
 *
 * <p>Threading: immutable record; safe to share between threads and verticles.
 *
 * @param host interface to bind, non-empty
 * @param port port to bind, 0 to 65535; 0 picks any free port
 * @param webSocketPath request path upgraded to a WebSocket; starts with "/"
 * @param webSocketCompression whether a WebSocket client that offers permessage-deflate gets it
 */
public record HttpOptions(String host, int port, String webSocketPath,
    boolean webSocketCompression) {

  /** Default of {@code http.host}: {@value}, every interface. */
  public static final String DEFAULT_HOST = "0.0.0.0";
  /** Default of {@code http.port}: {@value}. */
  public static final int DEFAULT_PORT = 4000;
  /** Default of {@code http.webSocketPath}: {@value}. */
  public static final String DEFAULT_WEB_SOCKET_PATH = "/socket";
  /**
   * Default of {@code http.webSocketCompression}: {@value}. A compressing WebSocket keeps a
   * zlib stream for its whole life (about 100 KB of native memory per session, measured), for
   * frames that are small protobuf messages, often encrypted end to end and incompressible.
   */
  public static final boolean DEFAULT_WEB_SOCKET_COMPRESSION = false;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public HttpOptions {
    ConfigKey.HTTP_HOST.checkString(host);
    ConfigKey.HTTP_PORT.checkInt(port);
    ConfigKey.HTTP_WEB_SOCKET_PATH.checkString(webSocketPath);
  }

  /** @return the options with every default */
  public static HttpOptions defaults() {
    return new HttpOptions(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_WEB_SOCKET_PATH,
        DEFAULT_WEB_SOCKET_COMPRESSION);
  }
}

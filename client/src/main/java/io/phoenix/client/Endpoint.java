package io.phoenix.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * One address a {@link PhoenixClient} can connect to: {@code tcp://HOST:PORT} (frames with a
 * varint length prefix) or {@code ws://HOST:PORT/PATH} (one binary WebSocket message per
 * frame; the path defaults to {@code /socket}), and their TLS forms {@code tls://HOST:PORT}
 * and {@code wss://HOST:PORT/PATH}, whose server certificate is verified (chain and host name).
 *
 * <p>Immutable; thread-safe.
 *
 * @param scheme "tcp", "tls", "ws" or "wss"
 * @param host host name or IP address (IPv6 without brackets)
 * @param port 1 to 65535
 * @param path the WebSocket path, starting with '/'; empty for TCP
 */
public record Endpoint(String scheme, String host, int port, String path) {
  /** WebSocket path used when a {@code ws://} endpoint names none. */
  public static final String DEFAULT_WS_PATH = "/socket";

  public Endpoint {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(path, "path");
    if (!scheme.equals("tcp") && !scheme.equals("ws") && !scheme.equals("tls")
        && !scheme.equals("wss")) {
      throw new IllegalArgumentException("endpoint scheme must be tcp, tls, ws or wss, not '"
          + scheme + "'");
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("endpoint has no host");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("endpoint port must be 1 to 65535, not " + port);
    }
    boolean ws = scheme.equals("ws") || scheme.equals("wss");
    if (ws && !path.startsWith("/")) {
      throw new IllegalArgumentException("a " + scheme + " endpoint's path must start with '/'");
    }
    if (!ws && !path.isEmpty()) {
      throw new IllegalArgumentException("a " + scheme + " endpoint has no path");
    }
  }

  /**
   * Parses {@code tcp://host:port}, {@code tls://host:port}, {@code ws://host:port[/path]} or
   * {@code wss://host:port[/path]}.
   *
   * @throws IllegalArgumentException with a message naming the problem
   */
  public static Endpoint parse(String text) {
    Objects.requireNonNull(text, "endpoint");
    URI uri;
    try {
      uri = new URI(text.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not an endpoint: '" + text + "' (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme();
    if (scheme == null || uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException("not an endpoint: '" + text
          + "' (expected tcp://HOST:PORT, tls://HOST:PORT, ws://HOST:PORT/PATH or "
          + "wss://HOST:PORT/PATH)");
    }
    if (uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null) {
      throw new IllegalArgumentException("an endpoint has no user, query or fragment: '"
          + text + "'");
    }
    scheme = scheme.toLowerCase(Locale.ROOT);
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    boolean ws = scheme.equals("ws") || scheme.equals("wss");
    if (ws && path.isEmpty()) {
      path = DEFAULT_WS_PATH;
    }
    if (!ws && path.equals("/")) {
      path = "";
    }
    return new Endpoint(scheme, host, uri.getPort(), path);
  }

  /** A TCP endpoint. */
  public static Endpoint tcp(String host, int port) {
    return new Endpoint("tcp", host, port, "");
  }

  /** A WebSocket endpoint. */
  public static Endpoint ws(String host, int port, String path) {
    return new Endpoint("ws", host, port, path);
  }

  /** A TLS endpoint: {@code tls://HOST:PORT}. */
  public static Endpoint tls(String host, int port) {
    return new Endpoint("tls", host, port, "");
  }

  /** A WebSocket endpoint over TLS: {@code wss://HOST:PORT/PATH}. */
  public static Endpoint wss(String host, int port, String path) {
    return new Endpoint("wss", host, port, path);
  }

  /** WebSocket ({@code ws} or {@code wss}), else a TCP stream ({@code tcp} or {@code tls}). */
  public boolean isWebSocket() {
    return scheme.equals("ws") || scheme.equals("wss");
  }

  /** Whether the connection is TLS ({@code tls} or {@code wss}). */
  public boolean isTls() {
    return scheme.equals("tls") || scheme.equals("wss");
  }

  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return scheme + "://" + h + ":" + port + path;
  }
}

package io.phoenix.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * One address a {@link PhoenixClient} can connect to: {@code tcp://HOST:PORT} (frames with a
 * varint length prefix) or {@code ws://HOST:PORT/PATH} (one binary WebSocket message per
 * frame; the path defaults to {@code /socket}). TLS endpoints are not supported yet.
 *
 * <p>Immutable; thread-safe.
 *
 * @param scheme "tcp" or "ws"
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
    if (!scheme.equals("tcp") && !scheme.equals("ws")) {
      throw new IllegalArgumentException("endpoint scheme must be tcp or ws, not '" + scheme + "'");
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("endpoint has no host");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("endpoint port must be 1 to 65535, not " + port);
    }
    if (scheme.equals("ws") && !path.startsWith("/")) {
      throw new IllegalArgumentException("a ws endpoint's path must start with '/'");
    }
    if (scheme.equals("tcp") && !path.isEmpty()) {
      throw new IllegalArgumentException("a tcp endpoint has no path");
    }
  }

  /**
   * Parses {@code tcp://host:port} or {@code ws://host:port[/path]}.
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
          + "' (expected tcp://HOST:PORT or ws://HOST:PORT/PATH)");
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
    if (scheme.equals("ws") && path.isEmpty()) {
      path = DEFAULT_WS_PATH;
    }
    if (scheme.equals("tcp") && path.equals("/")) {
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

  public boolean isWebSocket() {
    return scheme.equals("ws");
  }

  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return scheme + "://" + h + ":" + port + path;
  }
}

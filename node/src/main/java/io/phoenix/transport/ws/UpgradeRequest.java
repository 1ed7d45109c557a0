package io.phoenix.transport.ws;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Reads the head of the first request on an HTTP connection and says whether it is a WebSocket
 * opening handshake ({@code RFC 6455} 4.2.1) that the node takes at once: a {@code GET} of the
 * WebSocket path over HTTP/1.1, with {@code Upgrade: websocket}, {@code Connection: Upgrade},
 * version 13 and a 16-byte key, and no body.
 *
 * <p>This is a fast path only, so it is strict: anything else, including requests that are
 * valid but unusual (folded header lines, a body, an absolute request target) and heads past
 * the server's size limits, is left to the HTTP server, which answers it as
 * {@link WebSocketHandshake} does. Whatever this class takes, that class would have taken too.
 *
 * <p>Stateless.
 */
final class UpgradeRequest {
  private UpgradeRequest() {}

  /**
   * The length of the head (through the blank line ending it) at the start of the
   * {@code length} bytes of {@code bytes} from {@code offset}, or -1 while it has not ended.
   */
  static int headEnd(byte[] bytes, int offset, int length) {
    for (int i = offset + 3; i < offset + length; i++) {
      if (bytes[i] == '\n' && bytes[i - 1] == '\r' && bytes[i - 2] == '\n'
          && bytes[i - 3] == '\r') {
        return i + 1 - offset;
      }
    }
    return -1;
  }

  /**
   * The {@code Sec-WebSocket-Key} of the head in {@code bytes} (from {@code offset}, {@code
   * length} bytes ending with its blank line) when it is an upgrade to take on {@code path};
   * null when the HTTP server is to answer it.
   */
  static String key(byte[] bytes, int offset, int length, String path) {
    String text = new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    String[] lines = text.split("\r\n", -1);
    // the request line, then header lines, then the blank line (and the empty rest after it)
    if (lines.length < 3 || !takenTarget(lines[0], path) || tooLarge(lines[0], length)) {
      return null;
    }
    boolean upgrade = false;
    boolean connection = false;
    boolean version = false;
    String key = null;
    for (int i = 1; i < lines.length - 2; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t'
          || line.charAt(colon - 1) == ' ') {
        return null; // folded or malformed: the server says what is wrong
      }
      String name = line.substring(0, colon);
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("upgrade")) {
        upgrade |= hasToken(value, "websocket");
      } else if (name.equalsIgnoreCase("connection")) {
        connection |= hasToken(value, "upgrade");
      } else if (name.equalsIgnoreCase(WebSocketHandshake.VERSION)) {
        if (version || !value.equals("13")) {
          return null;
        }
        version = true;
      } else if (name.equalsIgnoreCase(WebSocketHandshake.KEY)) {
        if (key != null) {
          return null;
        }
        key = value;
      } else if (name.equalsIgnoreCase("content-length") && !value.equals("0")
          || name.equalsIgnoreCase("transfer-encoding")) {
        return null;
      }
    }
    return upgrade && connection && version && validKey(key) ? key : null;
  }

  /**
   * Whether the HTTP server would refuse the head as too large (414 or 431): the server's limits
   * hold for an upgrade as for any request. Line ends are counted too, which the server does
   * not count: a head near the limits goes to the server, which decides.
   */
  private static boolean tooLarge(String requestLine, int length) {
    return requestLine.length() > HttpServerVerticle.MAX_REQUEST_LINE
        || length - requestLine.length() - 2 > HttpServerVerticle.MAX_HEADERS;
  }

  /** {@code GET <path>[?query] HTTP/1.1}, exactly. */
  private static boolean takenTarget(String requestLine, String path) {
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3 || !parts[0].equals("GET") || !parts[2].equals("HTTP/1.1")) {
      return false;
    }
    String target = parts[1];
    int query = target.indexOf('?');
    return (query < 0 ? target : target.substring(0, query)).equals(path);
  }

  static boolean validKey(String key) {
    if (key == null) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(key).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether a comma-separated header value holds {@code token}, in any case. */
  static boolean hasToken(String value, String token) {
    for (String part : value.split(",")) {
      if (part.trim().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  /** The server's 101 for a taken upgrade. */
  static byte[] switching(String key) {
    return ("HTTP/1.1 101 Switching Protocols\r\n"
        + "upgrade: websocket\r\n"
        + "connection: Upgrade\r\n"
        + "sec-websocket-accept: " + WebSocketFrames.acceptFor(key) + "\r\n"
        + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
  }
}

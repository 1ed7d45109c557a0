package io.phoenix.bench;

import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.Status;
import io.phoenix.transport.ws.WebSocketFrames;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client's side of the RFC 6455 opening handshake, for the bench's WebSocket sessions over a
 * plain socket: the upgrade request, then the node's answer read as it arrives, which must be 101
 * with the right {@code Sec-WebSocket-Accept} and no extension agreed.
 *
 * <p>Single use; confined to its connection's event loop.
 */
final class WebSocketUpgrade {
  /** An answer's header longer than this is not the node's. */
  private static final int MAX_HEADER_BYTES = 16 * 1024;

  private final String request;
  private final String accept;
  private Buffer received = Buffer.buffer();

  WebSocketUpgrade(String host, int port, String path) {
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String key = Base64.getEncoder().encodeToString(nonce);
    accept = WebSocketFrames.acceptFor(key);
    request = "GET " + path + " HTTP/1.1\r\n"
        + "Host: " + new BenchOptions.Server(host, port) + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n";
  }

  /** The upgrade request, to write first. */
  Buffer request() {
    return Buffer.buffer(request, "US-ASCII");
  }

  /** Whether the answer was read (and accepted). */
  boolean done() {
    return received == null;
  }

  /**
   * Takes the next chunk of the answer: null while its header is incomplete, then what follows
   * the header (WebSocket frames; usually nothing).
   *
   * @throws ProtocolException when the node refused the upgrade or answered something else
   */
  Buffer received(Buffer chunk) {
    received.appendBuffer(chunk);
    int end = headerEnd(received);
    if (end < 0) {
      if (received.length() > MAX_HEADER_BYTES) {
        throw new ProtocolException(Status.BAD_REQUEST, "no end to the upgrade's answer");
      }
      return null;
    }
    String[] lines = received.getString(0, end, StandardCharsets.ISO_8859_1.name())
        .split("\r\n");
    if (!lines[0].startsWith("HTTP/1.1 101")) {
      throw new ProtocolException(Status.BAD_REQUEST, "upgrade refused: " + lines[0]);
    }
    String acceptHeader = null;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      String name = colon < 0 ? "" : lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = colon < 0 ? "" : lines[i].substring(colon + 1).trim();
      if (name.equals("sec-websocket-accept")) {
        acceptHeader = value;
      } else if (name.equals("sec-websocket-extensions")) {
        throw new ProtocolException(Status.BAD_REQUEST, "the node agreed to an extension nobody "
            + "offered: " + value);
      }
    }
    if (!accept.equals(acceptHeader)) {
      throw new ProtocolException(Status.BAD_REQUEST, "wrong Sec-WebSocket-Accept: "
          + acceptHeader);
    }
    Buffer rest = received.getBuffer(end + 4, received.length());
    received = null;
    return rest;
  }

  /** Where the blank line that ends the header starts, or -1. */
  private static int headerEnd(Buffer b) {
    for (int i = 0; i + 3 < b.length(); i++) {
      if (b.getByte(i) == '\r' && b.getByte(i + 1) == '\n' && b.getByte(i + 2) == '\r'
          && b.getByte(i + 3) == '\n') {
        return i;
      }
    }
    return -1;
  }
}

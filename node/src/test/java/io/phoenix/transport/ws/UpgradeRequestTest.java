package io.phoenix.transport.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Which first requests the node's front takes as WebSocket upgrades, and which it passes on. */
class UpgradeRequestTest {
  private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
  private static final String GOOD = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n";

  private static String key(String head) {
    byte[] bytes = ("xx" + head + "yy").getBytes(StandardCharsets.ISO_8859_1);
    int end = UpgradeRequest.headEnd(bytes, 2, bytes.length - 4);
    assertEquals(head.length(), end, "the head ends at its blank line");
    return UpgradeRequest.key(bytes, 2, end, "/socket");
  }

  @Test
  void aPlainUpgradeIsTaken() {
    assertEquals(KEY, key("GET /socket HTTP/1.1\r\nHost: a\r\n" + GOOD + "\r\n"));
    assertEquals(KEY, key("GET /socket?x=1 HTTP/1.1\r\n" + GOOD
        + "Sec-WebSocket-Extensions: permessage-deflate\r\nOrigin: http://a\r\n\r\n"));
    assertEquals(KEY, key("GET /socket HTTP/1.1\r\nupgrade: WebSocket\r\n"
        + "connection: keep-alive, upgrade\r\nsec-websocket-key:" + KEY
        + "\r\nsec-websocket-version: 13\r\nContent-Length: 0\r\n\r\n"));
  }

  @Test
  void anythingElseIsLeftToTheHttpServer() {
    assertNull(key("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n"));
    assertNull(key("GET /other HTTP/1.1\r\n" + GOOD + "\r\n"));
    assertNull(key("POST /socket HTTP/1.1\r\n" + GOOD + "\r\n"));
    assertNull(key("GET /socket HTTP/1.0\r\n" + GOOD + "\r\n"));
    assertNull(key("GET http://a/socket HTTP/1.1\r\n" + GOOD + "\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD.replace("13", "8") + "\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD.replace("Connection: Upgrade",
        "Connection: keep-alive") + "\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD.replace("Upgrade: websocket",
        "Upgrade: h2c") + "\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD.replace(KEY, "c2hvcnQ=") + "\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD + "Sec-WebSocket-Key: " + KEY
        + "\r\n\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD + "Content-Length: 5\r\n\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD + "Transfer-Encoding: chunked\r\n\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD + "X-Folded: a\r\n b\r\n\r\n"));
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD + "Bad Name : a\r\n\r\n"));
    assertNull(key("GET  /socket HTTP/1.1\r\n" + GOOD + "\r\n"));
  }

  /** The server's limits hold for an upgrade too: past them the server answers 414 or 431. */
  @Test
  void aHeadPastTheServersLimitsIsLeftToTheHttpServer() {
    String line = "X-Long: " + "a".repeat(HttpServerVerticle.MAX_HEADERS) + "\r\n";
    assertNull(key("GET /socket HTTP/1.1\r\n" + GOOD + line + "\r\n"));
    String query = "?q=" + "a".repeat(HttpServerVerticle.MAX_REQUEST_LINE);
    assertNull(key("GET /socket" + query + " HTTP/1.1\r\n" + GOOD + "\r\n"));
    String most = "X-Long: " + "a".repeat(HttpServerVerticle.MAX_HEADERS - GOOD.length() - 12)
        + "\r\n";
    assertEquals(KEY, key("GET /socket HTTP/1.1\r\n" + GOOD + most + "\r\n"));
  }

  @Test
  void aHeadEndsAtItsFirstBlankLine() {
    byte[] bytes = "GET / HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.ISO_8859_1);
    assertEquals(-1, UpgradeRequest.headEnd(bytes, 0, bytes.length));
    bytes = "GET / HTTP/1.1\r\n\r\nGET".getBytes(StandardCharsets.ISO_8859_1);
    assertEquals(18, UpgradeRequest.headEnd(bytes, 0, bytes.length));
  }
}

package io.phoenix.transport.ws;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetSocket;
import java.util.List;

/**
 * The server's side of the RFC 6455 opening handshake, on Vert.x's public HTTP API, for the
 * upgrades {@link HttpFront} leaves to the HTTP server (those to refuse, and those on a later
 * request of a connection): checks the upgrade request, answers 101 with
 * {@code Sec-WebSocket-Accept} and takes over the socket
 * ({@link HttpServerRequest#toNetSocket()}). No extension and no subprotocol is ever agreed, so
 * a client's offers of them are left unanswered, which declines them.
 *
 * <p>Stateless.
 */
final class WebSocketHandshake {
  private WebSocketHandshake() {}

  static final String KEY = "Sec-WebSocket-Key";
  static final String VERSION = "Sec-WebSocket-Version";
  static final String ACCEPT = "Sec-WebSocket-Accept";

  /** True for a request that asks for a WebSocket ({@code Upgrade: websocket}). */
  static boolean requested(HttpServerRequest request) {
    return hasToken(request.headers().getAll(HttpHeaders.UPGRADE), "websocket");
  }

  /**
   * Answers an upgrade request: 101 and the raw socket when it is a valid WebSocket handshake
   * on {@code path}; otherwise an error status with a one-line reason (404 for another path,
   * 405 for another method, 426 for another version, 400 for the rest) and a failed future.
   */
  static Future<NetSocket> accept(HttpServerRequest request, String path) {
    if (!path.equals(request.path())) {
      return refuse(request, 404, "no WebSocket endpoint at " + request.path());
    }
    if (request.method() != HttpMethod.GET) {
      return refuse(request, 405, "a WebSocket upgrade is a GET");
    }
    if (request.version() != HttpVersion.HTTP_1_1) {
      return refuse(request, 400, "a WebSocket upgrade needs HTTP/1.1");
    }
    if (!hasToken(request.headers().getAll(HttpHeaders.CONNECTION), "upgrade")) {
      return refuse(request, 400, "a WebSocket upgrade needs Connection: Upgrade");
    }
    if (!"13".equals(trimmed(request.getHeader(VERSION)))) {
      request.response().putHeader(VERSION, "13");
      return refuse(request, 426, "only WebSocket version 13 is spoken");
    }
    String key = trimmed(request.getHeader(KEY));
    if (!UpgradeRequest.validKey(key)) {
      return refuse(request, 400, "Sec-WebSocket-Key must be 16 bytes in base64");
    }
    request.response()
        .putHeader(HttpHeaders.UPGRADE, "websocket")
        .putHeader(HttpHeaders.CONNECTION, "Upgrade")
        .putHeader(ACCEPT, WebSocketFrames.acceptFor(key));
    // writes the 101 with these headers
    return request.toNetSocket().onSuccess(socket -> forgetHeaders(request));
  }

  /**
   * Vert.x keeps the upgrade's request and response with the socket for the session's life.
   * Their headers are of no use once the 101 is written, so they are dropped: about 1 KB of
   * every WebSocket session's memory.
   */
  private static void forgetHeaders(HttpServerRequest request) {
    request.headers().clear();
    request.response().headers().clear();
  }

  private static Future<NetSocket> refuse(HttpServerRequest request, int status, String reason) {
    request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
        .end(reason + "\n");
    return Future.failedFuture(reason);
  }

  /** Whether a comma-separated header (any of its lines) holds {@code token}, in any case. */
  private static boolean hasToken(List<String> values, String token) {
    for (String value : values) {
      if (UpgradeRequest.hasToken(value, token)) {
        return true;
      }
    }
    return false;
  }

  private static String trimmed(String value) {
    return value == null ? null : value.trim();
  }
}

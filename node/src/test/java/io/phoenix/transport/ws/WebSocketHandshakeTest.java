package io.phoenix.transport.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The upgrade on its own, on a Vert.x HTTP server of the test's: what it leaves behind once the
 * socket is handed over. (The node's handshake on the wire is RawWebSocketTest's.)
 */
class WebSocketHandshakeTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void theUpgradesHeadersAreDroppedOnceTheSocketIsHandedOver() throws Exception {
    CompletableFuture<String> left = new CompletableFuture<>();
    HttpServer server = vertx.createHttpServer().requestHandler(request ->
        WebSocketHandshake.accept(request, "/socket").onComplete(ar -> left.complete(
            ar.failed() ? "failed: " + ar.cause() : "request headers "
                + request.headers().size() + ", response headers "
                + request.response().headers().size())));
    int port = server.listen(0, "127.0.0.1").await().actualPort();
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /socket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\nX-Padding: " + "p".repeat(200) + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout(5_000);
      String answer = head(s.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 101"), answer);
      assertTrue(answer.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), answer); // written before
      assertEquals("request headers 0, response headers 0", left.get(5, TimeUnit.SECONDS));
    }
  }

  private static String head(InputStream in) throws Exception {
    StringBuilder b = new StringBuilder();
    while (!b.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      b.append((char) c);
    }
    return b.toString();
  }
}

package io.phoenix.transport.ws;

import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;

/**
 * Answers {@code 400 Bad Request} to a request whose body does not decode (a chunk size that is
 * not hexadecimal, say), then closes the connection.
 *
 * <p>Vert.x's HTTP/1.x server reads a request's head, hands the request to its handler, and
 * decodes the body as it arrives; a body that does not decode fails the connection, which it
 * closes at once without a word, dropping even an answer its handler had already written (it
 * is written to the socket only at the end of the read). Nothing later on the connection can
 * be read either, so it is closed here too, but after an answer: this one, or the handler's if
 * it had begun one.
 *
 * <p>Runs on the request's event loop. Stateless.
 */
final class UndecodableBody {
  private UndecodableBody() {}

  /** Watches {@code request}'s body, before its handler sees it. */
  static void watch(HttpServerRequest request) {
    request.exceptionHandler(e -> {
      if (e instanceof HttpClosedException || e instanceof IOException) {
        return; // the connection is gone (closed, reset): nobody to answer
      }
      HttpServerResponse response = request.response();
      if (!response.headWritten()) {
        response.setStatusCode(400)
            .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
            .putHeader(HttpHeaders.CONNECTION, "close")
            .end("the request's body does not decode\n");
      }
      // a close of the connection's own sends what was written first
      request.connection().close();
    });
  }
}

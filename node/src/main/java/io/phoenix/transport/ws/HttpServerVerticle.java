package io.phoenix.transport.ws;

import io.phoenix.config.TlsOptions;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.Status;
import io.phoenix.session.Session;
import io.phoenix.session.SessionServices;
import io.phoenix.transport.ServerTls;
import io.phoenix.transport.TransportVerticle;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Supplier;

/**
 * Owns the HTTP port: WebSocket clients on the configured path (one binary message = one
 * frame), and plain HTTP requests handed to a handler from {@code requests} (one per instance).
 * Several instances share the port. With {@code tls.http} the port speaks HTTPS and WSS. A
 * client's offer of WebSocket compression is taken only with {@code http.webSocketCompression}.
 *
 * <p>Runs on its event loop.
 */
public final class HttpServerVerticle extends TransportVerticle {
  private final String host;
  private final int port;
  private final String path;
  private final boolean compression;
  private final Supplier<? extends Handler<HttpServerRequest>> requests;
  private final TlsOptions tls;
  private HttpServer server;

  public HttpServerVerticle(SessionServices services, String host, int port, String path,
      boolean compression, Supplier<? extends Handler<HttpServerRequest>> requests,
      TlsOptions tls) {
    super(services);
    this.host = host;
    this.port = port;
    this.path = path;
    this.compression = compression;
    this.requests = requests;
    this.tls = tls;
  }

  @Override
  protected Future<?> listen() {
    int max = services.limits().maxFrameBytes();
    // Fragments are joined here (MessageAssembler), which answers Goodbye 413 as soon as a
    // message grows past the limit. Only a single WebSocket frame past 4x the limit is refused
    // by the WebSocket layer itself (close code 1009) before the session sees it.
    int hardLimit = (int) Math.min(Integer.MAX_VALUE, 4L * max);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setTcpNoDelay(true)
        .setReuseAddress(true)
        // No cleartext HTTP/2 upgrade: the JDK's HttpClient (which asks for h2c by default)
        // intermittently never received the body of a /metrics answer over an upgraded
        // connection. Probes, metrics and pages need nothing beyond HTTP/1.1.
        .setHttp2ClearTextEnabled(false)
        .setMaxWebSocketFrameSize(hardLimit)
        .setMaxWebSocketMessageSize(hardLimit)
        // http.webSocketCompression (off by default: a zlib stream per session)
        .setPerMessageWebSocketCompressionSupported(compression)
        .setPerFrameWebSocketCompressionSupported(compression);
    server = vertx.createHttpServer(tls.http() ? ServerTls.apply(options, tls) : options);
    server.webSocketHandshakeHandler(handshake -> {
      if (path.equals(handshake.path())) {
        handshake.accept();
      } else {
        handshake.reject(404);
      }
    });
    server.webSocketHandler(ws -> {
      Session session = open(new WebSocketConnection(ws));
      MessageAssembler assembler = new MessageAssembler(max,
          body -> session.onFrame(FrameCodec.decode(body)));
      ws.frameHandler(frame -> {
        try {
          assembler.feed(frame);
        } catch (ProtocolException e) {
          session.onProtocolError(e);
        }
      });
      ws.closeHandler(v -> closed(session));
      ws.exceptionHandler(e -> session.onProtocolError(
          new ProtocolException(Status.BAD_REQUEST, "websocket error: " + e.getMessage())));
    });
    server.requestHandler(requests.get());
    return server.listen();
  }

  @Override
  public int actualPort() {
    return server.actualPort();
  }
}

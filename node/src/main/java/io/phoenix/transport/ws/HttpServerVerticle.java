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
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.NetSocket;
import java.util.function.Supplier;

/**
 * Owns the HTTP port: WebSocket clients on the configured path (one binary message = one
 * frame), and plain HTTP requests handed to a handler from {@code requests} (one per instance).
 * Several instances share the port. With {@code tls.http} the port speaks HTTPS and WSS.
 *
 * <p>By default the node frames WebSockets itself ({@link WebSocketHandshake},
 * {@link WebSocketFrameDecoder}, {@link WebSocketConnection}): on the socket of the upgrade it
 * writes the way the TCP transport does, one socket write per turn of the loop. With
 * {@code http.webSocketCompression} on, clients' offers of compression are taken, and Vert.x's
 * WebSocket (which implements permessage-deflate) carries the session instead.
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
    // With compression, fragments are joined by MessageAssembler, which answers Goodbye 413 as
    // soon as a message grows past the limit. Only a single WebSocket frame past 4x the limit is
    // refused by Vert.x's WebSocket layer itself (close code 1009) before the session sees it.
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
        // Responses are written on the event loop only (AdminRoutes sees to it), so the HTTP
        // connection needs no queue for writes from other threads: about 4.4 KB less per
        // connection, WebSocket sessions included (BENCHMARKS.md, memory per idle connection)
        .setStrictThreadMode(true)
        .setMaxWebSocketFrameSize(hardLimit)
        .setMaxWebSocketMessageSize(hardLimit)
        // http.webSocketCompression (off by default: a zlib stream per session)
        .setPerMessageWebSocketCompressionSupported(compression)
        .setPerFrameWebSocketCompressionSupported(compression);
    server = vertx.createHttpServer(tls.http() ? ServerTls.apply(options, tls) : options);
    Handler<HttpServerRequest> pages = requests.get();
    if (compression) {
      server.webSocketHandshakeHandler(handshake -> {
        if (path.equals(handshake.path())) {
          handshake.accept();
        } else {
          handshake.reject(404);
        }
      });
      server.webSocketHandler(this::compressed);
      server.requestHandler(pages);
    } else {
      server.requestHandler(request -> {
        if (WebSocketHandshake.requested(request)) {
          WebSocketHandshake.accept(request, path).onSuccess(this::framed);
        } else {
          pages.handle(request);
        }
      });
    }
    return server.listen();
  }

  /** A WebSocket framed by the node itself, on the socket of an accepted upgrade. */
  private void framed(NetSocket socket) {
    WebSocketConnection connection =
        new WebSocketConnection(socket, context, services.limits().maxFrameBytes());
    Session session = open(connection);
    connection.start(session);
    socket.closeHandler(v -> {
      connection.closed();
      closed(session);
    });
    socket.exceptionHandler(e -> { });
  }

  /** A WebSocket of Vert.x's, which may have agreed on compression. */
  private void compressed(ServerWebSocket ws) {
    int max = services.limits().maxFrameBytes();
    Session session = open(new CompressedWebSocketConnection(ws));
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
  }

  @Override
  public int actualPort() {
    return server.actualPort();
  }
}

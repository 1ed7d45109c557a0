package io.phoenix.transport.ws;

import io.netty.channel.Channel;
import io.phoenix.config.TlsOptions;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.Status;
import io.phoenix.session.Connection;
import io.phoenix.session.Session;
import io.phoenix.session.SessionServices;
import io.phoenix.transport.ByteSocket;
import io.phoenix.transport.ChannelSocket;
import io.phoenix.transport.ConnectionBudget;
import io.phoenix.transport.EventLoops;
import io.phoenix.transport.Listener;
import io.phoenix.transport.ServerTls;
import io.phoenix.transport.TransportVerticle;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.NetSocket;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * Owns the HTTP port: WebSocket clients on the configured path (one binary message = one
 * frame), and plain HTTP requests handed to a handler from {@code requests} (one per instance).
 * Several instances share the port. With {@code tls.http} the port speaks HTTPS and WSS.
 *
 * <p>By default the node accepts the port itself ({@link Listener}) and frames WebSockets itself
 * ({@link WebSocketFrameDecoder}, {@link WebSocketConnection}), writing the way the TCP transport
 * does, one socket write per turn of the loop. Each connection's first request is read by
 * {@link HttpFront}: a WebSocket upgrade becomes a session on the node's own socket; any other
 * connection is spliced to this instance's Vert.x HTTP server, which listens on the loopback
 * interface only and answers requests (and upgrades on later requests of a connection, through
 * {@link WebSocketHandshake}) as it would on the port itself.
 *
 * <p>With {@code http.webSocketCompression} on, clients' offers of compression are taken, and
 * Vert.x's HTTP server has the port: its WebSocket (which implements permessage-deflate) carries
 * the sessions.
 *
 * <p>Runs on its event loop.
 */
public final class HttpServerVerticle extends TransportVerticle implements Listener.Member {
  /** Where the Vert.x HTTP server listens when the node has the port. */
  static final String INSIDE_HOST = "127.0.0.1";

  /** An HTTP connection (not a WebSocket) idle this long is closed. */
  static final int IDLE_TIMEOUT_SECONDS = 60;

  /**
   * The idle timeout of Vert.x's connections when they carry WebSocket sessions too ({@code
   * http.webSocketCompression}): one heartbeat past the three after which a silent session is
   * closed with Goodbye 408, so that a session always gets its Goodbye, and a plain HTTP
   * connection that sends nothing is still closed in the end.
   */
  static int idleTimeoutWithSessions(int heartbeatSeconds) {
    return 4 * heartbeatSeconds;
  }

  /**
   * The longest request line the HTTP server reads (longer: 414), and the most bytes of header
   * lines (more: 431): Vert.x's defaults, named because {@link UpgradeRequest} keeps to them too.
   */
  static final int MAX_REQUEST_LINE = HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH;
  static final int MAX_HEADERS = HttpServerOptions.DEFAULT_MAX_HEADER_SIZE;

  /** The answer of the HTTP port to a connection refused for {@code limits.maxConnections}. */
  public static final byte[] FULL = HttpFront.FULL;

  private final String host;
  private final int port;
  private final String path;
  private final boolean compression;
  private final Supplier<? extends Handler<HttpServerRequest>> requests;
  private final TlsOptions tls;
  private final Listener front;
  private final EventLoops loops;
  private final ConnectionBudget budget;
  private HttpServer server;
  private InetSocketAddress inside;
  /**
   * With Vert.x on the port: how each open connection gives its socket back to the budget,
   * once, by remote address. A connection upgraded to a WebSocket never runs its own close
   * handler (Vert.x hands the channel to the WebSocket): its WebSocket's close handler gives
   * the socket back instead. Touched on this verticle's event loop only.
   */
  private final java.util.Map<String, Runnable> sockets = new java.util.HashMap<>();

  /**
   * @param front the node's listener on the port, or null for Vert.x's HTTP server to have it
   *     (with {@code compression})
   * @param budget the node's client sockets: the connections spliced inside take two more
   *     each, and without {@code front} the server's own connections one each
   */
  public HttpServerVerticle(SessionServices services, String host, int port, String path,
      boolean compression, Supplier<? extends Handler<HttpServerRequest>> requests,
      TlsOptions tls, Listener front, EventLoops loops, ConnectionBudget budget) {
    super(services);
    this.host = host;
    this.port = port;
    this.path = path;
    this.compression = compression;
    this.requests = requests;
    this.tls = tls;
    this.front = front;
    this.loops = loops;
    this.budget = budget;
  }

  @Override
  protected Future<?> listen() {
    int max = services.limits().maxFrameBytes();
    // With compression, fragments are joined by MessageAssembler, which answers Goodbye 413 as
    // soon as a message grows past the limit. Only a single WebSocket frame past 4x the limit is
    // refused by Vert.x's WebSocket layer itself (close code 1009) before the session sees it.
    int hardLimit = (int) Math.min(Integer.MAX_VALUE, 4L * max);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(front == null ? host : INSIDE_HOST)
        .setPort(front == null ? port : 0)
        .setTcpNoDelay(true)
        .setReuseAddress(true)
        .setMaxInitialLineLength(MAX_REQUEST_LINE)
        .setMaxHeaderSize(MAX_HEADERS)
        // Behind the node's own listener the server sees only plain HTTP (probes, metrics, the
        // page): a connection idle for a minute is closed, with its three sockets. With
        // compression it also carries WebSocket sessions, which must meet their heartbeat first.
        .setIdleTimeout(front == null
            ? idleTimeoutWithSessions(services.limits().heartbeatSeconds())
            : IDLE_TIMEOUT_SECONDS)
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
    // with the node on the port, TLS ends there: the inside server speaks plain HTTP
    boolean secure = tls.http() && front == null;
    server = vertx.createHttpServer(secure ? ServerTls.apply(options, tls) : options);
    Handler<HttpServerRequest> routes = requests.get();
    Handler<HttpServerRequest> pages = request -> {
      UndecodableBody.watch(request);
      if (hasBody(request)) {
        endAfterAnswer(request);
      }
      HttpServerResponse response = request.response();
      if (response.writeQueueFull()) {
        // a pipelined request while earlier answers wait for the client to read them: answered
        // once they are written, the connection not read meanwhile, or every answer of a
        // client that never reads would pile up in memory
        request.pause();
        response.drainHandler(v -> {
          request.resume();
          routes.handle(request);
        });
      } else {
        routes.handle(request);
      }
    };
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
    if (front == null) {
      // Vert.x has the port: its connections count here, refused without an answer when full
      server.connectionHandler(connection -> {
        if (!budget.take(1)) {
          budget.refused("http");
          connection.close();
          return;
        }
        String remote = String.valueOf(connection.remoteAddress());
        Runnable give = () -> {
          if (sockets.remove(remote) != null) {
            budget.give(1);
          }
        };
        sockets.put(remote, give);
        connection.closeHandler(v -> give.run());
      });
      return server.listen();
    }
    return server.listen().compose(s -> {
      inside = new InetSocketAddress(INSIDE_HOST, s.actualPort());
      return front.join(this);
    });
  }

  /** Whether {@code request} announces a body: a content-length above 0, or a chunked one. */
  static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return length != null && !length.trim().equals("0")
        || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
  }

  /**
   * Closes the connection of {@code request} once its answer is written, without reading the
   * rest of its body. No route takes a body (every one answers GET and HEAD), so a body is
   * never of use; waiting for its end would let a client that sends a byte of it now and then
   * hold the connection forever, every byte putting off the idle timeout.
   */
  private static void endAfterAnswer(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    response.putHeader(HttpHeaders.CONNECTION, "close");
    response.endHandler(v -> request.connection().close());
  }

  // ------------------------------------------------- the node's listener (Listener.Member)

  @Override
  public void accepted(Channel channel) {
    channel.pipeline().addLast(new HttpFront(this, services.limits().helloTimeoutMs()));
  }

  /** A new WebSocket session's socket, on a connection whose upgrade {@link HttpFront} took. */
  ChannelSocket webSocket(Channel channel) {
    return new ChannelSocket(channel, context,
        new WebSocketConnection(context, this, services.limits().maxFrameBytes()));
  }

  String webSocketPath() {
    return path;
  }

  ConnectionBudget budget() {
    return budget;
  }

  EventLoops loops() {
    return loops;
  }

  /** The Vert.x HTTP server's address, on the loopback interface. */
  InetSocketAddress insideAddress() {
    return inside;
  }

  // ------------------------------------------------- sessions

  /** A WebSocket framed by the node, on the socket of an upgrade Vert.x's server accepted. */
  private void framed(NetSocket socket) {
    WebSocketConnection connection =
        new WebSocketConnection(context, this, services.limits().maxFrameBytes());
    connection.start(ByteSocket.of(socket));
    socket.handler(connection::read);
    socket.closeHandler(v -> connection.closed());
    socket.exceptionHandler(e -> { });
  }

  /** {@link #open(Connection)} for this package's connections. */
  Session open(WebSocketConnection connection) {
    return open((Connection) connection);
  }

  /** {@link #closed(Session)} for this package's connections. */
  void connectionClosed(Session session) {
    closed(session);
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
    ws.closeHandler(v -> {
      closed(session);
      Runnable give = sockets.get(String.valueOf(ws.remoteAddress()));
      if (give != null) {
        give.run();
      }
    });
    ws.exceptionHandler(e -> session.onProtocolError(
        new ProtocolException(Status.BAD_REQUEST, "websocket error: " + e.getMessage())));
  }

  @Override
  public int actualPort() {
    return front == null ? server.actualPort() : front.port();
  }

  @Override
  public Future<?> stop() {
    if (front == null) {
      return super.stop(); // Vert.x closes its server and the sockets it accepted
    }
    for (Connection c : connections()) {
      if (c instanceof WebSocketConnection ws) {
        ws.abort();
      }
    }
    return front.leave(this).compose(v -> super.stop());
  }
}

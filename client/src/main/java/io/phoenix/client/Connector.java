package io.phoenix.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.TrustOptions;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Opens {@link Link}s to endpoints. Holds its NetClient and WebSocketClient in fields for the
 * client's whole life: a client object nobody references can be collected in the middle of a
 * handshake, and the connection with it. TLS endpoints verify the server's certificate chain
 * (against the given trust options, else the JVM's trust store) and its host name; there is no
 * way to switch either off.
 *
 * <p>Used on the client's context (links opened there deliver their events there).
 */
final class Connector {
  /** Largest frame accepted from a node (nodes announce and keep a smaller limit). */
  static final int MAX_INBOUND_FRAME_BYTES = 16 * 1024 * 1024;
  static final int CONNECT_TIMEOUT_MS = 5_000;

  static final long TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

  private final Vertx vertx;
  private final ClientSSLOptions ssl;
  private NetClient netClient;
  private WebSocketClient wsClient;

  Connector(Vertx vertx) {
    this(vertx, null);
  }

  /** @param trust the certificates TLS endpoints must chain to; null: the JVM's trust store */
  Connector(Vertx vertx, TrustOptions trust) {
    this.vertx = vertx;
    this.ssl = new ClientSSLOptions()
        .setHostnameVerificationAlgorithm("HTTPS")
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
        .setSslHandshakeTimeout(TLS_HANDSHAKE_TIMEOUT_MS)
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    if (trust != null) {
      ssl.setTrustOptions(trust);
    }
  }

  /**
   * Opens a link; its events go to {@code handler}. A WebSocket upgrade not answered within
   * {@code timeoutMs} is given up and its connection closed.
   */
  Future<Link> open(Endpoint endpoint, Link.Handler handler, long timeoutMs) {
    if (endpoint.isWebSocket()) {
      if (wsClient == null) {
        wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
            .setConnectTimeout(CONNECT_TIMEOUT_MS)
            .setMaxFrameSize(MAX_INBOUND_FRAME_BYTES)
            .setMaxMessageSize(MAX_INBOUND_FRAME_BYTES));
      }
      WebSocketConnectOptions connect = new WebSocketConnectOptions().setHost(endpoint.host())
          .setPort(endpoint.port()).setURI(endpoint.path()).setTimeout(timeoutMs);
      if (endpoint.isTls()) {
        connect.setSsl(true).setSslOptions(ssl);
      }
      return wsClient.connect(connect)
          .recover(e -> Future.failedFuture(TlsProblem.explain(endpoint, e)))
          .map(ws -> new WebSocketLink(ws, handler));
    }
    if (netClient == null) {
      netClient = vertx.createNetClient(new NetClientOptions()
          .setConnectTimeout(CONNECT_TIMEOUT_MS).setTcpNoDelay(true));
    }
    ConnectOptions connect = new ConnectOptions().setHost(endpoint.host())
        .setPort(endpoint.port());
    if (endpoint.isTls()) {
      connect.setSsl(true).setSslOptions(ssl);
      if (!TlsProblem.isIpLiteral(endpoint.host())) {
        connect.setSniServerName(endpoint.host());
      }
    }
    return netClient.connect(connect)
        .recover(e -> Future.failedFuture(TlsProblem.explain(endpoint, e)))
        .map(socket -> new TcpLink(socket, MAX_INBOUND_FRAME_BYTES, handler));
  }

  /** Closes the underlying clients (and with them any open link). */
  Future<Void> close() {
    Future<Void> net = netClient == null ? Future.succeededFuture() : netClient.close();
    Future<Void> ws = wsClient == null ? Future.succeededFuture() : wsClient.close();
    return Future.join(net, ws).mapEmpty();
  }
}

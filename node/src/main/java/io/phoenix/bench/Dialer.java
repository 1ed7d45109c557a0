package io.phoenix.bench;

import io.phoenix.bench.BenchOptions.Server;
import io.phoenix.client.Endpoint;
import io.phoenix.client.UntrustedServerException;
import io.phoenix.config.AuthOptions;
import io.phoenix.session.Authenticator;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Opens the bench's sessions: connection {@code i} goes to server {@code i mod servers} from a
 * source address chosen round-robin, with a token signed for its eid; it says Hello and waits
 * for Welcome. {@link #openAll} keeps a bounded number of handshakes in flight and measures the
 * connect rate.
 *
 * <p>{@link #openAll} blocks: call it from a plain thread, never an event loop. The clients are
 * held in fields for the whole run (an unreferenced Vert.x client may be collected mid-connect).
 */
final class Dialer {
  private static final int CONCURRENT_HANDSHAKES = 256;
  private static final int CONNECT_TIMEOUT_MS = 20_000;

  private final BenchOptions options;
  private final Authenticator tokens;
  private final List<NetClient> netClients = new ArrayList<>();
  private final List<WebSocketClient> wsClients = new ArrayList<>();
  private final int tokenTtlSeconds;

  /** The sessions opened, in index order ({@code null} where one failed), and the timing. */
  record Opened(List<BenchConnection> connections, double seconds, long failed,
      String firstFailure) {}

  Dialer(Vertx vertx, BenchOptions options) {
    this.options = options;
    this.tokens = new Authenticator(vertx,
        new AuthOptions(options.tokenSecret(), options.issuer(), 86_400));
    this.tokenTtlSeconds = options.warmupSeconds() + options.durationSeconds() + 3600;
    List<String> sources = options.sourceAddresses().isEmpty() ? java.util.Collections
        .singletonList(null) : options.sourceAddresses();
    for (String source : sources) {
      if (options.webSocketDeflate()) {
        WebSocketClientOptions o = new WebSocketClientOptions()
            .setMaxConnections(1_000_000)
            .setConnectTimeout(CONNECT_TIMEOUT_MS)
            .setTcpNoDelay(true)
            .setMaxFrameSize(16 * 1024 * 1024)
            .setMaxMessageSize(16 * 1024 * 1024)
            .setTryUsePerMessageCompression(options.webSocketDeflate());
        if (options.tls()) {
          o.setSsl(true).setVerifyHost(true);
          if (options.caFile() != null) {
            o.setTrustOptions(new PemTrustOptions().addCertPath(options.caFile().toString()));
          }
        }
        if (source != null) {
          o.setLocalAddress(source);
        }
        wsClients.add(vertx.createWebSocketClient(o));
      } else {
        NetClientOptions o = new NetClientOptions()
            .setConnectTimeout(CONNECT_TIMEOUT_MS)
            .setTcpNoDelay(true);
        if (options.tls()) {
          o.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
          if (options.caFile() != null) {
            o.setTrustOptions(new PemTrustOptions().addCertPath(options.caFile().toString()));
          }
        }
        if (source != null) {
          o.setLocalAddress(source);
        }
        netClients.add(vertx.createNetClient(o));
      }
    }
  }

  /** Opens session {@code index} for {@code eid}, bound to {@code context}. */
  Future<BenchConnection> open(int index, String eid, Context context) {
    String token = tokens.issue(eid, tokenTtlSeconds,
        options.signingKey() == null ? null : options.signingKey().jwk());
    List<Server> servers = options.servers();
    Server server = servers.get(index % servers.size());
    int sources = Math.max(netClients.size(), wsClients.size());
    int source = (index / servers.size()) % sources;
    Promise<BenchConnection> opened = Promise.promise();
    context.runOnContext(v -> {
      Future<BenchConnection> f;
      if (options.webSocketDeflate()) {
        f = wsClients.get(source).connect(new WebSocketConnectOptions().setHost(server.host())
                .setPort(server.port()).setURI(options.webSocketPath()))
            .compose(ws -> BenchConnection.webSocket(ws, token, "bench"));
      } else if (options.webSocket()) {
        f = netClients.get(source).connect(server.port(), server.host())
            .compose(socket -> BenchConnection.webSocket(socket, server.host(), server.port(),
                options.webSocketPath(), token, "bench"));
      } else {
        f = netClients.get(source).connect(server.port(), server.host())
            .compose(socket -> BenchConnection.tcp(socket, token, "bench"));
      }
      Endpoint endpoint = new Endpoint(options.transport(), server.host(), server.port(),
          options.webSocket() ? options.webSocketPath() : "");
      f.recover(e -> Future.failedFuture(UntrustedServerException.explain(endpoint, e)))
          .onComplete(opened);
    });
    return opened.future();
  }

  /**
   * Opens {@code count} sessions, at most {@value #CONCURRENT_HANDSHAKES} handshakes at a time.
   * Blocks until all have succeeded or failed.
   */
  Opened openAll(int count, IntFunction<String> eid, IntFunction<Context> context)
      throws Exception {
    List<BenchConnection> out = new ArrayList<>(count);
    long failed = 0;
    String firstFailure = null;
    long start = System.nanoTime();
    for (int from = 0; from < count; from += CONCURRENT_HANDSHAKES) {
      int to = Math.min(count, from + CONCURRENT_HANDSHAKES);
      List<Future<BenchConnection>> batch = new ArrayList<>(to - from);
      for (int i = from; i < to; i++) {
        batch.add(open(i, eid.apply(i), context.apply(i)));
      }
      try {
        Future.join(batch).otherwiseEmpty().await(CONNECT_TIMEOUT_MS * 2L, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // counted below: the sessions still pending are failures
      }
      for (Future<BenchConnection> f : batch) {
        if (f.succeeded()) {
          out.add(f.result());
        } else {
          out.add(null);
          failed++;
          if (firstFailure == null) {
            firstFailure = f.isComplete() ? String.valueOf(f.cause().getMessage())
                : "no Welcome within " + CONNECT_TIMEOUT_MS * 2 + " ms";
          }
        }
      }
    }
    return new Opened(out, (System.nanoTime() - start) / 1e9, failed, firstFailure);
  }
}

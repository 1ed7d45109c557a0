package io.phoenix.node;

import io.phoenix.cluster.HazelcastDirectory;
import io.phoenix.cluster.NodeBus;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.protocol.Status;
import io.phoenix.router.Fanout;
import io.phoenix.router.LocalHub;
import io.phoenix.router.Router;
import io.phoenix.router.Subscriber;
import io.phoenix.session.Authenticator;
import io.phoenix.session.SessionServices;
import io.phoenix.stream.HazelcastStreamStore;
import io.phoenix.stream.StreamStore;
import io.phoenix.transport.TransportVerticle;
import io.phoenix.transport.tcp.TcpServerVerticle;
import io.phoenix.transport.ws.HttpServerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Phoenix node: joins the Hazelcast cluster through clustered Vert.x, wires the stream
 * store, directory, router and transports, and takes them down again in order.
 *
 * <p>{@link #start} and {@link #stop} may be called from any non-event-loop thread or context;
 * they return futures.
 */
public final class PhoenixNode {
  private static final Logger log = LoggerFactory.getLogger(PhoenixNode.class);

  private final PhoenixConfig config;
  private HazelcastCluster cluster;
  private Vertx vertx;
  private LocalHub hub;
  private HazelcastDirectory directory;
  private NodeBus bus;
  private StreamStore store;
  private int tcpPort;
  private int httpPort;
  private long sweeper = -1;
  private volatile boolean stopping;

  public PhoenixNode(PhoenixConfig config) {
    this.config = config;
  }

  /** Starts every part; the future completes once clients can connect. */
  public Future<PhoenixNode> start() {
    cluster = new HazelcastCluster(config.cluster());
    VertxOptions options = new VertxOptions()
        .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors()))
        .setMaxEventLoopExecuteTime(2)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS);
    return cluster.start(options).compose(v -> {
      this.vertx = v;
      return wire();
    }).map(this);
  }

  private Future<Void> wire() {
    String nodeId = config.node().id();
    hub = new LocalHub();
    directory = new HazelcastDirectory(vertx, cluster.directoryMap());
    store = new HazelcastStreamStore(vertx, cluster.inboxMap(),
        config.retention().seconds() * 1000L, config.retention().maxMessagesPerStream());
    bus = new NodeBus(vertx, nodeId);
    Fanout fanout = new Fanout(nodeId, hub, bus);
    Router router = new Router(store, directory, fanout, config.limits().pullBatch());
    SessionServices services = new SessionServices(nodeId, config.limits(),
        new Authenticator(vertx, config.auth()), hub, directory, fanout, router);

    sweeper = vertx.setPeriodic(config.retention().sweepSeconds() * 1000L, id -> {
      if (cluster.isOldestMember()) {
        store.trimExpired(System.currentTimeMillis()).onFailure(e ->
            log.warn("retention sweep failed: {}", e.toString()));
      }
    });

    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    return bus.start(fanout::receive)
        .compose(v -> deploy(instances, port -> new TcpServerVerticle(services,
            config.tcp().host(), port), config.tcp().port()))
        .compose(port -> {
          tcpPort = port;
          return deploy(instances, p -> new HttpServerVerticle(services, config.http().host(), p,
              config.http().webSocketPath(), this::httpRequest), config.http().port());
        })
        .map(port -> {
          httpPort = port;
          return null;
        });
  }

  /**
   * Deploys {@code instances} copies of a server verticle on one port: the first binds the
   * configured port (0 = any), the others share the port it got.
   */
  private Future<Integer> deploy(int instances, IntFunction<TransportVerticle> factory,
      int port) {
    TransportVerticle first = factory.apply(port);
    DeploymentOptions options = new DeploymentOptions()
        .setThreadingModel(ThreadingModel.EVENT_LOOP);
    return vertx.deployVerticle(first, options).compose(id -> {
      int actual = first.actualPort();
      List<Future<String>> more = new ArrayList<>();
      for (int i = 1; i < instances; i++) {
        more.add(vertx.deployVerticle(factory.apply(actual), options));
      }
      return Future.all(more).map(actual);
    });
  }

  private void httpRequest(HttpServerRequest request) {
    if (request.path().equals("/health/live")) {
      request.response().putHeader("content-type", "application/json").end("{\"status\":\"UP\"}");
      return;
    }
    request.response().setStatusCode(404).end();
  }

  /**
   * Stops the node: every session gets {@code Goodbye{503}}, its directory entries are removed,
   * then the node leaves the cluster.
   */
  public Future<Void> stop() {
    if (vertx == null || stopping) {
      return Future.succeededFuture();
    }
    stopping = true;
    vertx.cancelTimer(sweeper);
    for (Subscriber s : hub.all()) {
      s.close(Status.UNAVAILABLE, "node shutting down");
    }
    return directory.removeNode(config.node().id())
        .recover(e -> {
          log.warn("could not clear this node's directory entries: {}", e.toString());
          return Future.succeededFuture(0);
        })
        .compose(n -> bus.stop())
        .eventually(() -> vertx.close());
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return config.node().id();
  }

  public int tcpPort() {
    return tcpPort;
  }

  public int httpPort() {
    return httpPort;
  }

  public LocalHub hub() {
    return hub;
  }
}

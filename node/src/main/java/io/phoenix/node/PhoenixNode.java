package io.phoenix.node;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.phoenix.admin.AdminRoutes;
import io.phoenix.admin.ClusterStats;
import io.phoenix.cluster.Directory;
import io.phoenix.stream.BucketDirectory;
import io.phoenix.metrics.GcPauseBuckets;
import io.phoenix.metrics.HttpMethodLabels;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.cluster.NodeBus;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.router.Fanout;
import io.phoenix.router.LocalHub;
import io.phoenix.router.Router;
import io.phoenix.router.Subscriber;
import io.phoenix.session.Authenticator;
import io.phoenix.session.SessionServices;
import io.phoenix.config.StorageOptions;
import io.phoenix.metrics.StoreMetrics;
import io.phoenix.stream.StreamPipeline;
import io.phoenix.stream.log.LogException;
import io.phoenix.stream.log.MessageLog;
import io.phoenix.stream.log.MessageLogs;
import io.phoenix.transport.ConnectionBudget;
import io.phoenix.transport.EventLoops;
import io.phoenix.transport.Listener;
import io.phoenix.transport.ServerTls;
import io.phoenix.transport.TransportVerticle;
import io.phoenix.transport.tcp.TcpServerVerticle;
import io.phoenix.transport.ws.HttpServerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Phoenix node: joins the Hazelcast cluster through clustered Vert.x, wires the stream
 * store, directory, router and transports, and takes them down again in order.
 *
 * <p>{@link #start} and {@link #stop} may be called from any non-event-loop thread or context;
 * they return futures.
 */
public final class PhoenixNode implements AdminRoutes.NodeView {
  private static final Logger log = LoggerFactory.getLogger(PhoenixNode.class);
  /** What the TCP port writes to a connection refused for limits.maxConnections. */
  private static final byte[] FULL_TCP = FrameCodec.encode(Frame.newBuilder().setGoodbye(
      Goodbye.newBuilder().setStatusCode(Status.UNAVAILABLE)
          .setReason(ConnectionBudget.REFUSAL))
      .build()).delimited().getBytes();

  private final PhoenixConfig config;
  private final PrometheusMeterRegistry registry = registry();
  private final NodeMetrics metrics = new NodeMetrics(registry);
  private volatile boolean started;
  private HazelcastCluster cluster;
  private Vertx vertx;
  private LocalHub hub;
  private Directory directory;
  private NodeBus bus;
  private MessageLog messageLog;
  private StreamPipeline store;
  private StoreMetrics storeMetrics;
  private String epoch;
  private Authenticator auth;
  private int tcpPort;
  /** Vert.x's transport, which lends its event loops to the node's listeners. */
  private final EventLoops loops = new EventLoops();
  /** The server side of TLS for the node's listeners, or null when neither port has TLS. */
  private SslContext serverTls;
  private int httpPort;
  private long sweeper = -1;
  /** The client sockets both ports may hold (limits.maxConnections). */
  private ConnectionBudget budget;
  private long upkeep = -1;
  private long addressWatch = -1;
  private volatile boolean stopping;

  public PhoenixNode(PhoenixConfig config) {
    this.config = config;
  }

  /**
   * Starts every part; the future completes once clients can connect. Opens the database
   * first, on the calling thread (it blocks while it connects): call from a thread that may
   * block, never an event loop.
   */
  public Future<PhoenixNode> start() {
    if (config.cluster().tls()) {
      try {
        ClusterTls.check(config.tls());
      } catch (IllegalStateException e) {
        return Future.failedFuture(e);
      }
    }
    StorageOptions storage = config.storage();
    try {
      messageLog = MessageLogs.open(storage, config.cluster().memberTimeoutSeconds());
    } catch (LogException e) {
      // the message is the whole line the operator sees (no cause: nothing to add to it)
      return Future.failedFuture(new IllegalStateException("storage." + (storage.type().equals(
          StorageOptions.POSTGRESQL) ? "url" : "path") + ": " + e.getMessage()));
    }
    if (messageLog == null) {
      log.warn("storage.type memory: messages are kept only in the cluster's memory; a restart "
          + "of every node loses every message (use embedded or postgresql to keep them)");
    }
    cluster = new HazelcastCluster(config.cluster(), config.node().id(), storage.type(),
        messageLog == null ? null : messageLog.epoch(), config.tls());
    VertxOptions options = new VertxOptions()
        .setFileSystemOptions(VertxFileCache.options())
        .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors()))
        .setMaxEventLoopExecuteTime(2)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS);
    return cluster.start(options, registry, loops).compose(v -> {
      this.vertx = v;
      // Map proxies are created on a worker: creating one may wait on the cluster.
      return v.executeBlocking(() -> {
        cluster.checkNodeIdUnique();
        cluster.checkStorage();
        cluster.checkLayout();
        if (!cluster.awaitSafe(SAFE_WAIT_MS)) {
          log.warn("the cluster's backups are not in sync after {} s; starting anyway",
              SAFE_WAIT_MS / 1000);
        }
        MembershipLog.install(cluster.hazelcast(), config.cluster().minimumMembers());
        ServerTls.check(v, config.tls());
        serverTls = config.tls().tcp() || config.tls().http()
            ? ServerTls.context(v, config.tls()) : null;
        epoch = messageLog == null ? cluster.epoch() : messageLog.epoch();
        store = new StreamPipeline(v, cluster.streamsMap(),
            cluster.hazelcast().getPartitionService(), messageLog, storeSettings(),
            storeMetrics(), epoch, cluster::time);
        return null;
      }).compose(x -> Authenticator.start(v, config.auth(), registry))
          .compose(a -> {
            auth = a;
            return wire();
          });
    }).map(this).onFailure(e -> {
      if (store != null) {
        store.close();
      } else if (messageLog != null) {
        messageLog.close();
      }
    });
  }

  private StreamPipeline.Settings storeSettings() {
    StorageOptions s = config.storage();
    // The writer of this node's messages is this run of the node, not its id: a node restarted
    // with the same id after a crash must write the messages its previous run accepted and
    // left unwritten (they are "another node's" to it), or the mark of its first write on
    // their stream would cover them (PROTOCOL.md §9: ACCEPTED in replicate mode, then lost).
    String writer = config.node().id() + "/"
        + cluster.hazelcast().getCluster().getLocalMember().getUuid();
    return new StreamPipeline.Settings(writer,
        s.durable() && s.acceptAfterCommit(), s.hotWindow(), s.hotWindowBytes(),
        s.streamsInMemory(), ID_HOLD_MS,
        config.retention().maxMessagesPerStream(), config.retention().seconds() * 1000L,
        config.limits().maxUndeliveredPerStream(), IDLE_STREAM_MS,
        Math.max(STALE_MS, 10L * s.flushMs()), s.maxBatch());
  }

  private StoreMetrics storeMetrics() {
    storeMetrics = new StoreMetrics(registry, config.storage().type(),
        () -> store == null ? -1 : store.bytesOnDisk());
    return storeMetrics;
  }

  /**
   * How long a joining node waits for the partitions' backups to be in sync before it serves:
   * the READY line then means a member lost afterwards loses nothing.
   */
  private static final long SAFE_WAIT_MS = 60_000;
  /** How long a message_id stays in memory after its message is written (see StreamState). */
  private static final long ID_HOLD_MS = 10_000;
  /** Idle time after which a stream whose everything is written leaves the cluster's memory. */
  private static final long IDLE_STREAM_MS = 120_000;
  /** How often the node checks that the cluster still holds its event-bus address. */
  private static final long ADDRESS_WATCH_MS = 3_000;
  /** Age at which an unwritten message is written by its bucket's owner (its node died). */
  private static final long STALE_MS = 5_000;

  private Future<Void> wire() {
    String nodeId = config.node().id();
    hub = new LocalHub();
    directory = new BucketDirectory(store, config.limits().devicesPerIdentity());
    bus = new NodeBus(vertx, nodeId, metrics, node -> cluster.memberNodeIds().contains(node),
        NodeBus.retryFor(config.cluster().memberTimeoutSeconds()));
    Fanout fanout = new Fanout(nodeId, hub, bus, metrics);
    // a pull's answer takes at most a quarter of what a session may have waiting to be written
    Router router = new Router(store, fanout, config.limits().pullBatch(),
        config.limits().maxOutboundBytes() / 4, metrics);
    SessionServices services = new SessionServices(nodeId, cluster.run(), epoch, config.limits(),
        auth, hub, directory, fanout, router, metrics, cluster::time);
    metrics.clusterMembers(cluster::memberCount);

    upkeep = vertx.setPeriodic(1000, id -> {
      store.maintain();
      MembershipLog.reportUnreached(cluster.hazelcast());
    });
    // The cluster can lose this node's event-bus registration while the node lives: a member
    // merging back after a split cleans up the members it had lost after the merge has begun,
    // and its removals land in the merged cluster (seen once in PausedMemberIT: pushes to this
    // node then went nowhere, and nothing said so). Checked every few seconds, and renewed.
    addressWatch = vertx.setPeriodic(ADDRESS_WATCH_MS, id -> {
      if (!started || stopping) {
        return;
      }
      vertx.executeBlocking(() -> cluster.subscriptions(NodeBus.address(nodeId)), false)
          .onSuccess(n -> {
            if (n == 0 && started && !stopping) {
              log.warn("cluster: the cluster had lost this node's event-bus address {} (a "
                  + "member's clean-up after a merge): registered again; the other nodes hold "
                  + "what they send here meanwhile and send it again",
                  NodeBus.address(nodeId));
              metrics.addressRenewed();
              bus.renew().onFailure(e -> log.warn("cluster: registering the event-bus address "
                  + "again failed: {}", e.toString()));
            }
          })
          .onFailure(e -> log.debug("event-bus address check: {}", e.toString()));
    });
    sweeper = vertx.setPeriodic(config.retention().sweepSeconds() * 1000L, id -> {
      if (cluster.isOldestMember()) { // one member sweeps the shared database
        vertx.executeBlocking(() -> store.trimExpired(cluster.time()), false)
            .onSuccess(n -> {
              if (n > 0) {
                log.info("retention: deleted {} expired messages", n);
              }
            })
            .onFailure(e -> log.warn("retention sweep failed: {}", e.toString()));
      }
    });

    cluster.onMemberLeft((left, run, seenBy) ->
        directory.removeNode(left, run, seenBy).onComplete(ar -> {
          if (ar.succeeded()) {
            log.info("node {} left the cluster: removed its {} directory entries", left,
                ar.result());
          } else {
            log.warn("node {} left the cluster: could not remove its directory entries: {}",
                left, ar.cause().toString());
          }
        }));

    // The others removed this node's directory entries when they declared it dead: its
    // sessions would stay open and never be pushed to. Each is closed so that its client
    // connects again and is registered anew (nothing is lost: it SYNCs and pulls).
    cluster.onRejoined(() -> {
      List<Subscriber> sessions = hub.all();
      metrics.clusterRejoined();
      log.warn("cluster: this node was apart from the cluster past cluster.memberTimeoutSeconds "
          + "(paused, or cut off) and has joined it again: closing its {} sessions with "
          + "Goodbye 503 so that their clients connect again", sessions.size());
      for (Subscriber s : sessions) {
        s.close(Status.UNAVAILABLE, "node rejoined the cluster");
      }
    });

    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    budget = new ConnectionBudget(config.limits().maxConnections(), registry);
    return bus.start(fanout::receive)
        .compose(v -> ClusterStats.serve(vertx, this))
        .compose(v -> {
          // the listener binds once for every instance: port 0 is bound as it is, with no
          // window between choosing a free port and binding it
          int port = config.tcp().port();
          Listener listener = new Listener("TCP", loops, config.tcp().host(), port,
              config.tls().tcp() ? serverTls : null, budget, FULL_TCP);
          return deploy(instances, () -> new TcpServerVerticle(services, listener));
        })
        .compose(port -> {
          tcpPort = port;
          // with compression, Vert.x's HTTP server has the port (its WebSocket deflates), and
          // its instances need the same concrete port
          int http = config.http().webSocketCompression()
              ? concretePort(config.http().host(), config.http().port()) : config.http().port();
          Listener front = config.http().webSocketCompression() ? null : new Listener("HTTP",
              loops, config.http().host(), http, config.tls().http() ? serverTls : null, budget,
              HttpServerVerticle.FULL);
          return deploy(instances, () -> new HttpServerVerticle(services, config.http().host(),
              http, config.http().webSocketPath(), config.http().webSocketCompression(),
              AdminRoutes.factory(vertx, this, registry),
              config.tls(), front, loops, budget));
        })
        .map(port -> {
          httpPort = port;
          started = true;
          return null;
        });
  }

  /**
   * Deploys {@code instances} copies of a server verticle sharing one port (Vert.x balances
   * connections between them); returns the bound port (useful when configured as 0).
   */
  private Future<Integer> deploy(int instances, Supplier<TransportVerticle> factory) {
    List<TransportVerticle> deployed = new ArrayList<>();
    DeploymentOptions options = new DeploymentOptions()
        .setThreadingModel(ThreadingModel.EVENT_LOOP)
        .setInstances(instances);
    return vertx.deployVerticle(() -> {
      TransportVerticle v = factory.get();
      synchronized (deployed) {
        deployed.add(v);
      }
      return v;
    }, options).map(id -> {
      int port = deployed.get(0).actualPort();
      for (TransportVerticle v : deployed) {
        if (v.actualPort() != port) {
          throw new IllegalStateException("server instances bound different ports");
        }
      }
      return port;
    });
  }

  /**
   * Port 0 means "any free port"; Vert.x's server instances must all share one, so it is chosen
   * here, before they bind (a port can be taken by another process in between: the node's own
   * listeners bind port 0 directly).
   */
  private static int concretePort(String host, int port) {
    if (port != 0) {
      return port;
    }
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + host, e);
    }
  }

  /**
   * Stops the node: every session gets {@code Goodbye{503}}, this node's directory entries are
   * removed, then the node leaves the cluster. Blocks until done or {@code timeout}: call it
   * from a plain thread (main, a shutdown path, a test), never from a Vert.x thread.
   */
  public void stop(Duration timeout) throws Exception {
    if (vertx == null || stopping) {
      return;
    }
    stopping = true;
    started = false;
    long deadline = System.nanoTime() + timeout.toNanos();
    vertx.cancelTimer(sweeper);
    vertx.cancelTimer(upkeep);
    vertx.cancelTimer(addressWatch);
    if (auth != null) {
      auth.close();
    }
    if (bus != null) {
      hub.close(); // a client reconnecting right away must go to another node
      for (Subscriber s : hub.all()) {
        s.close(Status.UNAVAILABLE, "node shutting down");
      }
      try {
        directory.removeNode(config.node().id(), cluster.run(), cluster.localUuid())
            .compose(n -> bus.stop())
            .await(remaining(deadline), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        log.warn("could not clear this node's directory entries: {}", e.toString());
      }
    }
    if (store != null) {
      store.close(); // writes what was accepted, then closes the database
    }
    vertx.close().await(remaining(deadline), TimeUnit.NANOSECONDS);
  }

  private static long remaining(long deadline) {
    return Math.max(1, deadline - System.nanoTime());
  }

  /**
   * The node's meters; the labels a client chooses are bounded ({@link HttpMethodLabels}); GC
   * pauses are counted in buckets ({@link GcPauseBuckets}).
   */
  private static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new HttpMethodLabels()).meterFilter(new GcPauseBuckets());
    return registry;
  }

  @Override
  public Future<Boolean> ready() {
    if (!started || stopping || !store.healthy()) {
      return Future.succeededFuture(false); // (an unreachable database refuses new messages)
    }
    // the directory answers a read: the cluster and its partitions are there
    return directory.lookup("phoenix.ready-probe").map(devices -> true)
        .timeout(2, TimeUnit.SECONDS).otherwise(false);
  }

  @Override
  public io.vertx.core.json.JsonObject readyDetails() {
    io.vertx.core.json.JsonObject details = new io.vertx.core.json.JsonObject();
    if (auth != null && auth.jwksHealth() != null) {
      details.put("jwks", auth.jwksHealth());
    }
    return details;
  }

  @Override
  public NodeMetrics metrics() {
    return metrics;
  }

  @Override
  public io.vertx.core.json.JsonObject storeStats() {
    io.vertx.core.json.JsonObject out = new io.vertx.core.json.JsonObject()
        .put("type", config.storage().type())
        .put("acceptAfter", config.storage().acceptAfter());
    if (store != null) {
      StoreMetrics.Snapshot s = storeMetrics.snapshot();
      io.vertx.core.json.JsonArray bounds = new io.vertx.core.json.JsonArray();
      for (double bound : StoreMetrics.LATENCY_BOUNDS_MILLIS) {
        bounds.add(bound);
      }
      io.vertx.core.json.JsonArray counts = new io.vertx.core.json.JsonArray();
      for (long count : s.latencyCounts()) {
        counts.add(count);
      }
      out.put("committed", s.committed())
          .put("commits", s.commits())
          .put("meanBatch", s.commits() == 0 ? 0.0 : (double) s.committed() / s.commits())
          .put("commitP99Millis", s.commitP99Millis())
          .put("commitLatency", new io.vertx.core.json.JsonObject()
              .put("boundsMillis", bounds).put("counts", counts))
          .put("diskBytes", store.bytesOnDisk())
          .put("loaded", s.loaded())
          .put("evicted", s.evicted())
          .put("healthy", store.healthy());
    }
    return out;
  }

  @Override
  public int clusterMembers() {
    return cluster.memberCount();
  }

  @Override
  public List<String> clusterNodeIds() {
    return cluster.memberNodeIds();
  }

  @Override
  public PhoenixConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  @Override
  public String nodeId() {
    return config.node().id();
  }

  /** The store's epoch, sent in every Welcome. */
  public String epoch() {
    return epoch;
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

package io.phoenix.node;


import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.MeterRegistry;
import io.phoenix.config.ClusterOptions;
import io.phoenix.config.TlsOptions;
import io.phoenix.stream.StreamPipeline;
import io.phoenix.stream.StreamSerialization;
import io.phoenix.transport.EventLoops;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.regex.Pattern;

/**
 * Starts the clustered Vert.x instance on Hazelcast, configured from {@link ClusterOptions}:
 * TCP-IP join with the listed members (multicast and auto-detection off), a fixed port, the
 * Phoenix maps with their backups and serializers, and the maps Vert.x itself needs.
 *
 * <p>Call once per node, from any thread.
 */
public final class HazelcastCluster {
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9a-fA-F:]+");

  private static final String SPLIT_BRAIN_PROTECTION = "phoenix-minimum-members";
  /** Seconds a starting member asks for a master before one claims the role (see below). */
  static final int JOIN_WAIT_SECONDS = 2;

  /** Member attribute holding each member's storage type and database epoch. */
  public static final String STORAGE_ATTRIBUTE = "phoenix.storage";

  /** Map of cluster-wide facts (the in-memory store's epoch). */
  public static final String META_MAP = "phoenix.meta";

  /**
   * Member attribute naming the layout of the cluster's memory a member uses (how recipients
   * are placed in the buckets of {@code phoenix.streams}, and what a bucket holds). Members
   * with different layouts would keep one stream in two places: see {@link #checkLayout}.
   */
  public static final String LAYOUT_ATTRIBUTE = "phoenix.layout";

  /**
   * This build's layout: 2 since recipients are placed in buckets by the top bits of their
   * hash (2026-12-04); 3 since a bucket also holds the floors of streams forgotten after an
   * offset was given twice, and session ids begin with the node's run (2026-12-05); 4 since
   * session ids also carry when they opened, and the directory keeps the later of two sessions
   * of a device (2026-12-05, later); 5 since a member's run is its {@link #RUN_ATTRIBUTE}, not
   * the start of its Hazelcast uuid, which Hazelcast changes when a member merges back into the
   * cluster (2026-12-05, stop 35); 6 since a stream forgotten after an offset was given twice
   * keeps the messages it held unwritten, in its floor and once read back (2026-12-05, the
   * next stop); 7 since what an event loop has for another node in one turn travels as one
   * event-bus message, a {@code Batch} an older build would drop, and sessions of one device
   * opened on two nodes less than a second apart are ordered by their registers (2026-12-06).
   * Members without the attribute are older builds, layout 1.
   */
  public static final String LAYOUT = "7";

  /**
   * Member attribute holding the member's run: chosen at random when the node starts, so that
   * a node restarted with the same {@code node.id} is another run, and kept for the life of the
   * process (see {@link #runOf}).
   */
  public static final String RUN_ATTRIBUTE = "phoenix.run";

  /** Member attribute holding the Phoenix {@code node.id} of each member. */
  public static final String NODE_ID_ATTRIBUTE = "phoenix.node.id";
  /** vertx-hazelcast's map of event-bus subscriptions: address to the nodes consuming it. */
  static final String SUBSCRIPTIONS = "__vertx.subs";

  private final HazelcastClusterManager clusterManager;
  private final ClusterOptions options;
  private final String nodeId;
  private final TlsOptions tls;
  private final String run = java.util.UUID.randomUUID().toString().substring(0, 8);

  /**
   * @param storageType this node's {@code storage.type}
   * @param epoch its database's epoch, or null for the in-memory store
   */
  public HazelcastCluster(ClusterOptions options, String nodeId, String storageType,
      String epoch) {
    this(options, nodeId, storageType, epoch, TlsOptions.defaults());
  }

  /** With {@code cluster.tls}, the event bus uses {@code tls}'s certificate, key and CA. */
  public HazelcastCluster(ClusterOptions options, String nodeId, String storageType,
      String epoch, TlsOptions tls) {
    this.options = options;
    this.nodeId = nodeId;
    this.tls = tls;
    Config config = hazelcastConfig(options, nodeId, storageType, epoch);
    config.getMemberAttributeConfig().setAttribute(RUN_ATTRIBUTE, run);
    this.clusterManager = new HazelcastClusterManager(config);
  }

  /** Builds the Hazelcast configuration (public for tests and documentation). */
  public static Config hazelcastConfig(ClusterOptions o, String nodeId, String storageType,
      String epoch) {
    Config config = new Config();
    config.setClusterName(o.name());
    config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, nodeId);
    config.getMemberAttributeConfig().setAttribute(LAYOUT_ATTRIBUTE, LAYOUT);
    config.getMemberAttributeConfig().setAttribute(STORAGE_ATTRIBUTE, storageType
        + (epoch == null ? "" : " " + epoch));
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // Hazelcast's own metrics (collected every 5 s for Management Center and JMX, neither of
    // which Phoenix uses: its figures are the node's /metrics): off. A collection interrupted
    // by the member's shutdown logged a WARN with a stack trace when every member stopped at
    // once.
    config.getMetricsConfig().setEnabled(false);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds",
        Integer.toString(o.memberTimeoutSeconds()));
    config.setProperty("hazelcast.operation.thread.count", "2");
    // A member that becomes a backup of a partition copies it at once, not at the next
    // 30-second anti-entropy round: until then, losing the owner would lose what it held.
    config.setProperty("hazelcast.partition.backup.sync.interval", "1");
    // A member the others declared dead (paused past the member timeout, or cut off) forms a
    // cluster of its own until a merge check finds the others: every few seconds, not after
    // Hazelcast's default five minutes during which both sides stay apart.
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");

    NetworkConfig network = config.getNetworkConfig();
    // reuse: a node restarted right after a crash rebinds its port despite TIME_WAIT sockets
    network.setPort(o.port()).setPortAutoIncrement(false).setReuseAddress(true);
    if (IP_LITERAL.matcher(o.host()).matches() && !o.host().equals("0.0.0.0")) {
      // Bind the membership port to this address only (the embedded default stays on loopback).
      // Named, not matched against the interfaces' addresses: Hazelcast's matching knows only
      // the first address of loopback, and refused to start on 127.0.0.2 although it binds.
      config.setProperty("hazelcast.local.localAddress", o.host());
      config.setProperty("hazelcast.socket.bind.any", "false");
    }
    network.setPublicAddress(o.host() + ":" + o.port());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (o.kubernetesServiceDns().isEmpty()) {
      // With no master yet (every member starting at once), a member asks the others who the
      // master is for this long before the first of them claims the role. Hazelcast's 5 s
      // made a cluster started at once take 13 s to serve on a 2-core box; 2 s, 10 s. A member
      // slower than that to come up joins the master the others chose, or, if it formed a
      // cluster of its own, merges into theirs at the next merge check (5 s).
      join.getTcpIpConfig().setEnabled(true).setMembers(o.members())
          .setConnectionTimeoutSeconds(JOIN_WAIT_SECONDS);
    } else {
      // DNS lookup mode of Hazelcast's built-in Kubernetes discovery: no API access needed.
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", o.kubernetesServiceDns())
          .setProperty("service-port", Integer.toString(o.port()));
    }

    config.getSerializationConfig()
        .addDataSerializableFactory(StreamSerialization.FACTORY_ID, new StreamSerialization());

    MapConfig streams = new MapConfig(StreamPipeline.MAP_NAME)
        .setInMemoryFormat(InMemoryFormat.OBJECT)
        .setBackupCount(o.backupCount());
    if (o.minimumMembers() > 1) {
      // The smaller side of a network split refuses (503) instead of assigning offsets that
      // the other side assigns too.
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(SPLIT_BRAIN_PROTECTION,
          true, o.minimumMembers()));
      streams.setSplitBrainProtectionName(SPLIT_BRAIN_PROTECTION);
    }
    config.addMapConfig(streams);
    config.addMapConfig(new MapConfig(META_MAP).setBackupCount(Math.max(1, o.backupCount())));
    // What vertx-hazelcast's own default configuration declares.
    config.addMultiMapConfig(new MultiMapConfig(SUBSCRIPTIONS)
        .setBackupCount(Math.max(1, o.backupCount()))
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(Math.max(1, o.backupCount())));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(Math.max(1, o.backupCount())));
    return config;
  }

  /**
   * Joins the cluster and returns the clustered Vert.x instance, whose own metrics (sockets,
   * event bus, pools) go to {@code registry}, built on {@code transport}.
   */
  public Future<Vertx> start(VertxOptions vertxOptions, MeterRegistry registry,
      EventLoops transport) {
    vertxOptions.getEventBusOptions()
        .setHost(options.host())
        .setPort(options.eventBusPort())
        .setClusterPublicHost(options.host());
    if (options.tls()) {
      ClusterTls.apply(vertxOptions.getEventBusOptions(), tls);
    }
    vertxOptions.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true));
    return Vertx.builder().with(vertxOptions).withClusterManager(clusterManager)
        .withTransport(transport)
        .withMetrics(new MicrometerMetricsFactory(registry)).buildClustered();
  }

  public HazelcastInstance hazelcast() {
    return clusterManager.getHazelcastInstance();
  }

  /**
   * How many event-bus subscriptions the cluster holds for {@code address}: the entries of
   * vertx-hazelcast's subscriptions map, which every member reads to find where to send.
   * Blocks (a Hazelcast call): never on an event loop.
   */
  public int subscriptions(String address) {
    return hazelcast().getMultiMap(SUBSCRIPTIONS).valueCount(address);
  }

  /** The buckets of streams (see {@link StreamPipeline}). */
  public <V> IMap<Integer, V> streamsMap() {
    return hazelcast().getMap(StreamPipeline.MAP_NAME);
  }


  /**
   * The epoch of the in-memory store: created by the first member of a cluster, kept while any
   * member lives (so it changes exactly when every stored message was lost). Blocks: call from
   * a worker.
   */
  public String epoch() {
    IMap<String, String> meta = hazelcast().getMap(META_MAP);
    String fresh = java.util.UUID.randomUUID().toString();
    String existing = meta.putIfAbsent("epoch", fresh);
    return existing == null ? fresh : existing;
  }

  /**
   * Fails when another member of the cluster already runs with this node's {@code node.id}
   * (two nodes with one id would steal each other's event-bus address and directory entries).
   */
  public void checkNodeIdUnique() {
    for (Member m : hazelcast().getCluster().getMembers()) {
      if (!m.localMember() && nodeId.equals(m.getAttribute(NODE_ID_ATTRIBUTE))) {
        throw new IllegalStateException("node.id \"" + nodeId + "\" is already used by the cluster member at "
            + m.getAddress() + ": give every node its own node.id");
      }
    }
  }

  /** What {@link #onMemberLeft} calls. */
  public interface MemberLeft {
    /**
     * {@code node} ({@code node.id}) left; {@code run} was its run, {@code seenBy} is the uuid
     * of this member when it saw it leave.
     */
    void left(String node, String run, String seenBy);
  }

  /** This member's Hazelcast uuid now (Hazelcast gives a member a new one when it merges). */
  public String localUuid() {
    return hazelcast().getCluster().getLocalMember().getUuid().toString();
  }

  /**
   * Calls {@code handler} with the {@code node.id} and the run ({@link #runOf}) of every member
   * that leaves the cluster (shut down or declared dead after
   * {@code cluster.memberTimeoutSeconds}), on the member that is the oldest once it left, so
   * that exactly one survivor cleans up after it. Runs on a Hazelcast event thread: the handler
   * must not block.
   */
  public void onMemberLeft(MemberLeft handler) {
    hazelcast().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String left = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
        if (left != null && !left.equals(nodeId) && isOldestMember()) {
          handler.left(left, runOf(event.getMember()), localUuid());
        }
      }
    });
  }

  /**
   * Calls {@code handler} when this member has joined the cluster again after being apart from
   * it: the others declared it dead (it was paused, or cut off, past
   * {@code cluster.memberTimeoutSeconds}) and it formed a cluster of its own, which has now
   * merged back into theirs. Runs on a Hazelcast thread: the handler must not block.
   */
  public void onRejoined(Runnable handler) {
    hazelcast().getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        handler.run();
      }
    });
  }

  /**
   * The run of a member: its {@link #RUN_ATTRIBUTE}, new at every start of a node (a node
   * restarted with the same {@code node.id} is another run) and kept while the process lives,
   * also when the member merges back into the cluster after being apart from it (Hazelcast then
   * gives it a new uuid).
   */
  public static String runOf(Member member) {
    String run = member.getAttribute(RUN_ATTRIBUTE);
    return run != null ? run : member.getUuid().toString().substring(0, 8);
  }

  /**
   * The cluster's time, in milliseconds since the epoch: this machine's clock plus the offset
   * Hazelcast keeps to the master's, so alike on every member. For the times members compare
   * with each other (when a session opened, the times bucket operations carry), which members'
   * own clocks could order wrongly.
   */
  public long time() {
    return hazelcast().getCluster().getClusterTime();
  }

  /** This member's run ({@link #runOf}). */
  public String run() {
    return run;
  }

  /**
   * Fails when a member of the cluster stores messages elsewhere: another storage type, or
   * another database (epoch). Members of one cluster share one store, or offsets would be
   * assigned twice.
   */
  public void checkStorage() {
    Member self = hazelcast().getCluster().getLocalMember();
    String mine = self.getAttribute(STORAGE_ATTRIBUTE);
    for (Member m : hazelcast().getCluster().getMembers()) {
      String theirs = m.getAttribute(STORAGE_ATTRIBUTE);
      if (!m.localMember() && theirs != null && !theirs.equals(mine)) {
        throw new IllegalStateException("storage.type: this node stores messages in " + mine
            + ", but the cluster member at " + m.getAddress() + " (" + m.getAttribute(
            NODE_ID_ATTRIBUTE) + ") in " + theirs + ": every member of a cluster must use the "
            + "same storage (type and database)");
      }
    }
  }

  /**
   * Fails when a member of the cluster keeps the cluster's memory in another layout (another
   * Phoenix version across a change of it): a stream would be kept, and its offsets assigned,
   * in two buckets.
   */
  public void checkLayout() {
    for (Member m : hazelcast().getCluster().getMembers()) {
      String conflict = m.localMember() ? null : layoutConflict(m);
      if (conflict != null) {
        throw new IllegalStateException(conflict);
      }
    }
  }

  /** What is wrong with member {@code m}'s layout, or null when it matches this build's. */
  static String layoutConflict(Member m) {
    String id = m.getAttribute(NODE_ID_ATTRIBUTE);
    return layoutConflict(m.getAttribute(LAYOUT_ATTRIBUTE),
        m.getAddress() + (id == null ? "" : " (" + id + ")"));
  }

  /**
   * What is wrong with a member whose layout attribute is {@code theirs} (null: an older build
   * without it), or null when it matches this build's.
   */
  static String layoutConflict(String theirs, String member) {
    String layout = theirs == null ? "1" : theirs;
    if (layout.equals(LAYOUT)) {
      return null;
    }
    String which;
    try {
      which = Integer.parseInt(layout) < Integer.parseInt(LAYOUT) ? "an older" : "a newer";
    } catch (NumberFormatException e) {
      which = "another";
    }
    return "cluster: this node keeps the cluster's memory in layout " + LAYOUT + ", but the "
        + "member at " + member + " in layout " + layout + " (" + which + " Phoenix): a "
        + "cluster cannot mix them; stop every member and start them all on one version "
        + "(docs/deploy.md, Upgrading)";
  }

  /**
   * Waits (blocking) until every partition's backups hold what its owner holds, so that a
   * member lost from now on loses nothing: at most {@code timeoutMs}. Returns whether it got
   * there.
   */
  public boolean awaitSafe(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (!hazelcast().getPartitionService().isClusterSafe()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }

  /** Number of members in the cluster, this one included. */
  public int memberCount() {
    return hazelcast().getCluster().getMembers().size();
  }

  /**
   * The {@code node.id} of every member (its {@link #NODE_ID_ATTRIBUTE}), oldest first; reads
   * Hazelcast's local member list, so it never blocks.
   */
  public java.util.List<String> memberNodeIds() {
    java.util.List<String> ids = new java.util.ArrayList<>();
    for (Member m : hazelcast().getCluster().getMembers()) {
      String id = m.getAttribute(NODE_ID_ATTRIBUTE);
      if (id != null) {
        ids.add(id);
      }
    }
    return ids;
  }

  /** True when this member is the oldest of the cluster (runs cluster-wide chores once). */
  public boolean isOldestMember() {
    return hazelcast().getCluster().getMembers().iterator().next().localMember();
  }
}

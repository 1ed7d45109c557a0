package io.phoenix.testing;

import io.phoenix.config.ConfigLoader;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.node.PhoenixNode;
import io.phoenix.session.Authenticator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real node in the test JVM: a Hazelcast cluster of one on a free loopback port (its own
 * cluster name, so test nodes never meet), TCP and HTTP on free ports, and the default store
 * (an embedded database in a directory of its own under {@code target/test-data}). Clusters of
 * several test nodes use the in-memory store unless a test gives them a PostgreSQL.
 */
public final class TestNode implements AutoCloseable {
  public static final String SECRET = "test-secret-0123456789abcdef0123456789";

  private final PhoenixNode node;
  private final PhoenixConfig config;
  private final Authenticator tokens;

  private TestNode(PhoenixConfig config) {
    this.config = config;
    this.node = new PhoenixNode(config);
    try {
      node.start().await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("test node did not start", e);
    }
    this.tokens = new Authenticator(node.vertx(), config.auth());
  }

  /** Base configuration for a test node; tweak it and pass it to {@link #start(JsonObject)}. */
  public static JsonObject config() {
    int clusterPort = freePort();
    return new JsonObject()
        .put("node", new JsonObject().put("id", "test-" + UUID.randomUUID().toString().substring(0, 8)))
        .put("tcp", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("auth", new JsonObject().put("jwtSecret", SECRET).put("issuer", "phoenix"))
        .put("cluster", new JsonObject().put("name", "t-" + UUID.randomUUID())
            .put("host", "127.0.0.1").put("port", clusterPort)
            .put("members", new JsonArray().add("127.0.0.1:" + clusterPort)))
        .put("limits", new JsonObject())
        .put("retention", new JsonObject())
        .put("storage", new JsonObject().put("type", "embedded")
            .put("path", dataDir().toString()));
  }

  /** A new, empty directory for a database, under target/test-data. */
  public static java.nio.file.Path dataDir() {
    return java.nio.file.Path.of("target", "test-data", UUID.randomUUID().toString())
        .toAbsolutePath();
  }

  /**
   * Configurations for {@code n} nodes of one cluster on loopback: same cluster name, each on
   * its own free membership port, every port listed as a member.
   */
  public static java.util.List<JsonObject> clusterConfigs(int n) {
    String name = "t-" + UUID.randomUUID();
    JsonArray members = new JsonArray();
    int[] ports = new int[n];
    for (int i = 0; i < n; i++) {
      ports[i] = freePort();
      members.add("127.0.0.1:" + ports[i]);
    }
    java.util.List<JsonObject> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      JsonObject c = config();
      c.getJsonObject("node").put("id", "node-" + (i + 1) + "-" + name.substring(2, 8));
      c.getJsonObject("cluster").put("name", name).put("port", ports[i]).put("members", members)
          .put("memberTimeoutSeconds", 4);
      c.put("storage", new JsonObject().put("type", "memory"));
      out.add(c);
    }
    return out;
  }

  public static TestNode start() {
    return start(config());
  }

  public static TestNode start(JsonObject json) {
    return new TestNode(ConfigLoader.fromJson(json));
  }

  /** A node on a configuration loaded elsewhere, e.g. a file with environment overrides. */
  public static TestNode start(PhoenixConfig config) {
    return new TestNode(config);
  }

  /**
   * A port that is free now, below the kernel's ephemeral range (32768-60999): a port taken
   * from that range can be grabbed by any outgoing connection before the node binds it.
   */
  public static int freePort() {
    for (int i = 0; i < PORT_SPAN; i++) {
      int port = PORT_BASE + Math.floorMod(NEXT_PORT.getAndIncrement(), PORT_SPAN);
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException busy) {
        // try the next one
      }
    }
    throw new IllegalStateException("no free port between " + PORT_BASE + " and "
        + (PORT_BASE + PORT_SPAN));
  }

  private static final int PORT_BASE = 20_000;
  private static final int PORT_SPAN = 12_000;
  /** Spread test JVMs apart so that two of them rarely probe the same ports. */
  private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT =
      new java.util.concurrent.atomic.AtomicInteger(
          (int) (ProcessHandle.current().pid() * 97 % PORT_SPAN));


  /** A valid token for {@code eid}. */
  public String token(String eid) {
    return tokens.issue(eid, 3600);
  }

  /** A valid token for {@code eid} whose {@code cnf} claim binds {@code jwk} (PROTOCOL.md §10). */
  public String token(String eid, io.vertx.core.json.JsonObject jwk) {
    return tokens.issue(eid, 3600, jwk);
  }

  public PhoenixNode node() {
    return node;
  }

  public PhoenixConfig settings() {
    return config;
  }

  public String id() {
    return config.node().id();
  }

  public int tcpPort() {
    return node.tcpPort();
  }

  public int httpPort() {
    return node.httpPort();
  }

  @Override
  public void close() {
    try {
      node.stop(java.time.Duration.ofSeconds(30));
    } catch (Exception e) {
      throw new IllegalStateException("test node did not stop", e);
    }
  }
}

package io.phoenix.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.config.ConfigException;
import io.phoenix.config.ConfigLoader;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The configuration the container image and docker/compose.yml give the nodes, started the way
 * the tests start clusters. The image runs docker/node.json, which has no secret and no
 * development tokens; compose's three services add their environment, and its postgres service
 * is a real PostgreSQL 16 here too, with the database, user and password compose gives it. Each
 * node loads exactly that file and environment, with only what a container gets from its
 * network changed for one machine: host names become 127.0.0.1, and each (host, container port)
 * a free loopback port. The three must form one cluster on that database, serve clients across
 * nodes, and sign in nobody.
 */
class ComposeClusterTest {
  private static final Path DOCKER = Path.of("..", "docker");
  private static final String SECRET = "compose-test-secret-0123456789abcdef0123456789abcdef";
  private static final String DB_PASSWORD = "compose-test-db-password";
  /** What the shell gives compose: the two variables the README has you export. */
  private static final Map<String, String> SHELL = Map.of("PHOENIX_AUTH_JWT_SECRET", SECRET,
      "PHOENIX_STORAGE_PASSWORD", DB_PASSWORD);
  private static final Pattern JDBC = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/(\\w+)");
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{(\\w+)(?:(:?[?-])([^}]*))?}");

  @Test
  void theImageRunsItsOwnConfigurationWithoutASecretOrDevelopmentTokens() throws Exception {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    Matcher copy = Pattern.compile("(?m)^COPY docker/node\\.json (\\S+)$").matcher(dockerfile);
    assertTrue(copy.find(), "the image holds docker/node.json");
    assertTrue(dockerfile.contains("CMD [\"node\", \"--config\", \"" + copy.group(1) + "\"]"),
        "the image runs the node on docker/node.json");

    JsonObject image = imageConfig();
    assertFalse(image.getJsonObject("auth").containsKey("jwtSecret"), "a secret in the image");
    ConfigException missing = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(image, Map.of(), "docker/node.json"));
    assertEquals("config error: auth.jwtSecret, auth.publicKeyFile or auth.jwksUrl must be set"
        + " (in the file, or with PHOENIX_AUTH_JWT_SECRET, PHOENIX_AUTH_PUBLIC_KEY_FILE or"
        + " PHOENIX_AUTH_JWKS_URL): without any of them no token can be checked",
        missing.getMessage());

    ConfigLoader.Loaded loaded = ConfigLoader.load(image,
        Map.of("PHOENIX_AUTH_JWT_SECRET", SECRET), "docker/node.json");
    assertEquals(List.of(), loaded.warnings());
    assertFalse(loaded.config().auth().devTokens(), "development tokens in the image");
    assertEquals("0.0.0.0", loaded.config().tcp().host(), "reachable from outside the container");
    assertEquals("0.0.0.0", loaded.config().http().host());
    // a cluster of one keeps its messages in an embedded database, in a directory of its user
    assertEquals("embedded", loaded.config().storage().type());
    String data = loaded.config().storage().path();
    assertTrue(dockerfile.contains("chown phoenix:phoenix " + data), "the image's user owns " + data);
  }

  @Test
  void theThreeComposeNodesFormOneClusterOnTheirDatabase() throws Exception {
    Map<String, Object> compose = compose();
    Map<String, Map<String, String>> services = nodeEnvironments(compose);
    assertEquals(List.of("node1", "node2", "node3"), List.copyOf(services.keySet()));
    Map<String, String> database = postgres(compose, services.keySet());
    JsonObject image = imageConfig();

    // what compose gives each node, as the node reads it
    Map<String, PhoenixConfig> asComposed = new LinkedHashMap<>();
    for (var service : services.entrySet()) {
      ConfigLoader.Loaded loaded = ConfigLoader.load(image, service.getValue(),
          "docker/node.json + " + service.getKey());
      assertEquals(List.of(), loaded.warnings(), service.getKey());
      asComposed.put(service.getKey(), loaded.config());
    }
    List<String> ids = asComposed.values().stream().map(c -> c.node().id()).distinct().toList();
    assertEquals(3, ids.size(), "distinct node ids: " + ids);
    for (var node : asComposed.entrySet()) {
      PhoenixConfig c = node.getValue();
      assertEquals(node.getKey(), c.cluster().host(), "each node advertises its own host name");
      for (String other : services.keySet()) {
        assertTrue(c.cluster().members().contains(other + ":" + c.cluster().port()),
            node.getKey() + " lists " + other + " as a member: " + c.cluster().members());
      }
      assertFalse(c.auth().devTokens());
      assertEquals(2, c.cluster().minimumMembers(), "split-brain protection on");
      assertEquals("postgresql", c.storage().type());
      Matcher url = JDBC.matcher(c.storage().url());
      assertTrue(url.matches(), c.storage().url());
      assertEquals("postgres", url.group(1), "the compose service");
      assertEquals(database.get("POSTGRES_DB"), url.group(3));
      assertEquals(database.get("POSTGRES_USER"), c.storage().user());
      assertEquals(database.get("POSTGRES_PASSWORD"), c.storage().password());
    }

    // compose's postgres service: its database, owned by its user, with its password
    try (EmbeddedPostgres pg = TestPostgres.start(null, 0)) {
      TestPostgres.execute(pg, "CREATE ROLE " + database.get("POSTGRES_USER")
          + " LOGIN PASSWORD '" + database.get("POSTGRES_PASSWORD") + "'");
      TestPostgres.execute(pg, "CREATE DATABASE " + database.get("POSTGRES_DB") + " OWNER "
          + database.get("POSTGRES_USER"));
      startOnLoopback(image, services, asComposed, pg.getPort());
      // ACCEPTED came after the commit to compose's database, as the composed user sees it
      try (Connection db = DriverManager.getConnection(TestPostgres.url(pg,
              database.get("POSTGRES_DB")), database.get("POSTGRES_USER"),
              database.get("POSTGRES_PASSWORD"));
          ResultSet rows = db.createStatement().executeQuery("SELECT message_id, msg_offset"
              + " FROM phoenix_messages WHERE from_eid = 'alice' AND to_eid = 'bob'")) {
        assertTrue(rows.next(), "the message is in the database");
        assertEquals("compose-1", rows.getString(1));
        assertEquals(1, rows.getLong(2));
        assertFalse(rows.next());
      }
    }
  }

  /**
   * The composed nodes on one machine: host names become 127.0.0.1, container ports free
   * loopback ports; they must form one cluster, refuse development tokens and route a message
   * across nodes with tokens signed by the composed secret.
   */
  private static void startOnLoopback(JsonObject image, Map<String, Map<String, String>> services,
      Map<String, PhoenixConfig> asComposed, int postgresPort) throws Exception {
    Map<String, Integer> loopback = new HashMap<>();
    loopback.put("postgres:5432", postgresPort);
    String cluster = "compose-" + UUID.randomUUID();
    List<TestNode> nodes = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try {
      for (var node : asComposed.entrySet()) {
        PhoenixConfig c = node.getValue();
        Map<String, String> env = new HashMap<>(services.get(node.getKey()));
        env.put("PHOENIX_CLUSTER_NAME", cluster);
        env.put("PHOENIX_CLUSTER_HOST", "127.0.0.1");
        env.put("PHOENIX_CLUSTER_PORT", port(loopback, node.getKey(), c.cluster().port()));
        env.put("PHOENIX_CLUSTER_EVENT_BUS_PORT",
            port(loopback, node.getKey(), c.cluster().eventBusPort()));
        env.put("PHOENIX_CLUSTER_MEMBERS", String.join(",", c.cluster().members().stream()
            .map(m -> "127.0.0.1:" + port(loopback, m.substring(0, m.lastIndexOf(':')),
                Integer.parseInt(m.substring(m.lastIndexOf(':') + 1))))
            .toList()));
        env.put("PHOENIX_TCP_HOST", "127.0.0.1");
        env.put("PHOENIX_TCP_PORT", "0");
        env.put("PHOENIX_HTTP_HOST", "127.0.0.1");
        env.put("PHOENIX_HTTP_PORT", "0");
        Matcher url = JDBC.matcher(c.storage().url());
        assertTrue(url.matches());
        env.put("PHOENIX_STORAGE_URL", "jdbc:postgresql://127.0.0.1:"
            + port(loopback, url.group(1), Integer.parseInt(url.group(2))) + "/" + url.group(3));
        ConfigLoader.Loaded loaded = ConfigLoader.load(image, env, "loopback " + node.getKey());
        assertEquals(List.of(), loaded.warnings());
        nodes.add(TestNode.start(loaded.config()));
      }
      for (TestNode node : nodes) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> Http.get(url(node, "/health/ready")).statusCode() == 200);
        JsonObject stats = new JsonObject(Http.get(url(node, "/api/stats")).body());
        assertEquals(3, stats.getInteger("clusterMembers"), stats::encode);
        assertNotEquals(200, Http.get(url(node, "/api/dev-token?eid=anyone")).statusCode(),
            "a development token from " + node.id());
      }

      // tokens signed with the composed secret; a message crosses from node1 to node3
      try (TestClient bob = TestClient.login(vertx, Transport.TCP, nodes.get(2), "bob", "b");
          TestClient alice = TestClient.login(vertx, Transport.WS, nodes.get(0), "alice", "a")) {
        assertEquals(200, alice.sendAndAwaitAccepted(
            TestClient.message("compose-1", "bob").build()).getStatusCode());
        Message m = bob.nextMessage();
        assertEquals("alice", m.getFrom().getEid());
        assertEquals("compose-1", m.getMessageId());
      }
    } finally {
      vertx.close().await();
      for (int i = nodes.size() - 1; i >= 0; i--) {
        nodes.get(i).close();
      }
    }
  }

  private static String url(TestNode node, String path) {
    return "http://127.0.0.1:" + node.httpPort() + path;
  }

  /** The loopback port standing for {@code port} of container {@code host}. */
  private static String port(Map<String, Integer> ports, String host, int port) {
    return String.valueOf(ports.computeIfAbsent(host + ":" + port, k -> TestNode.freePort()));
  }

  private static JsonObject imageConfig() throws Exception {
    return new JsonObject(Files.readString(DOCKER.resolve("node.json")));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> compose() throws Exception {
    return new Yaml().load(Files.readString(DOCKER.resolve("compose.yml")));
  }

  /** Each node service's environment, with ${...} resolved as compose does. */
  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, String>> nodeEnvironments(Map<String, Object> compose) {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    Map<String, Object> services = (Map<String, Object>) compose.get("services");
    for (var service : services.entrySet()) {
      Map<String, Object> spec = (Map<String, Object>) service.getValue();
      if (!String.valueOf(spec.get("image")).startsWith("phoenix")) {
        continue; // the database
      }
      assertEquals(service.getKey(), spec.get("hostname"));
      Map<String, Object> dependsOn = (Map<String, Object>) spec.get("depends_on");
      assertEquals(Map.of("condition", "service_healthy"), dependsOn.get("postgres"),
          service.getKey() + " waits for a healthy database");
      out.put(service.getKey(), environment(spec));
    }
    return out;
  }

  /** The postgres service's environment; checks its image, health check and named volume. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> postgres(Map<String, Object> compose,
      java.util.Set<String> nodes) {
    Map<String, Object> spec = (Map<String, Object>)
        ((Map<String, Object>) compose.get("services")).get("postgres");
    assertEquals("postgres:16", spec.get("image"));
    assertTrue(spec.containsKey("healthcheck"), "the nodes wait for its health check");
    String volume = String.valueOf(((List<Object>) spec.get("volumes")).get(0));
    String name = volume.substring(0, volume.indexOf(':'));
    assertTrue(((Map<String, Object>) compose.get("volumes")).containsKey(name),
        "its data on the named volume " + name);
    assertFalse(spec.containsKey("ports"), "the database is for the nodes only");
    return environment(spec);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> environment(Map<String, Object> spec) {
    Map<String, String> env = new LinkedHashMap<>();
    ((Map<String, Object>) spec.get("environment"))
        .forEach((k, v) -> env.put(k, interpolate(String.valueOf(v))));
    return env;
  }

  private static String interpolate(String value) {
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String set = SHELL.get(m.group(1));
      String replacement = set != null ? set
          : m.group(2) != null && m.group(2).endsWith("-") ? m.group(3) : null;
      assertTrue(replacement != null, "compose would stop here: " + m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    return m.appendTail(out).toString();
  }
}

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
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
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
 * development tokens; compose's three services add their environment. Each node here loads
 * exactly that file and environment, with only what a container gets from its network changed
 * for one machine: host names become 127.0.0.1, and each (host, container port) a free loopback
 * port. The three must form one cluster, serve clients across nodes, and sign in nobody.
 */
class ComposeClusterTest {
  private static final Path DOCKER = Path.of("..", "docker");
  private static final String SECRET = "compose-test-secret-0123456789abcdef0123456789abcdef";
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
  }

  @Test
  void theThreeComposeNodesFormOneCluster() throws Exception {
    Map<String, Map<String, String>> services = composeEnvironments();
    assertEquals(List.of("node1", "node2", "node3"), List.copyOf(services.keySet()));
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
    }

    // the same on one machine: host names -> 127.0.0.1, container ports -> free loopback ports
    Map<String, Integer> loopback = new HashMap<>();
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

  /** Each service's environment, with ${...} resolved as compose does ({@link #SECRET} set). */
  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, String>> composeEnvironments() throws Exception {
    Map<String, Object> compose = new Yaml().load(Files.readString(DOCKER.resolve("compose.yml")));
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    Map<String, Object> services = (Map<String, Object>) compose.get("services");
    for (var service : services.entrySet()) {
      Map<String, Object> spec = (Map<String, Object>) service.getValue();
      if (!String.valueOf(spec.get("image")).startsWith("phoenix")) {
        continue; // e.g. the database
      }
      assertEquals(service.getKey(), spec.get("hostname"));
      Map<String, String> env = new LinkedHashMap<>();
      ((Map<String, Object>) spec.get("environment"))
          .forEach((k, v) -> env.put(k, interpolate(String.valueOf(v))));
      out.put(service.getKey(), env);
    }
    return out;
  }

  private static String interpolate(String value) {
    Map<String, String> shell = Map.of("PHOENIX_AUTH_JWT_SECRET", SECRET);
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String set = shell.get(m.group(1));
      String replacement = set != null ? set
          : m.group(2) != null && m.group(2).endsWith("-") ? m.group(3) : null;
      assertTrue(replacement != null, "compose would stop here: " + m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    return m.appendTail(out).toString();
  }
}

package io.phoenix.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.config.PhoenixConfig;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.metrics.StoreMetrics;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard's HTTP API over real HTTP on a cluster of two nodes: development tokens only
 * where {@code auth.devTokens} is on (and they open a session), every member's figures from
 * either node, a member that does not answer shown as unreachable, and the page itself at /.
 */
class DashboardApiTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode withTokens;
  static TestNode withoutTokens;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    configs.get(0).getJsonObject("auth").put("devTokens", true);
    withTokens = nodes.start(configs.get(0));
    withoutTokens = nodes.start(configs.get(1));
    vertx = nodes.vertx();
  }

  private static HttpResponse<String> get(TestNode node, String path) throws Exception {
    return Http.get("http://127.0.0.1:" + node.httpPort() + path);
  }

  private static String devTokenPath(String eid) {
    return "/api/dev-token?eid=" + URLEncoder.encode(eid, StandardCharsets.UTF_8);
  }

  @Test
  void devTokensOpenASessionWhereEnabled() throws Exception {
    HttpResponse<String> res = get(withTokens, devTokenPath("carol-dev"));
    assertEquals(200, res.statusCode());
    assertEquals("no-store", res.headers().firstValue("cache-control").orElse(""));
    JsonObject body = new JsonObject(res.body());
    assertEquals("carol-dev", body.getString("eid"));
    assertEquals(withTokens.settings().auth().tokenTtlSeconds(), body.getInteger("expiresInSeconds"));
    // the token is a real one, on every node of the cluster
    try (TestClient c = TestClient.connect(vertx, Transport.WS, withoutTokens)) {
      c.hello(body.getString("token"), "dev");
      Frame f = c.next();
      assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), () -> "expected Welcome, got " + f);
      assertEquals("carol-dev", f.getWelcome().getIdentity().getEid());
    }
  }

  @Test
  void devTokensAreRefusedWhereDisabled() throws Exception {
    HttpResponse<String> res = get(withoutTokens, devTokenPath("mallory"));
    assertEquals(403, res.statusCode());
    assertTrue(new JsonObject(res.body()).getString("error").contains("auth.devTokens"));
    assertFalse(res.body().contains("eyJ"), "no token in a refusal");
  }

  @Test
  void devTokenEidsAreBounded() throws Exception {
    assertEquals(400, get(withTokens, "/api/dev-token").statusCode());
    assertEquals(400, get(withTokens, devTokenPath("")).statusCode());
    assertEquals(400, get(withTokens, devTokenPath("é".repeat(129))).statusCode()); // 258 bytes
    assertEquals(200, get(withTokens, devTokenPath("é".repeat(128))).statusCode()); // 256 bytes
    assertTrue(new JsonObject(get(withTokens, devTokenPath("")).body()).getString("error")
        .contains("256 bytes"));
    // characters a Hello refuses in a sub: no token that no node would take
    for (String eid : new String[] {"x\u0000y", "x\ny", "x\u007f"}) {
      HttpResponse<String> res = get(withTokens, devTokenPath(eid));
      assertEquals(400, res.statusCode(), res::body);
      assertTrue(new JsonObject(res.body()).getString("error").contains("control characters"),
          res::body);
    }
  }

  @Test
  void infoTellsThePageHowToConnect() throws Exception {
    JsonObject on = new JsonObject(get(withTokens, "/api/info").body());
    assertEquals(withTokens.id(), on.getString("node"));
    assertEquals("/socket", on.getString("webSocketPath"));
    assertTrue(on.getBoolean("devTokens"));
    assertFalse(new JsonObject(get(withoutTokens, "/api/info").body()).getBoolean("devTokens"));
  }

  @Test
  void everyNodeShowsEveryMember() throws Exception {
    try (TestClient a = TestClient.login(vertx, Transport.TCP, withoutTokens, "dash-a", "a");
         TestClient b = TestClient.login(vertx, Transport.WS, withoutTokens, "dash-b", "b")) {
      assertEquals(200, a.sendAndAwaitAccepted(TestClient.message("d1", "dash-b").build())
          .getStatusCode());
      b.nextMessage();
      for (TestNode asked : List.of(withTokens, withoutTokens)) {
        HttpResponse<String> res = get(asked, "/api/cluster");
        assertEquals(200, res.statusCode());
        JsonObject cluster = new JsonObject(res.body());
        assertEquals(asked.id(), cluster.getString("node"));
        JsonArray members = cluster.getJsonArray("members");
        assertEquals(2, members.size(), members::encode);
        JsonObject busy = member(members, withoutTokens.id());
        assertTrue(busy.getBoolean("reachable"));
        assertTrue(busy.getLong("sessions") >= 2, busy::encode);
        assertTrue(busy.getLong("connections") >= 2, busy::encode);
        assertTrue(busy.getLong("accepted") >= 1, busy::encode);
        assertNotNull(busy.getDouble("acceptedP99Millis"));
        assertEquals(2, busy.getInteger("clusterMembers"));
        assertTrue(member(members, withTokens.id()).getBoolean("reachable"));
        // each member's store, the other one's over the event bus: memory has nothing on disk
        for (TestNode n : List.of(withTokens, withoutTokens)) {
          JsonObject store = member(members, n.id()).getJsonObject("store");
          assertNotNull(store, () -> "no store in " + members.encode());
          assertEquals("memory", store.getString("type"), store::encode);
          assertEquals(0, store.getLong("committed"), store::encode);
          assertEquals(0, store.getLong("commits"), store::encode);
          assertEquals(-1, store.getLong("diskBytes"), store::encode);
        }
      }
    }
  }

  /**
   * A node with an embedded database: after messages through a real client, its entry in
   * /api/cluster carries the store's counters, the latency buckets of every commit, the mean
   * batch and the database's size.
   */
  @Test
  void eachMemberShowsItsStore() throws Exception {
    try (TestNode embedded = TestNode.start()) {
      JsonObject before = member(new JsonObject(get(embedded, "/api/cluster").body())
          .getJsonArray("members"), embedded.id()).getJsonObject("store");
      assertEquals("embedded", before.getString("type"), before::encode);
      int sent = 6;
      try (TestClient a = TestClient.login(vertx, Transport.TCP, embedded, "store-a", "a");
           TestClient b = TestClient.login(vertx, Transport.WS, embedded, "store-b", "b")) {
        for (int i = 0; i < sent; i++) {
          // accepted only once committed (storage.acceptAfter: commit, the embedded default)
          assertEquals(200, a.sendAndAwaitAccepted(TestClient.message("s" + i, "store-b")
              .build()).getStatusCode());
          b.nextMessage();
        }
      }
      // the disk size is measured every ten seconds, the buckets counted after the commit
      // that answered: wait until both show
      JsonObject[] seen = new JsonObject[1];
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        seen[0] = member(new JsonObject(get(embedded, "/api/cluster").body())
            .getJsonArray("members"), embedded.id()).getJsonObject("store");
        return seen[0].getLong("diskBytes") > 0 && sum(seen[0].getJsonObject("commitLatency")
            .getJsonArray("counts")) == seen[0].getLong("commits");
      });
      JsonObject store = seen[0];
      assertEquals("embedded", store.getString("type"), store::encode);
      assertTrue(store.getBoolean("healthy"), store::encode);
      long committed = store.getLong("committed");
      long commits = store.getLong("commits");
      assertTrue(committed - before.getLong("committed") >= sent, store::encode);
      assertTrue(commits - before.getLong("commits") >= 1, store::encode);
      assertEquals((double) committed / commits, store.getDouble("meanBatch"), 1e-9,
          store::encode);
      JsonArray bounds = store.getJsonObject("commitLatency").getJsonArray("boundsMillis");
      JsonArray counts = store.getJsonObject("commitLatency").getJsonArray("counts");
      assertEquals(StoreMetrics.LATENCY_BOUNDS_MILLIS.length, bounds.size(), store::encode);
      for (int i = 0; i < bounds.size(); i++) {
        assertEquals(StoreMetrics.LATENCY_BOUNDS_MILLIS[i], bounds.getDouble(i), 0);
      }
      assertEquals(bounds.size() + 1, counts.size(), store::encode);
      assertTrue(store.getDouble("commitP99Millis") > 0, store::encode);
      // the new stream store-a→store-b was looked up in the database before its first message
      assertTrue(store.getLong("loaded") >= 1, store::encode);
      assertEquals(0, store.getLong("evicted"), store::encode); // nothing idle for 2 minutes
    }
  }

  private static long sum(JsonArray counts) {
    long total = 0;
    for (int i = 0; i < counts.size(); i++) {
      total += counts.getLong(i);
    }
    return total;
  }

  @Test
  void membersThatDoNotAnswerAreShownAsUnreachable() throws Exception {
    // "silent-node" listens but never answers (a hung member); "gone-node" listens nowhere
    Vertx clustered = withTokens.node().vertx();
    MessageConsumer<Object> silent = clustered.eventBus()
        .consumer(ClusterStats.address("silent-node"), msg -> { });
    silent.completion().await(10, TimeUnit.SECONDS);
    try {
      // The event-bus connection to the other node is set up before the timed round: on a
      // loaded machine that set-up alone can take longer than a member's timeout.
      await().atMost(Duration.ofSeconds(30)).until(() -> member(ClusterStats.gather(clustered,
              new ExtraMembers(withTokens, List.of())).await(10, TimeUnit.SECONDS)
          .getJsonArray("members"), withoutTokens.id()).getBoolean("reachable"));
      ExtraMembers view = new ExtraMembers(withTokens, List.of("silent-node", "gone-node"));
      long start = System.nanoTime();
      JsonObject cluster = ClusterStats.gather(clustered, view).await(10, TimeUnit.SECONDS);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      JsonArray members = cluster.getJsonArray("members");
      assertEquals(4, members.size(), members::encode);
      for (String dead : List.of("silent-node", "gone-node")) {
        JsonObject m = member(members, dead);
        assertFalse(m.getBoolean("reachable"), m::encode);
        assertNotNull(m.getString("error"));
      }
      assertTrue(member(members, "silent-node").getString("error").contains("no answer within"));
      assertTrue(member(members, withoutTokens.id()).getBoolean("reachable"));
      assertTrue(member(members, withTokens.id()).getBoolean("reachable"));
      // members are asked at once, each with its own timeout
      assertTrue(millis >= ClusterStats.MEMBER_TIMEOUT_MS - 50, "took " + millis + " ms");
      assertTrue(millis < 3 * ClusterStats.MEMBER_TIMEOUT_MS, "took " + millis + " ms");
    } finally {
      silent.unregister().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void thePageIsServedAtTheRoot() throws Exception {
    HttpResponse<String> page = get(withTokens, "/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
    assertEquals("no-cache", page.headers().firstValue("cache-control").orElse(""));
    assertTrue(page.body().contains("data-testid=\"signin\""));
    // the page's own ES modules, served as they are
    assertTrue(page.body().contains("<script type=\"module\" src=\"main.js\">"), page.body());
    for (String module : List.of("/main.js", "/protocol.js", "/chat.js", "/client.js")) {
      HttpResponse<String> js = get(withTokens, module);
      assertEquals(200, js.statusCode(), module);
      assertTrue(js.headers().firstValue("content-type").orElse("").contains("javascript"), module);
      assertEquals("no-cache", js.headers().firstValue("cache-control").orElse(""), module);
    }
    // protobufjs from its WebJar, at the version the build put into the page
    Matcher lib = Pattern.compile("src=\"(webjars/protobufjs/[0-9.]+/dist/protobuf\\.min\\.js)\"")
        .matcher(page.body());
    assertTrue(lib.find(), "the page loads protobufjs from the WebJar: " + page.body());
    HttpResponse<String> js = get(withTokens, "/" + lib.group(1));
    assertEquals(200, js.statusCode());
    assertTrue(js.headers().firstValue("content-type").orElse("").contains("javascript"));
    assertTrue(js.body().contains("protobuf"), "protobufjs itself");
    // the schema the page parses is the repository's one
    HttpResponse<String> proto = get(withTokens, "/phoenix.proto");
    assertEquals(200, proto.statusCode());
    assertEquals(Files.readString(Path.of("..", "proto", "phoenix", "v1", "phoenix.proto")),
        proto.body());
    assertEquals(404, get(withTokens, "/no-such-file.js").statusCode());
    assertEquals(404, get(withTokens, "/webjars/protobufjs/0.0.0/dist/protobuf.min.js").statusCode());
  }

  private static JsonObject member(JsonArray members, String node) {
    for (int i = 0; i < members.size(); i++) {
      if (node.equals(members.getJsonObject(i).getString("node"))) {
        return members.getJsonObject(i);
      }
    }
    throw new AssertionError("no member " + node + " in " + members.encode());
  }

  /** A node's view that also lists members which are not there. */
  private record ExtraMembers(TestNode node, List<String> extra) implements AdminRoutes.NodeView {
    @Override
    public String nodeId() {
      return node.id();
    }

    @Override
    public Future<Boolean> ready() {
      return node.node().ready();
    }

    @Override
    public NodeMetrics metrics() {
      return node.node().metrics();
    }

    @Override
    public int clusterMembers() {
      return node.node().clusterMembers() + extra.size();
    }

    @Override
    public List<String> clusterNodeIds() {
      List<String> ids = new ArrayList<>(node.node().clusterNodeIds());
      ids.addAll(extra);
      return ids;
    }

    @Override
    public PhoenixConfig config() {
      return node.settings();
    }
  }
}

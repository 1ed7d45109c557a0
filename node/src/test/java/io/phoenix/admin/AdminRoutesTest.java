package io.phoenix.admin;

import static io.phoenix.testing.Http.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Health probes, Prometheus metrics and dashboard figures over real HTTP. */
class AdminRoutesTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return Http.get("http://127.0.0.1:" + node.httpPort() + path);
  }

  @Test
  void probesAnswer() throws Exception {
    HttpResponse<String> live = get("/health/live");
    assertEquals(200, live.statusCode());
    assertEquals("UP", new JsonObject(live.body()).getString("status"));
    HttpResponse<String> ready = get("/health/ready");
    assertEquals(200, ready.statusCode());
    assertEquals("UP", new JsonObject(ready.body()).getString("status"));
    assertEquals(404, get("/no-such-page").statusCode());
  }

  /** The page and the API are neither sniffed for another type nor shown in others' frames. */
  @Test
  void answersForbidSniffingAndFraming() throws Exception {
    for (String path : List.of("/", "/health/live", "/api/info", "/metrics")) {
      HttpResponse<String> r = get(path);
      assertEquals(200, r.statusCode(), path);
      assertEquals("nosniff", r.headers().firstValue("x-content-type-options").orElse(""), path);
      assertEquals("DENY", r.headers().firstValue("x-frame-options").orElse(""), path);
      assertEquals("frame-ancestors 'none'",
          r.headers().firstValue("content-security-policy").orElse(""), path);
    }
  }

  /** Series whose labels are known in advance are there before their first event, at 0. */
  @Test
  void seriesWithKnownLabelsAreThereFromTheStart() throws Exception {
    try (TestNode fresh = TestNode.start()) {
      String text = Http.get("http://127.0.0.1:" + fresh.httpPort() + "/metrics").body();
      for (String transport : new String[] {"tcp", "ws"}) {
        assertEquals(0, metric(text, "phoenix_connections{transport=\"" + transport + "\"}"));
        assertEquals(0, metric(text, "phoenix_frames_in_total{transport=\"" + transport + "\"}"));
        assertEquals(0, metric(text, "phoenix_frames_out_total{transport=\"" + transport + "\"}"));
      }
      for (String method : new String[] {"accepted", "delivered", "read", "pull_request", "sync",
          "other"}) {
        assertEquals(0, metric(text, "phoenix_acks_total{method=\"" + method + "\"}"));
      }
    }
  }

  /**
   * Micrometer holds a gauge's object weakly unless told otherwise: a gauge reading through a
   * lambda or method reference nothing else holds reads NaN after the first garbage collection.
   */
  @Test
  void gaugesStillReadAfterAGarbageCollection() throws Exception {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
        metric(get("/metrics").body(), "phoenix_store_disk_bytes{type=\"embedded\"}") > 0);
    for (int i = 0; i < 3; i++) {
      System.gc(); // the node runs in this JVM
    }
    String text = get("/metrics").body();
    assertEquals(1, metric(text, "phoenix_cluster_members"));
    assertTrue(metric(text, "phoenix_store_disk_bytes{type=\"embedded\"}") > 0);
    assertTrue(metric(text, "phoenix_client_sockets") >= 1);
    assertTrue(metric(text, "phoenix_client_sockets_max") >= 1);
  }

  @Test
  void metricsCountWhatHappens() throws Exception {
    String before = get("/metrics").body();
    double accepted = metric(before, "phoenix_messages_accepted_total");
    double refused = before.contains("phoenix_rejections_total{status=\"400\"}")
        ? metric(before, "phoenix_rejections_total{status=\"400\"}") : 0;
    try (TestClient alice = TestClient.login(vertx, Transport.TCP, node, "alice-m", "a");
         TestClient bob = TestClient.login(vertx, Transport.WS, node, "bob-m", "b")) {
      assertEquals(200, alice.sendAndAwaitAccepted(TestClient.message("m1", "bob-m").build())
          .getStatusCode());
      bob.nextMessage();
      assertEquals(400, alice.sendAndAwaitAccepted(TestClient.message("", "bob-m").build())
          .getStatusCode());
      String after = get("/metrics").body();
      assertEquals(accepted + 1, metric(after, "phoenix_messages_accepted_total"));
      assertEquals(refused + 1, metric(after, "phoenix_rejections_total{status=\"400\"}"));
      assertEquals(1, metric(after, "phoenix_connections{transport=\"tcp\"}"));
      assertEquals(1, metric(after, "phoenix_connections{transport=\"ws\"}"));
      assertEquals(2, metric(after, "phoenix_sessions"));
      assertEquals(1, metric(after, "phoenix_cluster_members"));
      assertTrue(metric(after, "phoenix_messages_delivered_total") >= 1);
      assertTrue(after.contains("phoenix_send_accepted_latency_seconds_bucket"));
      assertTrue(after.contains("jvm_memory_used_bytes"));
      assertTrue(metric(after, "phoenix_store_committed_messages_total{type=\"embedded\"}") >= 1);
      assertTrue(after.contains("phoenix_store_commit_latency_seconds_bucket"));
      JsonObject stats = new JsonObject(get("/api/stats").body());
      assertEquals(node.id(), stats.getString("node"));
      JsonObject store = stats.getJsonObject("store");
      assertEquals("embedded", store.getString("type"), store::encode);
      assertEquals("commit", store.getString("acceptAfter"));
      assertTrue(store.getLong("committed") >= 1, store::encode);
      assertTrue(store.getBoolean("healthy"));
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
          new JsonObject(get("/api/stats").body()).getJsonObject("store").getLong("diskBytes")
              > 0);
      assertEquals(2, stats.getLong("sessions"));
      assertEquals(1, stats.getInteger("clusterMembers"));
    }
  }

  /**
   * A scraper that asks for OpenMetrics (Prometheus does, with the Accept header below) gets
   * OpenMetrics; any other, or one that prefers text/plain, gets the Prometheus text format
   * 0.0.4.
   */
  @Test
  void metricsAnswerInTheFormatAskedFor() throws Exception {
    String url = "http://127.0.0.1:" + node.httpPort() + "/metrics";
    HttpResponse<String> open = Http.getWith(url, "accept", "application/openmetrics-text;"
        + "version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
    assertEquals(200, open.statusCode());
    assertEquals("application/openmetrics-text; version=1.0.0; charset=utf-8",
        open.headers().firstValue("content-type").orElse(null));
    assertTrue(open.body().endsWith("# EOF\n"), () -> tail(open.body()));
    assertTrue(open.body().contains("\nphoenix_sessions "), () -> tail(open.body()));
    for (HttpResponse<String> text : java.util.List.of(get("/metrics"),
        Http.getWith(url, "accept", "text/plain"),
        Http.getWith(url, "accept", "application/openmetrics-text;q=0, text/plain"),
        Http.getWith(url, "accept", "application/openmetrics-text;q=0.2, text/plain;q=0.9"))) {
      assertEquals(200, text.statusCode());
      assertEquals("text/plain; version=0.0.4; charset=utf-8",
          text.headers().firstValue("content-type").orElse(null));
      assertTrue(!text.body().contains("# EOF") && text.body().contains("\nphoenix_sessions "),
          () -> tail(text.body()));
    }
  }

  private static String tail(String body) {
    return body.substring(Math.max(0, body.length() - 300));
  }

  /**
   * A client that offers the cleartext HTTP/2 upgrade (the JDK's default) gets every answer
   * whole: over upgraded connections the body of /metrics sometimes never arrived.
   */
  @Test
  void metricsAnswerClientsThatOfferH2c() throws Exception {
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = Http.get(HttpClient.newHttpClient(),
          "http://127.0.0.1:" + node.httpPort() + "/metrics"); // a new connection each time
      assertEquals(200, r.statusCode());
      assertTrue(r.body().contains("phoenix_sessions"));
    }
  }
}

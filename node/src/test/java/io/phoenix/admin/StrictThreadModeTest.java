package io.phoenix.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.phoenix.config.ConfigLoader;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.metrics.NodeMetrics;
import io.phoenix.testing.Http;
import io.phoenix.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node's HTTP server runs in Vert.x's strict thread mode, where a response written from
 * another thread than the connection's event loop throws. The routes whose answer waits for a
 * result must still answer when that result completes on a thread of its own, as a Hazelcast
 * callback or a timer does.
 */
class StrictThreadModeTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A node whose readiness is decided on a plain thread, 50 ms after it is asked. */
  private static final class ForeignThreadNode implements AdminRoutes.NodeView {
    private final PhoenixConfig config = ConfigLoader.fromJson(TestNode.config());

    @Override
    public String nodeId() {
      return "strict";
    }

    @Override
    public Future<Boolean> ready() {
      Promise<Boolean> ready = Promise.promise();
      Thread t = new Thread(() -> {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ready.complete(true);
      }, "not-an-event-loop");
      t.start();
      return ready.future();
    }

    @Override
    public NodeMetrics metrics() {
      throw new UnsupportedOperationException("not asked by /health/ready");
    }

    @Override
    public int clusterMembers() {
      return 1;
    }

    @Override
    public List<String> clusterNodeIds() {
      return List.of(nodeId());
    }

    @Override
    public PhoenixConfig config() {
      return config;
    }
  }

  @Test
  void aResultCompletedOnAnotherThreadIsAnsweredFromTheEventLoop() throws Exception {
    // as HttpServerVerticle sets them: HTTP/1.1 only (no h2c upgrade), strict thread mode
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1")
            .setPort(0).setHttp2ClearTextEnabled(false).setStrictThreadMode(true))
        .requestHandler(AdminRoutes.create(vertx, new ForeignThreadNode(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    server.listen().await(10, TimeUnit.SECONDS);
    HttpResponse<String> ready = Http.get("http://127.0.0.1:" + server.actualPort()
        + "/health/ready");
    assertEquals(200, ready.statusCode());
    assertEquals("UP", new JsonObject(ready.body()).getString("status"));
  }
}

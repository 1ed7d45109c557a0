package io.phoenix.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.phoenix.metrics.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.function.Supplier;

/**
 * The HTTP side of a node, beside the WebSocket endpoint: liveness and readiness probes,
 * Prometheus metrics, and the figures the dashboard polls.
 *
 * <pre>
 * GET /health/live    200 {"status":"UP"} while the process serves HTTP
 * GET /health/ready   200 {"status":"UP"} once the node joined its cluster and its maps answer,
 *                     503 {"status":"DOWN"} before that and while it stops
 * GET /metrics        Prometheus text format: phoenix_* meters, Vert.x and JVM meters
 * GET /api/stats      this node's figures as JSON
 * </pre>
 *
 * <p>One router per HTTP verticle instance; handlers run on that instance's event loop.
 */
public final class AdminRoutes {
  private AdminRoutes() {}

  /** What the routes need of the node. */
  public interface NodeView {
    String nodeId();

    /** Succeeds with true once the cluster and its maps answer; never blocks. */
    Future<Boolean> ready();

    NodeMetrics metrics();

    int clusterMembers();
  }

  public static Router create(Vertx vertx, NodeView node, PrometheusMeterRegistry registry) {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> json(ctx.response(), 200,
        new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> node.ready().onComplete(ar -> {
      boolean up = ar.succeeded() && ar.result();
      json(ctx.response(), up ? 200 : 503, new JsonObject().put("status", up ? "UP" : "DOWN"));
    }));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    router.get("/api/stats").handler(ctx -> json(ctx.response(), 200, stats(node)));
    return router;
  }

  /** This node's dashboard figures. */
  public static JsonObject stats(NodeView node) {
    NodeMetrics.Snapshot s = node.metrics().snapshot();
    return new JsonObject()
        .put("node", node.nodeId())
        .put("time", System.currentTimeMillis())
        .put("connections", s.connections())
        .put("sessions", s.sessions())
        .put("accepted", s.accepted())
        .put("delivered", s.delivered())
        .put("acceptedP99Millis", s.acceptedP99Millis())
        .put("clusterMembers", node.clusterMembers());
  }

  private static void json(io.vertx.core.http.HttpServerResponse response, int status,
      JsonObject body) {
    response.setStatusCode(status).putHeader("content-type", "application/json")
        .putHeader("cache-control", "no-store").end(body.encode());
  }

  /** Supplies routers (one per HTTP verticle instance). */
  public static Supplier<Router> factory(Vertx vertx, NodeView node,
      PrometheusMeterRegistry registry) {
    return () -> create(vertx, node, registry);
  }
}

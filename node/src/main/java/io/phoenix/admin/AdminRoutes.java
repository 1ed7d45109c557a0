package io.phoenix.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.metrics.NodeMetrics;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.MimeMapping;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of a node, beside the WebSocket endpoint: liveness and readiness probes,
 * Prometheus metrics, and the figures the dashboard polls.
 *
 * <pre>
 * (every path answers HEAD as it answers GET, without the body; any other method 405)
 * GET /health/live    200 {"status":"UP"} while the process serves HTTP
 * GET /health/ready   200 {"status":"UP"} once the node joined its cluster and its maps answer,
 *                     503 {"status":"DOWN"} before that and while it stops; "details" tell
 *                     the state of parts that degrade without stopping the node (the JWKS)
 * GET /metrics        phoenix_* meters, Vert.x and JVM meters: OpenMetrics text 1.0.0 when the
 *                     Accept header prefers application/openmetrics-text, else Prometheus text
 *                     0.0.4
 * GET /api/stats      this node's figures as JSON
 * GET /api/cluster    every member's figures ({@link ClusterStats})
 * GET /api/info       what the page needs to connect: node id, WebSocket path, dev tokens on/off
 * GET /api/dev-token  a token for ?eid=, only with auth.devTokens ({@link DevTokens})
 * GET /               the dashboard and chat page (classpath webroot/: web/src as it is, and
 *                     phoenix.proto, which the page parses)
 * GET /webjars/...    protobufjs for the page, from its WebJar
 * </pre>
 *
 * <p>One router per HTTP verticle instance; handlers run on that instance's event loop.
 */
public final class AdminRoutes {
  private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
  private AdminRoutes() {}

  /** What the routes need of the node. */
  public interface NodeView {
    String nodeId();

    /** Succeeds with true once the cluster and its maps answer; never blocks. */
    Future<Boolean> ready();

    NodeMetrics metrics();

    int clusterMembers();

    /** The {@code node.id} of every cluster member, this node included; never blocks. */
    List<String> clusterNodeIds();

    PhoenixConfig config();

    /** Parts that degrade without making the node unready, e.g. {@code {"jwks": {...}}}. */
    default JsonObject readyDetails() {
      return new JsonObject();
    }

    /**
     * The store's figures for the dashboard, gathered without blocking: {@code type}
     * (memory, embedded, postgresql) and {@code acceptAfter}; then, once the store runs,
     * counters since the start ({@code committed} messages, {@code commits}, {@code loaded}
     * and {@code evicted} streams), {@code meanBatch} (messages per commit since the start),
     * {@code commitP99Millis} (recent), {@code commitLatency} ({@code boundsMillis}, and
     * {@code counts}: commits per bucket since the start, one more than bounds, the last one
     * above the last bound), {@code diskBytes} (as last measured, -1 unknown or none), and
     * {@code healthy} (whether it takes new messages).
     */
    default JsonObject storeStats() {
      return new JsonObject();
    }
  }

  /** Classpath folder of the page: web/src and phoenix.proto, copied there by the build. */
  public static final String WEBROOT = "webroot";
  /** The file StaticHandler answers a folder's path with (its default index page). */
  static final String INDEX_PAGE = "index.html";
  /** Classpath folder of WebJars (the page's protobufjs), served under {@link #WEBJARS_PATH}. */
  public static final String WEBJARS = "META-INF/resources/webjars";
  /** Path prefix of the WebJars' files: {@code /webjars/NAME/VERSION/FILE}. */
  public static final String WEBJARS_PATH = "/webjars/";
  /** Content-Type of the Prometheus text format, the answer of /metrics by default. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  /** Content-Type of OpenMetrics text, the answer of /metrics to a scraper that asks for it. */
  static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; "
      + "charset=utf-8";

  public static Router create(Vertx vertx, NodeView node, PrometheusMeterRegistry registry) {
    Router router = Router.router(vertx);
    // Every answer: a browser takes its content type as sent (nosniff), and no other site may
    // show the dashboard inside a frame of its own (clickjacking)
    router.route().method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
      ctx.response().headers().set("x-content-type-options", "nosniff")
          .set("x-frame-options", "DENY")
          .set("content-security-policy", "frame-ancestors 'none'");
      if (ctx.request().method() == HttpMethod.HEAD) {
        ctx.addHeadersEndHandler(v -> headAsGet(ctx));
      }
      ctx.next();
    });
    get(router, "/health/live").handler(ctx -> json(ctx.response(), 200,
        new JsonObject().put("status", "UP")));
    get(router, "/health/ready").handler(ctx -> answerLater(node.ready(), ar -> {
      boolean up = ar.succeeded() && ar.result();
      JsonObject body = new JsonObject().put("status", up ? "UP" : "DOWN");
      JsonObject details = node.readyDetails();
      if (!details.isEmpty()) {
        body.put("details", details);
      }
      json(ctx.response(), up ? 200 : 503, body);
    }));
    get(router, "/metrics").handler(ctx -> metrics(ctx, registry));
    get(router, "/api/stats").handler(ctx -> json(ctx.response(), 200, stats(node)));
    get(router, "/api/cluster").handler(ctx -> answerLater(ClusterStats.gather(vertx, node),
        ar -> json(ctx.response(), ar.succeeded() ? 200 : 503, ar.succeeded() ? ar.result()
            : new JsonObject().put("error", String.valueOf(ar.cause().getMessage())))));
    get(router, "/api/info").handler(ctx -> json(ctx.response(), 200, new JsonObject()
        .put("node", node.nodeId())
        .put("webSocketPath", node.config().http().webSocketPath())
        .put("devTokens", node.config().auth().devTokens())));
    get(router, "/api/dev-token").handler(new DevTokens(vertx, node.config().auth()));
    // Library files have their version in the path and may be cached (StaticHandler's default).
    get(router, WEBJARS_PATH + "*").handler(StaticHandler.create(WEBJARS));
    // The page's own files keep their names across versions: revalidated on every load.
    router.route().method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
      ctx.addHeadersEndHandler(v -> ctx.response().headers().set("cache-control", "no-cache"));
      ctx.next();
    });
    router.route().method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(StaticHandler.create(WEBROOT));
    // A request the router cannot take (400: a path that does not decode) or a handler that
    // failed (500): Vert.x answers with the status after these; without them it logs an ERROR
    // with a stack trace for every such request.
    router.errorHandler(400, ctx -> log.debug("HTTP {} {}: 400 ({})", ctx.request().method(),
        ctx.request().path(), String.valueOf(ctx.failure())));
    router.errorHandler(500, ctx -> log.warn("HTTP {} {} failed: {}", ctx.request().method(),
        ctx.request().path(), String.valueOf(ctx.failure())));
    return router;
  }

  /**
   * A route for GET and HEAD of {@code path}: a server answers HEAD wherever it answers GET
   * (RFC 9110), with the same head and no body (Vert.x leaves the body out), so that a monitor
   * that checks with HEAD sees the probes as they are.
   */
  private static Route get(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  /**
   * The content type a HEAD answer lacks where GET has one (RFC 9110 9.3.2: the same header
   * fields): Vert.x's StaticHandler sets it only when it sends a file, and its error pages only
   * with their body. A file's type is the one StaticHandler gives it on GET (a text type with
   * its charset, bytes for a name it does not know); an error page's is Vert.x's HTML page.
   */
  private static void headAsGet(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    if (response.headers().contains("content-type")) {
      return;
    }
    if (response.getStatusCode() >= 400) {
      response.putHeader("content-type", "text/html; charset=utf-8");
      return;
    }
    if (response.getStatusCode() != 200) {
      return;
    }
    String path = ctx.normalizedPath();
    String type = MimeMapping.mimeTypeForFilename(path.endsWith("/") ? INDEX_PAGE : path);
    response.putHeader("content-type", type == null ? "application/octet-stream"
        : type.startsWith("text") ? type + ";charset=UTF-8" : type);
  }

  /**
   * Runs {@code answer} once {@code result} completes, on the event loop of the request: the
   * HTTP server runs in strict thread mode, where a response may only be written from there
   * (a result may complete on a Hazelcast or timer thread).
   */
  private static <T> void answerLater(Future<T> result, Handler<AsyncResult<T>> answer) {
    Context loop = Vertx.currentContext();
    result.onComplete(ar -> {
      if (Vertx.currentContext() == loop && Context.isOnEventLoopThread()) {
        answer.handle(ar);
      } else {
        loop.runOnContext(v -> answer.handle(ar));
      }
    });
  }

  /** Answers a scrape in the format its Accept header asks for (see {@link #OPENMETRICS_TEXT}). */
  private static void metrics(RoutingContext ctx, PrometheusMeterRegistry registry) {
    String type = acceptsOpenMetrics(ctx.request().getHeader("accept"))
        ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
    Buffer text = Buffer.buffer(registry.scrape(type));
    ctx.response().putHeader("content-type", type).putHeader("vary", "accept")
        .putHeader("content-length", String.valueOf(text.length())).end(text);
  }

  /**
   * Whether an Accept header asks for {@code application/openmetrics-text}: listed with a
   * quality above 0 and not below that of {@code text/plain} (equal: OpenMetrics, as
   * Prometheus's own clients choose).
   */
  static boolean acceptsOpenMetrics(String accept) {
    if (accept == null) {
      return false;
    }
    double open = -1;
    double text = -1;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      boolean isOpen = type.equals("application/openmetrics-text");
      if (!isOpen && !type.equals("text/plain")) {
        continue;
      }
      double q = 1;
      for (int i = 1; i < parts.length; i++) {
        String param = parts[i].trim().toLowerCase(Locale.ROOT);
        if (param.startsWith("q=")) {
          try {
            q = Double.parseDouble(param.substring(2));
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (isOpen) {
        open = Math.max(open, q);
      } else {
        text = Math.max(text, q);
      }
    }
    return open > 0 && open >= text;
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
        .put("clusterMembers", node.clusterMembers())
        .put("store", node.storeStats());
  }

  static void json(HttpServerResponse response, int status, JsonObject body) {
    if (response.ended()) {
      return; // answered meanwhile: 400 for a body that did not decode (UndecodableBody)
    }
    // the length set here, not left to Vert.x, so that a HEAD answer carries it too
    Buffer encoded = body.toBuffer();
    response.setStatusCode(status).putHeader("content-type", "application/json")
        .putHeader("cache-control", "no-store")
        .putHeader("content-length", String.valueOf(encoded.length())).end(encoded);
  }

  /** Supplies routers (one per HTTP verticle instance). */
  public static Supplier<Router> factory(Vertx vertx, NodeView node,
      PrometheusMeterRegistry registry) {
    return () -> create(vertx, node, registry);
  }
}

package io.phoenix.admin;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures of every cluster member, for the dashboard: each node answers requests at
 * {@code phoenix.stats.<node-id>} on the clustered event bus with its {@link AdminRoutes#stats}
 * JSON, and {@link #gather} asks every member named by the cluster membership, each with its
 * own short timeout, so a dead or slow member shows as unreachable instead of hanging the page.
 *
 * <pre>
 * GET /api/cluster →
 * {"node": "node-1", "time": 1700000000000,
 *  "members": [{"node": "node-1", "reachable": true, "connections": 2, "sessions": 2,
 *               "accepted": 10, "delivered": 9, "acceptedP99Millis": 1.2, ...,
 *               "store": {"type": "embedded", "committed": 10, "commits": 4, "meanBatch": 2.5,
 *                         "commitLatency": {"boundsMillis": [0.25, ...], "counts": [0, ...]},
 *                         "diskBytes": 81920, "loaded": 3, "evicted": 0, ...}},
 *              {"node": "node-2", "reachable": false, "error": "no answer within 1000 ms"}]}
 * </pre>
 *
 * <p>Thread-safe; {@link #serve} once per node, {@link #gather} from any Vert.x context.
 */
public final class ClusterStats {
  private static final String PREFIX = "phoenix.stats.";
  /** How long one member has to answer a stats request. */
  public static final long MEMBER_TIMEOUT_MS = 1000;

  private ClusterStats() {}

  /** The event-bus address where a node answers stats requests. */
  public static String address(String nodeId) {
    return PREFIX + nodeId;
  }

  /**
   * Starts answering stats requests for {@code node}; completes once the registration is
   * cluster-wide. The consumer lives as long as the Vert.x instance.
   */
  public static Future<Void> serve(Vertx vertx, AdminRoutes.NodeView node) {
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address(node.nodeId()),
        msg -> msg.reply(AdminRoutes.stats(node)));
    return consumer.completion();
  }

  /** Every member's figures, sorted by node id; never fails. */
  public static Future<JsonObject> gather(Vertx vertx, AdminRoutes.NodeView node) {
    List<String> ids = new ArrayList<>(node.clusterNodeIds());
    if (!ids.contains(node.nodeId())) {
      ids.add(node.nodeId());
    }
    ids.sort(null);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(MEMBER_TIMEOUT_MS);
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (String id : ids) {
      Future<JsonObject> answer = id.equals(node.nodeId())
          ? Future.succeededFuture(AdminRoutes.stats(node))
          : vertx.eventBus().<JsonObject>request(address(id), "", options)
              .map(reply -> reply.body().copy());
      answers.add(answer
          .map(stats -> stats.put("reachable", true))
          .otherwise(e -> new JsonObject().put("node", id).put("reachable", false)
              .put("error", reason(e))));
    }
    return Future.join(answers).transform(ar -> {
      JsonArray members = new JsonArray();
      answers.forEach(a -> members.add(a.result()));
      return Future.succeededFuture(new JsonObject()
          .put("node", node.nodeId())
          .put("time", System.currentTimeMillis())
          .put("members", members));
    });
  }

  private static String reason(Throwable e) {
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return text.contains("Timed out") ? "no answer within " + MEMBER_TIMEOUT_MS + " ms" : text;
  }
}

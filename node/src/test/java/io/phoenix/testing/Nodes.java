package io.phoenix.testing;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The in-process nodes of a test class and the Vert.x instance its clients use, closed after
 * the class whatever happened: the clients' Vert.x first (so that their connections are gone
 * before the nodes stop), then each node, the last started first, including those started
 * before a {@code @BeforeAll} failed. Register it on a static field
 * ({@code @RegisterExtension static final Nodes nodes = new Nodes();}) and start the nodes
 * through it.
 */
public final class Nodes implements AfterAllCallback {
  private final List<TestNode> started = new ArrayList<>();
  private Vertx vertx;

  /** A node on {@link TestNode#config()}. */
  public TestNode start() {
    return start(TestNode.config());
  }

  /** A node on {@code config}, closed after the class. */
  public synchronized TestNode start(JsonObject config) {
    TestNode node = TestNode.start(config);
    started.add(node);
    return node;
  }

  /** The clients' Vert.x instance, made on first use and closed after the class. */
  public synchronized Vertx vertx() {
    if (vertx == null) {
      vertx = Vertx.vertx();
    }
    return vertx;
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) throws Exception {
    RuntimeException first = null;
    if (vertx != null) {
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        first = new IllegalStateException("the clients' Vert.x did not close", e);
      }
      vertx = null;
    }
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    started.clear();
    if (first != null) {
      throw first;
    }
  }
}

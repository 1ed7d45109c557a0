package io.phoenix.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test of node processes sets up and tears down, for each test method: it needs the
 * built jar (skipped without it), has one Vert.x instance for its clients, and every node
 * process it started is closed after it, whatever happened (the clients' Vert.x first, so that
 * their connections are gone before the nodes stop). Register it on an instance field
 * ({@code @RegisterExtension final NodeProcesses processes = new NodeProcesses();}); fields
 * initialised after it may take {@link #vertx()} and {@link #started()}. A failover test starts
 * its {@link FailoverTraffic} through {@link #traffic}, which is closed after the test too.
 */
public final class NodeProcesses implements BeforeEachCallback, AfterEachCallback {
  private final Vertx vertx = Vertx.vertx();
  private final List<NodeProcess> started = new ArrayList<>();
  private FailoverTraffic traffic;

  /** The clients' Vert.x instance, closed after the test. */
  public Vertx vertx() {
    return vertx;
  }

  /**
   * The processes closed after the test: the test adds each it starts (and may read them back
   * in order).
   */
  public List<NodeProcess> started() {
    return started;
  }

  /** A {@link FailoverTraffic} run over {@code nodes} node processes, closed after the test. */
  public FailoverTraffic traffic(Path dir, int nodes, FailoverTraffic.Shape shape) {
    traffic = new FailoverTraffic(dir, nodes, shape);
    return traffic;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    try {
      if (traffic != null) {
        traffic.close();
      }
    } catch (Exception e) {
      first = e;
    }
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      first = first == null ? e : first;
    }
    for (NodeProcess n : started) {
      try {
        n.close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}

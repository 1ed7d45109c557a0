package io.phoenix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two node processes whose own clocks disagree: the second runs 30 s behind the first (the
 * system's libfaketime, Debian package {@code faketime}, which {@code .ci/run} installs; the
 * test is skipped without it). A device that connects to the first node and, a moment later,
 * to the second (a client failing over) keeps the second, newer session: the first gets
 * {@code Goodbye{409}}, the second is pushed to. Ordered by each node's own clock, the second
 * session looked 30 s older and was the one refused with 409, which a client takes as final.
 */
class SkewedClocksIT {
  /** Where Debian's faketime package puts the library; {@code $LIBFAKETIME} overrides it. */
  private static final Path LIBFAKETIME = Path.of(System.getenv().getOrDefault("LIBFAKETIME",
      "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"));

  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();
  private final List<NodeProcess> nodes = processes.started();
  private final Vertx vertx = processes.vertx();

  @Test
  void aDeviceThatMovesToANodeWhoseClockIsBehindKeepsItsNewSession() throws Exception {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
    assumeTrue(Files.isReadable(LIBFAKETIME), "no libfaketime at " + LIBFAKETIME
        + " (Debian: apt-get install faketime)");
    List<JsonObject> configs = TestNode.clusterConfigs(2);
    nodes.add(NodeProcess.start(dir, configs.get(0)));
    // the wall clock only: timers and timeouts (the monotonic clock) run as usual. Without
    // FAKETIME_FORCE_MONOTONIC_FIX=0, libfaketime's handling of timed waits left the JVM
    // burning both cores: the node took a minute and 60 CPU-seconds to start, not 3 and 4
    nodes.add(NodeProcess.start(dir, configs.get(1), Map.of("LD_PRELOAD", LIBFAKETIME.toString(),
        "FAKETIME", "-30", "DONT_FAKE_MONOTONIC", "1", "FAKETIME_FORCE_MONOTONIC_FIX", "0")));

    try (TestClient first = TestClient.login(vertx, Transport.TCP, nodes.get(0), "alice", "phone");
         TestClient second = TestClient.login(vertx, Transport.TCP, nodes.get(1), "alice",
             "phone");
         TestClient bob = TestClient.login(vertx, Transport.TCP, nodes.get(0), "bob", "phone")) {
      // the second node's wall clock is really behind (else this is a plain replacement)
      long skew = first.welcome().getServerTime() - second.welcome().getServerTime();
      assertTrue(skew > 25_000 && skew < 35_000, "node 2's clock is not 30 s behind node 1's: "
          + skew + " ms apart");
      assertEquals(409, first.expectGoodbye().getStatusCode(), "the older session is replaced");
      Message m = TestClient.message("after-the-move", "alice").build();
      assertEquals(200, bob.sendAndAwaitAccepted(m).getStatusCode());
      Frame f = second.next(Duration.ofSeconds(10));
      assertEquals(Frame.BodyCase.MESSAGE, f.getBodyCase(), "the newer session stays: " + f);
      assertEquals("after-the-move", f.getMessage().getMessageId());
    }
  }
}

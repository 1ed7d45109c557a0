package io.phoenix.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code phoenix bench} against a node on the IPv6 loopback, {@code ::1}: it connects to it and
 * reads its /metrics whether the address is given as {@code [::1]:PORT}, as a
 * {@code ws://[::1]:PORT/PATH} endpoint or as {@code --metrics http://[::1]:PORT}, and writes
 * the address back with its brackets. Skipped where this machine has no IPv6 loopback.
 */
class BenchIpv6Test {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;

  @BeforeAll
  static void start() {
    assumeTrue(ipv6Loopback(), "no IPv6 loopback here");
    JsonObject config = TestNode.config();
    config.getJsonObject("tcp").put("host", "::1");
    config.getJsonObject("http").put("host", "::1");
    node = nodes.start(config);
  }

  private static boolean ipv6Loopback() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tcp server and metrics", "ws endpoint", "metrics url"})
  void idleRunsReadTheNodesMemoryOverIpv6(String how) {
    String tcp = "[::1]:" + node.tcpPort();
    String http = "[::1]:" + node.httpPort();
    List<String> where = switch (how) {
      case "tcp server and metrics" -> List.of("--server", tcp, "--metrics", http);
      case "ws endpoint" -> List.of("--server", "ws://" + http + "/socket");
      default -> List.of("--server", tcp, "--metrics", "http://" + http);
    };
    String[] args = Stream.concat(Stream.of("bench", "--token-secret",
        TestNode.SECRET, "--idle", "2", "--warmup", "0", "--duration", "1", "--json",
        "--quiet"), where.stream()).toArray(String[]::new);
    Map.Entry<Integer, String> r = BenchSmokeTest.bench(args);
    assertEquals(0, r.getKey(), r.getValue());
    List<String> rows = BenchSmokeTest.jsonLines(r.getValue());
    assertEquals(1, rows.size(), r.getValue());
    JsonObject s = new JsonObject(rows.get(0));
    assertEquals(2, s.getLong("sessions"), s::encode);
    assertEquals(0, s.getLong("failed"), s::encode);
    assertEquals(how.equals("ws endpoint") ? http : tcp,
        s.getJsonArray("servers").getString(0), s::encode);
    JsonObject n = s.getJsonObject("node");
    assertNotNull(n, s::encode);
    assertTrue(n.getDouble("heapAfter") > 0, n::encode);
  }

  /**
   * Without {@code --server}, a node configured on the IPv6 wildcard {@code ::} is dialled at
   * {@code ::1}, and its /metrics read there (the configured node's ports, here the test node's).
   */
  @Test
  void aNodeConfiguredOnTheWildcardIsDialledAtTheLoopback(@TempDir Path dir) throws IOException {
    JsonObject config = TestNode.config();
    config.getJsonObject("tcp").put("host", "::").put("port", node.tcpPort());
    config.getJsonObject("http").put("host", "::").put("port", node.httpPort());
    Path file = dir.resolve("node.json");
    Files.writeString(file, config.encodePrettily());
    Map.Entry<Integer, String> r = BenchSmokeTest.bench("bench", "--config", file.toString(),
        "--idle", "2", "--warmup", "0", "--duration", "1", "--json", "--quiet");
    assertEquals(0, r.getKey(), r.getValue());
    JsonObject s = new JsonObject(BenchSmokeTest.jsonLines(r.getValue()).get(0));
    assertEquals("[::1]:" + node.tcpPort(), s.getJsonArray("servers").getString(0), s::encode);
    assertEquals(2, s.getLong("sessions"), s::encode);
    assertTrue(s.getJsonObject("node").getDouble("heapAfter") > 0, s::encode);
  }

  /** The URL of /metrics puts an IPv6 host in brackets, however the address was given. */
  @Test
  void theMetricsUrlBracketsAnIpv6Host() {
    for (String given : List.of("[::1]:4000", "::1:4000")) {
      BenchOptions o = new BenchOptions().metrics(BenchOptions.Server.parse("--metrics", given));
      assertEquals("http://[::1]:4000/metrics", new NodeProbe(o, 0).uri().toString(), given);
    }
    assertEquals("::1", BenchOptions.Server.parse("--server", "[::1]:4100").host());
  }
}

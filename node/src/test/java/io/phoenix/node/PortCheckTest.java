package io.phoenix.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.phoenix.config.ConfigLoader;
import io.phoenix.config.PhoenixConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@link PortCheck}: what it finds before a node starts anything. */
class PortCheckTest {

  /** A node on 127.0.0.1 whose four ports are all 0 except the cluster port. */
  static PhoenixConfig config(String tcpHost, int tcpPort, int clusterPort) {
    return ConfigLoader.fromJson(new JsonObject()
        .put("auth", new JsonObject().put("jwtSecret", "a-test-secret-that-is-long-enough-0123"))
        .put("tcp", new JsonObject().put("host", tcpHost).put("port", tcpPort))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("cluster", new JsonObject().put("host", "127.0.0.1").put("port", clusterPort)
            .put("members", new JsonArray().add("127.0.0.1:" + clusterPort)))
        .put("storage", new JsonObject().put("type", "memory")));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void freePortsPass() throws IOException {
    assertNull(PortCheck.firstProblem(config("127.0.0.1", 0, freePort())));
  }

  @Test
  void aTakenPortIsNamedByItsKey() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      assertEquals("tcp.port " + port + " is already in use (on 127.0.0.1): stop what listens "
          + "there, or set another tcp.port",
          PortCheck.firstProblem(config("127.0.0.1", port, freePort())));
    }
  }

  /**
   * One port for two listeners is refused before anything starts when they would take the same
   * address (the same host, or one of them every address), and allowed on two addresses.
   */
  @Test
  void twoListenersOnOnePortAreRefusedOnlyWhereTheyOverlap() throws IOException {
    int port = freePort();
    assertEquals("cluster.port " + port + " is also tcp.port (on 127.0.0.1): give each its own "
        + "port", PortCheck.firstProblem(config("127.0.0.1", port, port)));
    assertEquals("cluster.port " + port + " is also tcp.port (on 0.0.0.0): give each its own "
        + "port", PortCheck.firstProblem(config("0.0.0.0", port, port)));
    // 127.0.0.2 is this machine's too (all of 127/8 is loopback), another address than the
    // cluster's 127.0.0.1
    assertNull(PortCheck.firstProblem(config("127.0.0.2", port, port)));
  }

  @Test
  void theHostOfAPortZeroListenerIsCheckedToo() throws IOException {
    // port 0 used to skip the check: the node joined its cluster, failed to bind, and then
    // blamed its own cluster port
    assertEquals("tcp.host 192.0.2.1 is not an address of this machine: cannot bind tcp.port 0",
        PortCheck.firstProblem(config("192.0.2.1", 0, freePort())));
  }
}

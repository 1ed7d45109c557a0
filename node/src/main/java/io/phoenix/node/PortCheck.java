package io.phoenix.node;

import io.phoenix.config.PhoenixConfig;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks, before a node starts anything, that each port it is configured to listen on can be
 * bound: {@code tcp.port}, {@code http.port}, {@code cluster.port} and
 * {@code cluster.eventBusPort} (for 0, "any free port", a free port is bound, which checks the
 * host the listener binds: a host name that does not resolve, or an address that is not this
 * machine's, fails then, not after the node has joined its cluster). A port that is taken is
 * reported as one line naming its key ({@code tcp.port 4100 is already in use}) instead of the
 * traces of whichever library fails to bind it later (Hazelcast prints dozens of lines). The
 * check binds with SO_REUSEADDR, as the node does, so a port left in TIME_WAIT by a node that
 * just stopped is not mistaken for a taken one.
 *
 * <p>Stateless; call from any thread that may block (it opens and closes sockets).
 */
public final class PortCheck {
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9a-fA-F:]+");

  private record Listener(String key, String hostKey, String host, int port) {}

  private PortCheck() {}

  /** The first configured port that cannot be bound, as one line; null when all can. */
  public static String firstProblem(PhoenixConfig c) {
    List<Listener> listeners = new ArrayList<>(List.of(
        new Listener("tcp.port", "tcp.host", c.tcp().host(), c.tcp().port()),
        new Listener("http.port", "http.host", c.http().host(), c.http().port()),
        // Hazelcast binds the cluster host only when it is an IP literal, else every address
        new Listener("cluster.port", "cluster.host", clusterBindHost(c.cluster().host()),
            c.cluster().port()),
        new Listener("cluster.eventBusPort", "cluster.host", c.cluster().host(),
            c.cluster().eventBusPort())));
    for (int i = 0; i < listeners.size(); i++) {
      for (int j = 0; j < i; j++) {
        Listener a = listeners.get(j);
        Listener b = listeners.get(i);
        if (a.port() != 0 && a.port() == b.port() && overlap(a.host(), b.host())) {
          return b.key() + " " + b.port() + " is also " + a.key() + " (on " + a.host()
              + "): give each its own port";
        }
      }
    }
    for (Listener l : listeners) {
      String problem = problem(l);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String problem(Listener l) {
    InetAddress address;
    try {
      address = l.host().isEmpty() ? null : InetAddress.getByName(l.host());
    } catch (UnknownHostException e) {
      return l.hostKey() + " " + l.host() + " is not a known host name: cannot bind " + l.key()
          + " " + l.port();
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(address, l.port()));
      return null;
    } catch (BindException e) {
      String why = String.valueOf(e.getMessage());
      if (why.contains("in use")) {
        return l.key() + " " + l.port() + " is already in use (on " + l.host()
            + "): stop what listens there, or set another " + l.key();
      }
      if (why.contains("assign")) {
        return l.hostKey() + " " + l.host() + " is not an address of this machine: cannot bind "
            + l.key() + " " + l.port();
      }
      return l.key() + " " + l.port() + " cannot be bound on " + l.host() + ": " + why;
    } catch (IOException | SecurityException e) {
      return l.key() + " " + l.port() + " cannot be bound on " + l.host() + ": " + e.getMessage();
    }
  }

  /**
   * Whether listeners on hosts {@code a} and {@code b} would take the same port: the same
   * address, or either every address (0.0.0.0, ::). Two addresses of one machine may each have
   * a listener on the same port. A host that does not resolve is reported by {@link #problem}.
   */
  private static boolean overlap(String a, String b) {
    if (a.equals(b)) {
      return true;
    }
    try {
      InetAddress x = InetAddress.getByName(a.isEmpty() ? "0.0.0.0" : a);
      InetAddress y = InetAddress.getByName(b.isEmpty() ? "0.0.0.0" : b);
      return x.isAnyLocalAddress() || y.isAnyLocalAddress() || x.equals(y);
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String clusterBindHost(String host) {
    return IP_LITERAL.matcher(host).matches() ? host : "0.0.0.0";
  }
}

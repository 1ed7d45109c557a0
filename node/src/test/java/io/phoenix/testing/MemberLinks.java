package io.phoenix.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The membership links of a cluster of node processes, through relays the test controls, so
 * that it can split the network between members: each member binds an address of its own on
 * loopback ({@code 127.0.0.11}, {@code .12}, ...) and advertises a relay on that address,
 * which forwards to its real membership port. A member binds the connections it opens to its
 * address too (the node turns Hazelcast's {@code socket.bind.any} off for an IP address, and
 * the connections it opens follow it), so a relay knows which member calls it (and serves no
 * other caller).
 *
 * <p>A split ({@link #split}) stops the relays forwarding between the two sides, in both
 * directions: on the connections open, the bytes wait, as TCP keeps retransmitting through a
 * network that drops every packet, and the members hear nothing from each other until {@link
 * #heal}, when whatever waited goes on, in order, unless the member closed that connection
 * meanwhile; a new connection across the split is closed at once, as one that cannot
 * connect. Within a side, and to the clients, PostgreSQL and the
 * event bus, nothing changes.
 */
public final class MemberLinks implements Partition {
  private final int members;
  private final int[] relayPorts;
  private final int[] memberPorts;
  private final List<ServerSocket> relays = new ArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  /** Each member's side: links between members of different sides wait. */
  private final boolean[] apart;
  private volatile boolean closed;

  /**
   * Rewrites {@code configs} (as {@link TestNode#clusterConfigs} made them) so that member
   * {@code i} binds {@link #host(int)} and joins through the relays, and starts the relays.
   */
  public MemberLinks(List<JsonObject> configs) throws IOException {
    members = configs.size();
    relayPorts = new int[members];
    memberPorts = new int[members];
    apart = new boolean[members];
    JsonArray list = new JsonArray();
    for (int i = 0; i < members; i++) {
      relayPorts[i] = TestNode.freePort();
      list.add(host(i) + ":" + relayPorts[i]);
    }
    for (int i = 0; i < members; i++) {
      JsonObject cluster = configs.get(i).getJsonObject("cluster");
      memberPorts[i] = cluster.getInteger("port");
      cluster.put("host", host(i)).put("members", list);
    }
    for (int i = 0; i < members; i++) {
      ServerSocket relay = new ServerSocket();
      relay.setReuseAddress(true);
      relay.bind(new InetSocketAddress(host(i), relayPorts[i]));
      relays.add(relay);
      int to = i;
      daemon("relay-" + (i + 1), () -> accept(relay, to));
    }
  }

  /**
   * Whether this machine binds {@code address} (Linux binds every address of 127.0.0.0/8;
   * macOS only those given to {@code lo0} as aliases).
   */
  public static boolean bindable(String address) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(address, 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The loopback address member {@code i} binds. */
  public static String host(int i) {
    return "127.0.0." + (11 + i);
  }

  /** The JVM options of member {@code i}: it advertises its relay. */
  private List<String> jvm(int i) {
    return List.of("-Xmx512m", "-XX:+UseSerialGC",
        "-Dhazelcast.local.publicAddress=" + host(i) + ":" + relayPorts[i]);
  }

  @Override
  public FailoverTraffic.Launch launch(int i) {
    return (dir, config) -> NodeProcess.start(dir, config, Map.of(), jvm(i));
  }

  @Override
  public synchronized void split(Set<Integer> side) {
    for (int i = 0; i < members; i++) {
      apart[i] = side.contains(i);
    }
  }

  @Override
  public synchronized void heal() {
    Arrays.fill(apart, false);
    notifyAll();
  }

  private synchronized boolean cut(int a, int b) {
    return apart[a] != apart[b];
  }

  /** Waits while the link between {@code a} and {@code b} is cut. */
  private synchronized void awaitLink(int a, int b) throws InterruptedException {
    while (!closed && cut(a, b)) {
      wait(200);
    }
  }

  private void accept(ServerSocket relay, int to) {
    while (!closed) {
      try {
        Socket in = relay.accept();
        int from = member(in.getInetAddress());
        if (from < 0) { // not bound to a member's address: its side is unknown
          close(in);
          continue;
        }
        sockets.add(in);
        daemon("link-" + (from + 1) + "-" + (to + 1), () -> connect(in, from, to));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** The member whose address this is, or -1. */
  private int member(InetAddress address) {
    for (int i = 0; i < members; i++) {
      if (address.getHostAddress().equals(host(i))) {
        return i;
      }
    }
    return -1;
  }

  private void connect(Socket in, int from, int to) {
    if (cut(from, to)) {
      // A new connection across a split fails, as one whose first packets go unanswered
      // does. Held open instead, it looked to Hazelcast like a member there but silent (a
      // paused one): with the master split off, the two others then split from each other
      // too and did not merge for 40 s, which a split made with netfilter rules did not do.
      close(in);
      return;
    }
    try {
      Socket out = new Socket(host(to), memberPorts[to]);
      sockets.add(out);
      daemon("pump-" + (from + 1) + "-" + (to + 1), () -> pump(in, out, from, to));
      pump(out, in, from, to);
    } catch (IOException e) {
      close(in);
    }
  }

  /** Copies {@code a} to {@code b}, holding the bytes while the link is cut. */
  private void pump(Socket a, Socket b, int from, int to) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = a.getInputStream(); OutputStream out = b.getOutputStream()) {
      while (true) {
        awaitLink(from, to);
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        awaitLink(from, to);
        out.write(buffer, 0, n);
      }
    } catch (IOException | InterruptedException e) {
      // one side closed
    } finally {
      close(a);
      close(b);
    }
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closed already
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      notifyAll();
    }
    for (ServerSocket s : relays) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closed already
      }
    }
    sockets.forEach(MemberLinks::close);
  }
}

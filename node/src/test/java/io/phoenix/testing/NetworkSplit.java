package io.phoenix.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A network split made by the kernel: netfilter rules drop the packets between the two sides,
 * so every link between them goes (Hazelcast's, the event bus's, any other), where
 * {@link MemberLinks} cuts the membership links only. On loopback the packets of every member
 * travel the same interface, and what tells the sides apart is who sends them: each member
 * binds an address of its own ({@link #host}: {@code 127.0.0.21}, {@code .22}, ...), and the
 * member split off runs as another user ({@code nobody}, through {@code setpriv}). A split
 * drops that user's packets to the other members' addresses, and everyone else's to its
 * address; the clients, PostgreSQL and the test reach every node on {@code 127.0.0.1} as
 * before.
 *
 * <p>It needs Linux, root, {@code iptables} with the owner and comment matches, {@code
 * setpriv}, and a JVM that {@code nobody} can run: {@link #unavailable} says what is missing,
 * and a test without it is skipped, as the browser tests are without Chromium. Every rule
 * carries the comment {@value #TAG}; rules a killed run left behind are removed before a split.
 */
public final class NetworkSplit implements Partition {
  /** The user the member split off runs as. */
  private static final int NOBODY = 65534;
  private static final String TAG = "phoenix-test-split";
  private static String unavailable;
  private static boolean probed;

  private final int members;
  private final int apart;
  private final Path jar;
  private final List<List<String>> rules = new ArrayList<>();
  private boolean split;

  /**
   * Rewrites {@code configs} (as {@link TestNode#clusterConfigs} made them) so that member
   * {@code i} binds {@link #host(int)}; member {@code apart}, the one a split cuts off, will
   * run as {@code nobody} from a copy of the jar in {@code dir} (made readable to everyone).
   */
  public NetworkSplit(List<JsonObject> configs, int apart, Path dir) throws IOException {
    this.members = configs.size();
    this.apart = apart;
    JsonArray list = new JsonArray();
    for (int i = 0; i < members; i++) {
      list.add(host(i) + ":" + configs.get(i).getJsonObject("cluster").getInteger("port"));
    }
    for (int i = 0; i < members; i++) {
      configs.get(i).getJsonObject("cluster").put("host", host(i)).put("members", list);
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    jar = Files.copy(NodeProcess.JAR, dir.resolve("phoenix.jar"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
  }

  /** The loopback address member {@code i} binds. */
  public static String host(int i) {
    return "127.0.0." + (21 + i);
  }

  /**
   * Why this machine cannot make such a split, or null if it can: checked once, by trying (a
   * rule that drops this process's connection to a port of its own must make it time out).
   */
  public static synchronized String unavailable() {
    if (!probed) {
      probed = true;
      unavailable = probe();
    }
    return unavailable;
  }

  private static String probe() {
    if (!System.getProperty("os.name").startsWith("Linux")) {
      return "netfilter is Linux's";
    }
    int uid;
    try {
      uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | RuntimeException e) {
      return "the user id of this process is unknown: " + e;
    }
    if (uid != 0) {
      return "netfilter rules need root";
    }
    String asNobody = run(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
        "--clear-groups", "--", NodeProcess.java(), "-version"));
    if (asNobody != null) {
      return "no JVM runs as nobody through setpriv: " + asNobody;
    }
    removeLeftRules();
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(host(0), 0));
      List<String> rule = List.of("-o", "lo", "-d", host(0), "-p", "tcp", "--dport",
          Integer.toString(server.getLocalPort()), "-m", "owner", "--uid-owner", "0");
      String inserted = iptables("-I", rule);
      if (inserted != null) {
        return "iptables cannot insert a rule with the owner and comment matches: " + inserted;
      }
      try (Socket s = new Socket()) {
        s.connect(server.getLocalSocketAddress(), 1_500);
        return "a netfilter rule did not drop a connection on loopback";
      } catch (SocketTimeoutException dropped) {
        return null; // the rule took effect
      } finally {
        iptables("-D", rule);
      }
    } catch (IOException e) {
      return "cannot probe netfilter on " + host(0) + ": " + e;
    }
  }

  @Override
  public FailoverTraffic.Launch launch(int i) {
    if (i != apart) {
      return (dir, config) -> NodeProcess.start(dir, config, Map.of(), List.of());
    }
    return (dir, config) -> {
      NodeProcess node = NodeProcess.startThrough(List.of("setpriv", "--reuid=" + NOBODY,
          "--regid=" + NOBODY, "--clear-groups", "--"), jar, dir, config,
          List.of("-Xmx512m", "-XX:+UseSerialGC"));
      int uid = (Integer) Files.getAttribute(Path.of("/proc/" + node.pid()), "unix:uid");
      if (uid != NOBODY) { // its packets would not be told apart
        node.kill();
        throw new IllegalStateException("member " + (i + 1) + " runs as user " + uid);
      }
      return node;
    };
  }

  /** Splits member {@code apart} (the only side this split can make) from the others. */
  @Override
  public synchronized void split(Set<Integer> side) {
    if (!side.equals(Set.of(apart))) {
      throw new IllegalArgumentException("this split cuts off member " + apart + " only");
    }
    removeLeftRules();
    rules.clear();
    for (int i = 0; i < members; i++) {
      if (i != apart) { // its packets to the others
        rules.add(List.of("-o", "lo", "-d", host(i), "-m", "owner", "--uid-owner",
            Integer.toString(NOBODY)));
      }
    }
    // everyone else's to it
    rules.add(List.of("-o", "lo", "-d", host(apart), "-m", "owner", "!", "--uid-owner",
        Integer.toString(NOBODY)));
    split = true;
    for (List<String> rule : rules) {
      String failed = iptables("-I", rule);
      if (failed != null) {
        heal();
        throw new IllegalStateException("iptables: " + failed);
      }
    }
  }

  @Override
  public synchronized void heal() {
    if (split) {
      split = false;
      for (List<String> rule : rules) {
        iptables("-D", rule);
      }
    }
    removeLeftRules();
  }

  @Override
  public void close() {
    heal();
  }

  /** Runs iptables on OUTPUT with {@code rule}, tagged and dropping; null, or what failed. */
  private static String iptables(String op, List<String> rule) {
    List<String> command = new ArrayList<>(List.of("iptables", "-w", "10", op, "OUTPUT"));
    command.addAll(rule);
    command.addAll(List.of("-m", "comment", "--comment", TAG, "-j", "DROP"));
    return run(command);
  }

  /** Deletes every rule tagged {@value #TAG}, such as those of a run that was killed. */
  private static void removeLeftRules() {
    List<String> listed = new ArrayList<>();
    if (run(List.of("iptables", "-w", "10", "-S", "OUTPUT"), listed) != null) {
      return;
    }
    for (String line : listed) {
      if (line.startsWith("-A OUTPUT ") && line.contains(TAG)) {
        List<String> command = new ArrayList<>(List.of("iptables", "-w", "10", "-D"));
        command.addAll(List.of(line.substring(3).replace("\"", "").trim().split(" +")));
        run(command);
      }
    }
  }

  private static String run(List<String> command) {
    return run(command, new ArrayList<>());
  }

  /** Runs {@code command}, its output in {@code lines}; null, or why it failed. */
  private static String run(List<String> command, List<String> lines) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return String.join(" ", command) + " did not end";
      }
      lines.addAll(out.lines().toList());
      return p.exitValue() == 0 ? null
          : String.join(" ", command) + " exited with " + p.exitValue() + ": " + out.strip();
    } catch (IOException e) {
      return String.join(" ", command) + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return String.join(" ", command) + ": interrupted";
    }
  }
}

package io.phoenix.config;

import java.util.List;

/**
 * Cluster membership and the clustered event bus (config group {@code cluster}).
 *
 * <p>Threading: immutable record (the member list is an unmodifiable copy); safe to share between
 * threads and verticles.
 *
 * @param name cluster name, 1 to 64 characters of {@code [A-Za-z0-9._-]}
 * @param host address this member binds and advertises, non-empty
 * @param port membership port, 1 to 65535
 * @param members known members to join, non-empty, each {@code host:port} (IPv6 as
 *     {@code [::1]:5701})
 * @param backupCount synchronous backups of clustered data, 0 to 6
 * @param eventBusPort clustered event-bus port, 0 to 65535; 0 picks any free port
 * @param memberTimeoutSeconds how long a silent member is still considered alive, 2 to 600
 * @param minimumMembers members that must be present for stream and directory operations;
 *     1 disables split-brain protection
 * @param kubernetesServiceDns headless service to discover members through DNS on Kubernetes;
 *     empty to join the listed {@code members}
 * @param tls whether the clustered event bus speaks TLS with mutual authentication (the
 *     certificate, key and CA of the {@code tls} group)
 */
public record ClusterOptions(String name, String host, int port, List<String> members,
    int backupCount, int eventBusPort, int memberTimeoutSeconds, int minimumMembers,
    String kubernetesServiceDns, boolean tls) {

  /** Default of {@code cluster.name}: {@value}. */
  public static final String DEFAULT_NAME = "phoenix";
  /** Default of {@code cluster.host}: {@value}. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default of {@code cluster.port}: {@value}. */
  public static final int DEFAULT_PORT = 5701;
  /** Default of {@code cluster.members}: this member alone, {@code ["127.0.0.1:5701"]}. */
  public static final List<String> DEFAULT_MEMBERS = List.of("127.0.0.1:5701");
  /** Default of {@code cluster.backupCount}: {@value}. */
  public static final int DEFAULT_BACKUP_COUNT = 1;
  /** Default of {@code cluster.eventBusPort}: {@value}, any free port. */
  public static final int DEFAULT_EVENT_BUS_PORT = 0;
  /** Default of {@code cluster.memberTimeoutSeconds}: {@value}. */
  public static final int DEFAULT_MEMBER_TIMEOUT_SECONDS = 10;

  /** Default of {@code cluster.minimumMembers}: {@value}, no split-brain protection. */
  public static final int DEFAULT_MINIMUM_MEMBERS = 1;
  /** Default of {@code cluster.kubernetesServiceDns}: empty, join the listed members. */
  public static final String DEFAULT_KUBERNETES_SERVICE_DNS = "";
  /** Default of {@code cluster.tls}: {@value}. */
  public static final boolean DEFAULT_TLS = false;

  /** @throws ConfigException if a value breaks the rules of {@link ConfigKey} */
  public ClusterOptions {
    ConfigKey.CLUSTER_NAME.checkString(name);
    ConfigKey.CLUSTER_HOST.checkString(host);
    ConfigKey.CLUSTER_PORT.checkInt(port);
    members = ConfigKey.CLUSTER_MEMBERS.checkList(members);
    ConfigKey.CLUSTER_BACKUP_COUNT.checkInt(backupCount);
    ConfigKey.CLUSTER_EVENT_BUS_PORT.checkInt(eventBusPort);
    ConfigKey.CLUSTER_MEMBER_TIMEOUT_SECONDS.checkInt(memberTimeoutSeconds);
    ConfigKey.CLUSTER_MINIMUM_MEMBERS.checkInt(minimumMembers);
    ConfigKey.CLUSTER_KUBERNETES_SERVICE_DNS.checkString(kubernetesServiceDns);
  }

  private static final java.util.Set<String> LOOPBACK =
      java.util.Set.of("127.0.0.1", "localhost", "[::1]", "::1");

  /**
   * How this configuration can bring other members: {@code "members lists <host:port>"} for a
   * listed member that is not this one, {@code "kubernetesServiceDns is set"} when discovery can
   * find some; null for a cluster of one.
   */
  public String otherMember() {
    if (!kubernetesServiceDns.isEmpty()) {
      return "kubernetesServiceDns is set";
    }
    for (String m : members) {
      int colon = m.lastIndexOf(':');
      String h = m.substring(0, colon);
      boolean self = m.substring(colon + 1).equals(Integer.toString(port))
          && (h.equals(host)
              || (LOOPBACK.contains(h) && (LOOPBACK.contains(host) || host.equals("0.0.0.0"))));
      if (!self) {
        return "members lists " + m;
      }
    }
    return null;
  }

  /** Options with a plaintext event bus. */
  public ClusterOptions(String name, String host, int port, List<String> members,
      int backupCount, int eventBusPort, int memberTimeoutSeconds, int minimumMembers,
      String kubernetesServiceDns) {
    this(name, host, port, members, backupCount, eventBusPort, memberTimeoutSeconds,
        minimumMembers, kubernetesServiceDns, DEFAULT_TLS);
  }

  /** @return the options with every default */
  public static ClusterOptions defaults() {
    return new ClusterOptions(DEFAULT_NAME, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MEMBERS,
        DEFAULT_BACKUP_COUNT, DEFAULT_EVENT_BUS_PORT, DEFAULT_MEMBER_TIMEOUT_SECONDS,
        DEFAULT_MINIMUM_MEMBERS, DEFAULT_KUBERNETES_SERVICE_DNS, DEFAULT_TLS);
  }
}

package io.phoenix.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The table of every configuration key: path, type, default, allowed values, description and the
 * accessor that reads it back from a {@link PhoenixConfig}. Defaults, environment-variable names,
 * validation, {@link PhoenixConfig#toJson(boolean)} and generated docs all come from this one
 * table, so they cannot drift apart.
 *
 * <p>Threading: enum constants are immutable and safe to use from any thread.
 */
public enum ConfigKey {
  NODE_ID("node", "id", NodeOptions.DEFAULT_ID, Rule.NAME,
      "Unique id of this node; part of its event-bus addresses.", c -> c.node().id()),

  TCP_HOST("tcp", "host", TcpOptions.DEFAULT_HOST, Rule.NOT_EMPTY,
      "Interface the TCP protocol listener binds.", c -> c.tcp().host()),
  TCP_PORT("tcp", "port", TcpOptions.DEFAULT_PORT, 0, 65535,
      "Port of the TCP protocol listener; 0 picks any free port.", c -> c.tcp().port()),

  HTTP_HOST("http", "host", HttpOptions.DEFAULT_HOST, Rule.NOT_EMPTY,
      "Interface the HTTP/WebSocket listener binds.", c -> c.http().host()),
  HTTP_PORT("http", "port", HttpOptions.DEFAULT_PORT, 0, 65535,
      "Port of the HTTP/WebSocket listener; 0 picks any free port.", c -> c.http().port()),
  HTTP_WEB_SOCKET_PATH("http", "webSocketPath", HttpOptions.DEFAULT_WEB_SOCKET_PATH, Rule.PATH,
      "Request path that upgrades to a WebSocket.", c -> c.http().webSocketPath()),
  HTTP_WEB_SOCKET_COMPRESSION("http", "webSocketCompression",
      HttpOptions.DEFAULT_WEB_SOCKET_COMPRESSION,
      "Whether a WebSocket client that offers permessage-deflate (browsers do) gets it; each "
          + "compressing session then holds about 100 KB of native memory.",
      c -> c.http().webSocketCompression()),

  AUTH_JWT_SECRET("auth", "jwtSecret", AuthOptions.DEFAULT_JWT_SECRET, Rule.SECRET_OR_EMPTY,
      "HMAC secret that signs and checks HS256 tokens, 32 bytes or more advised; empty: HS256 "
          + "tokens are refused (auth.publicKeyFile or auth.jwksUrl is then required).",
      c -> c.auth().jwtSecret()),
  AUTH_ISSUER("auth", "issuer", AuthOptions.DEFAULT_ISSUER, Rule.ANY,
      "Token issuer (iss) set and checked; empty means none.", c -> c.auth().issuer()),
  AUTH_TOKEN_TTL_SECONDS("auth", "tokenTtlSeconds", AuthOptions.DEFAULT_TOKEN_TTL_SECONDS, 1,
      31_536_000, "Lifetime of issued tokens in seconds.", c -> c.auth().tokenTtlSeconds()),
  AUTH_DEV_TOKENS("auth", "devTokens", AuthOptions.DEFAULT_DEV_TOKENS,
      "Whether the dashboard may sign in anyone without a password (development only).",
      c -> c.auth().devTokens()),
  AUTH_PUBLIC_KEY_FILE("auth", "publicKeyFile", AuthOptions.DEFAULT_PUBLIC_KEY_FILE, Rule.ANY,
      "PEM file with one or more public keys (RSA or EC P-256) that check RS256/ES256 tokens; "
          + "empty means none.", c -> c.auth().publicKeyFile()),
  AUTH_JWKS_URL("auth", "jwksUrl", AuthOptions.DEFAULT_JWKS_URL, Rule.ANY,
      "http(s) URL of a JWKS whose keys check RS256/ES256 tokens, fetched at start and "
          + "refreshed; empty means none.", c -> c.auth().jwksUrl()),
  AUTH_JWKS_REFRESH_SECONDS("auth", "jwksRefreshSeconds", AuthOptions.DEFAULT_JWKS_REFRESH_SECONDS,
      10, 86_400, "Interval of the regular JWKS refresh.", c -> c.auth().jwksRefreshSeconds()),
  AUTH_JWKS_MIN_REFRESH_SECONDS("auth", "jwksMinRefreshSeconds",
      AuthOptions.DEFAULT_JWKS_MIN_REFRESH_SECONDS, 1, 86_400,
      "Least time between two JWKS fetches caused by tokens with an unknown kid.",
      c -> c.auth().jwksMinRefreshSeconds()),
  AUTH_AUDIENCE("auth", "audience", AuthOptions.DEFAULT_AUDIENCE, Rule.ANY,
      "Audience (aud) a token must name; empty means aud is not checked.",
      c -> c.auth().audience()),
  AUTH_CLOCK_SKEW_SECONDS("auth", "clockSkewSeconds", AuthOptions.DEFAULT_CLOCK_SKEW_SECONDS, 0,
      600, "Clock difference tolerated when checking exp and nbf.",
      c -> c.auth().clockSkewSeconds()),
  AUTH_REQUIRE_KEY_BINDING("auth", "requireKeyBinding", AuthOptions.DEFAULT_REQUIRE_KEY_BINDING,
      "Whether every token must bind a device key (cnf claim), so that every message is signed.",
      c -> c.auth().requireKeyBinding()),

  CLUSTER_NAME("cluster", "name", ClusterOptions.DEFAULT_NAME, Rule.NAME,
      "Cluster name; only members with the same name join each other.", c -> c.cluster().name()),
  CLUSTER_HOST("cluster", "host", ClusterOptions.DEFAULT_HOST, Rule.NOT_EMPTY,
      "Address this member binds and advertises to the others.", c -> c.cluster().host()),
  CLUSTER_PORT("cluster", "port", ClusterOptions.DEFAULT_PORT, 1, 65535,
      "Port of the cluster membership protocol.", c -> c.cluster().port()),
  CLUSTER_TLS("cluster", "tls", ClusterOptions.DEFAULT_TLS,
      "Whether the clustered event bus speaks TLS with mutual authentication (tls.certFile, "
          + "tls.keyFile, tls.caFile).", c -> c.cluster().tls()),
  CLUSTER_MEMBERS("cluster", "members", ClusterOptions.DEFAULT_MEMBERS,
      "Known members as host:port (IPv6 as [::1]:5701), used to join.",
      c -> c.cluster().members()),
  CLUSTER_BACKUP_COUNT("cluster", "backupCount", ClusterOptions.DEFAULT_BACKUP_COUNT, 0, 6,
      "Synchronous backup copies of clustered data.", c -> c.cluster().backupCount()),
  CLUSTER_EVENT_BUS_PORT("cluster", "eventBusPort", ClusterOptions.DEFAULT_EVENT_BUS_PORT, 0,
      65535, "Port of the clustered event bus; 0 picks any free port.",
      c -> c.cluster().eventBusPort()),
  CLUSTER_MEMBER_TIMEOUT_SECONDS("cluster", "memberTimeoutSeconds",
      ClusterOptions.DEFAULT_MEMBER_TIMEOUT_SECONDS, 2, 600,
      "How long a silent member is still considered alive.",
      c -> c.cluster().memberTimeoutSeconds()),
  CLUSTER_MINIMUM_MEMBERS("cluster", "minimumMembers", ClusterOptions.DEFAULT_MINIMUM_MEMBERS, 1,
      1000, "Members that must be reachable for messages to be stored; set it to a majority "
          + "(2 of 3) so that the smaller side of a network split refuses with 503 instead of "
          + "diverging.", c -> c.cluster().minimumMembers()),
  CLUSTER_KUBERNETES_SERVICE_DNS("cluster", "kubernetesServiceDns",
      ClusterOptions.DEFAULT_KUBERNETES_SERVICE_DNS, Rule.ANY,
      "DNS name of a headless Kubernetes service listing the members; when set, members are "
          + "discovered through it and cluster.members is ignored.",
      c -> c.cluster().kubernetesServiceDns()),

  LIMITS_MAX_FRAME_BYTES("limits", "maxFrameBytes", LimitsOptions.DEFAULT_MAX_FRAME_BYTES, 1024,
      16_777_216, "Largest accepted protocol frame.", c -> c.limits().maxFrameBytes()),
  LIMITS_HELLO_TIMEOUT_MS("limits", "helloTimeoutMs", LimitsOptions.DEFAULT_HELLO_TIMEOUT_MS, 100,
      600_000, "Time a new connection has to say hello.", c -> c.limits().helloTimeoutMs()),
  LIMITS_HEARTBEAT_SECONDS("limits", "heartbeatSeconds", LimitsOptions.DEFAULT_HEARTBEAT_SECONDS,
      1, 3600, "Heartbeat interval of sessions.", c -> c.limits().heartbeatSeconds()),
  LIMITS_MESSAGES_PER_SECOND("limits", "messagesPerSecond",
      LimitsOptions.DEFAULT_MESSAGES_PER_SECOND, 1, 1_000_000,
      "Messages a session may publish per second.", c -> c.limits().messagesPerSecond()),
  LIMITS_SIGNALS_PER_SECOND("limits", "signalsPerSecond",
      LimitsOptions.DEFAULT_SIGNALS_PER_SECOND, 1, 1_000_000,
      "Ack signals (DELIVERED, READ, PULL_REQUEST, SYNC) a session may send per second, with "
          + "a burst of one second's worth; beyond it the node reads that session more slowly "
          + "instead of refusing anything.", c -> c.limits().signalsPerSecond()),
  LIMITS_PULL_BATCH("limits", "pullBatch", LimitsOptions.DEFAULT_PULL_BATCH, 1, 10_000,
      "Most messages returned by one pull.", c -> c.limits().pullBatch()),
  LIMITS_MAX_OUTBOUND_BYTES("limits", "maxOutboundBytes", LimitsOptions.DEFAULT_MAX_OUTBOUND_BYTES,
      65_536, 268_435_456,
      "Pending writes per session before it is closed as a slow consumer.",
      c -> c.limits().maxOutboundBytes()),
  LIMITS_MAX_UNDELIVERED_PER_STREAM("limits", "maxUndeliveredPerStream",
      LimitsOptions.DEFAULT_MAX_UNDELIVERED_PER_STREAM, 1, 100_000_000,
      "Messages a stream may hold above the recipient's DELIVERED position; one more gets "
          + "ACCEPTED 429.", c -> c.limits().maxUndeliveredPerStream()),
  LIMITS_MAX_CONNECTIONS("limits", "maxConnections", LimitsOptions.DEFAULT_MAX_CONNECTIONS, 0,
      10_000_000,
      "Client sockets the node holds at once over both ports: a TCP or WebSocket connection "
          + "holds one, any other HTTP connection three; one more is refused at once (TCP: "
          + "Goodbye 503, HTTP: 503; only closed with TLS on the port or WebSocket compression "
          + "on). 0: the process's open-files limit less 2,048 kept for the "
          + "store, the cluster and the JVM (half the limit when that leaves less).",
      c -> c.limits().maxConnections()),
  LIMITS_DEVICES_PER_IDENTITY("limits", "devicesPerIdentity",
      LimitsOptions.DEFAULT_DEVICES_PER_IDENTITY, 1, 1_000_000,
      "Devices (connection_resource_ids) one eid may have online at once in the cluster; the "
          + "Hello of one more gets Goodbye 429. A device already online may always connect "
          + "again.", c -> c.limits().devicesPerIdentity()),

  RETENTION_SECONDS("retention", "seconds", RetentionOptions.DEFAULT_SECONDS, 1L, 315_360_000L,
      "How long stored messages are kept.", c -> c.retention().seconds()),
  RETENTION_MAX_MESSAGES_PER_STREAM("retention", "maxMessagesPerStream",
      RetentionOptions.DEFAULT_MAX_MESSAGES_PER_STREAM, 1, 10_000_000,
      "With storage.type memory only: most messages kept per stream (the oldest go first); "
          + "a database keeps everything for retention.seconds.",
      c -> c.retention().maxMessagesPerStream()),
  RETENTION_SWEEP_SECONDS("retention", "sweepSeconds", RetentionOptions.DEFAULT_SWEEP_SECONDS, 1,
      86_400, "Interval of the expiry sweep.", c -> c.retention().sweepSeconds()),

  STORAGE_TYPE("storage", "type", StorageOptions.DEFAULT_TYPE,
      new String[] {StorageOptions.EMBEDDED, StorageOptions.POSTGRESQL, StorageOptions.MEMORY},
      "Where messages are stored: embedded (a database under storage.path, for a cluster of one), "
          + "postgresql (one database for every member) or memory (nothing on disk: tests and "
          + "benchmarks).", c -> c.storage().type()),
  STORAGE_PATH("storage", "path", StorageOptions.DEFAULT_PATH, Rule.NOT_EMPTY,
      "Directory of the embedded database.", c -> c.storage().path()),
  STORAGE_ACCEPT_AFTER("storage", "acceptAfter", StorageOptions.DEFAULT_ACCEPT_AFTER,
      new String[] {StorageOptions.COMMIT, StorageOptions.REPLICATE},
      "commit: ACCEPTED once the message is committed to the database; replicate: once held in "
          + "memory by its stream's owner and backups, written within storage.flushMs.",
      c -> c.storage().acceptAfter()),
  STORAGE_URL("storage", "url", StorageOptions.DEFAULT_URL, Rule.ANY,
      "JDBC URL of the PostgreSQL database, e.g. jdbc:postgresql://127.0.0.1:5432/phoenix.",
      c -> c.storage().url()),
  STORAGE_USER("storage", "user", StorageOptions.DEFAULT_USER, Rule.ANY,
      "PostgreSQL user.", c -> c.storage().user()),
  STORAGE_PASSWORD("storage", "password", StorageOptions.DEFAULT_PASSWORD, Rule.SECRET_OR_EMPTY,
      "PostgreSQL password.", c -> c.storage().password()),
  STORAGE_POOL_SIZE("storage", "poolSize", StorageOptions.DEFAULT_POOL_SIZE, 2, 64,
      "Connections to PostgreSQL (one writes, the others read).", c -> c.storage().poolSize()),
  STORAGE_FLUSH_MS("storage", "flushMs", StorageOptions.DEFAULT_FLUSH_MS, 1, 60_000,
      "With acceptAfter replicate: longest time an accepted message waits to be written.",
      c -> c.storage().flushMs()),
  STORAGE_MAX_BATCH("storage", "maxBatch", StorageOptions.DEFAULT_MAX_BATCH, 1, 65_536,
      "Most messages written by one commit.", c -> c.storage().maxBatch()),
  STORAGE_HOT_WINDOW("storage", "hotWindow", StorageOptions.DEFAULT_HOT_WINDOW, 0, 4096,
      "Messages per stream whose bodies stay in cluster memory after they are written (fast "
          + "pulls).", c -> c.storage().hotWindow()),
  STORAGE_HOT_WINDOW_BYTES("storage", "hotWindowBytes", StorageOptions.DEFAULT_HOT_WINDOW_BYTES,
      0L, 1L << 40,
      "Most bytes of written message bodies the cluster keeps in memory for fast pulls, over all "
          + "streams; beyond it the least recently used streams' bodies are read from the database.",
      c -> c.storage().hotWindowBytes()),
  STORAGE_MAX_STREAMS_IN_MEMORY("storage", "maxStreamsInMemory",
      StorageOptions.DEFAULT_MAX_STREAMS_IN_MEMORY, 0, Integer.MAX_VALUE,
      "Most streams the cluster keeps in memory; past it, saved streams unused for 10 s are "
          + "forgotten first (read back when used). 0: an eighth of the heap at 2 KB a stream.",
      c -> c.storage().maxStreamsInMemory()),

  TLS_TCP("tls", "tcp", TlsOptions.DEFAULT_TCP,
      "Whether the TCP listener speaks TLS (with tls.certFile and tls.keyFile).",
      c -> c.tls().tcp()),
  TLS_HTTP("tls", "http", TlsOptions.DEFAULT_HTTP,
      "Whether the HTTP listener speaks TLS: HTTPS and WSS (with tls.certFile and tls.keyFile).",
      c -> c.tls().http()),
  TLS_CERT_FILE("tls", "certFile", TlsOptions.DEFAULT_CERT_FILE, Rule.ANY,
      "PEM file with the server certificate (and its chain); required when TLS is on.",
      c -> c.tls().certFile()),
  TLS_KEY_FILE("tls", "keyFile", TlsOptions.DEFAULT_KEY_FILE, Rule.ANY,
      "PEM file with the private key of the certificate; required when TLS is on.",
      c -> c.tls().keyFile()),
  TLS_CA_FILE("tls", "caFile", TlsOptions.DEFAULT_CA_FILE, Rule.ANY,
      "PEM file with the CA certificates cluster members' certificates must chain to; required "
          + "with cluster.tls.", c -> c.tls().caFile());

  /** Value type of a key. */
  public enum Type { STRING, INT, LONG, STRING_LIST, BOOLEAN }

  /** Extra rule a string or list value must follow. */
  public enum Rule {
    /** Any string, including empty. */
    ANY,
    /** Not empty or blank. */
    NOT_EMPTY,
    /** 1 to 64 characters of A-Z a-z 0-9 . _ - */
    NAME,
    /** Starts with "/". */
    PATH,
    /** Not empty; never shown in messages or redacted output. */
    SECRET,
    /** Non-empty list of host:port. */
    HOST_PORT,
    /** Integer range only. */
    RANGE,
    /** true or false. */
    FLAG,
    /** One of a fixed set of words. */
    CHOICE,
    /** Any string, including empty; never shown in messages or redacted output. */
    SECRET_OR_EMPTY
  }

  private static final String ENV_PREFIX = "PHOENIX_";
  private static final Map<String, ConfigKey> BY_PATH =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(ConfigKey::path, k -> k));
  private static final Map<String, ConfigKey> BY_ENV =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(k -> squash(k.envName()), k -> k));

  private final String group;
  private final String name;
  private final Type type;
  private final Object defaultValue;
  private final long min;
  private final long max;
  private final Rule rule;
  private final String description;
  private final Function<PhoenixConfig, Object> accessor;
  private final List<String> choices;

  ConfigKey(String group, String name, String def, Rule rule, String doc,
      Function<PhoenixConfig, Object> accessor) {
    this(group, name, Type.STRING, def, 0, 0, rule, doc, accessor);
  }

  ConfigKey(String group, String name, String def, String[] choices, String doc,
      Function<PhoenixConfig, Object> accessor) {
    this(group, name, Type.STRING, def, 0, 0, Rule.CHOICE, doc, accessor, List.of(choices));
  }

  ConfigKey(String group, String name, int def, int min, int max, String doc,
      Function<PhoenixConfig, Object> accessor) {
    this(group, name, Type.INT, def, min, max, Rule.RANGE, doc, accessor);
  }

  ConfigKey(String group, String name, long def, long min, long max, String doc,
      Function<PhoenixConfig, Object> accessor) {
    this(group, name, Type.LONG, def, min, max, Rule.RANGE, doc, accessor);
  }

  ConfigKey(String group, String name, boolean def, String doc,
      Function<PhoenixConfig, Object> accessor) {
    this(group, name, Type.BOOLEAN, def, 0, 0, Rule.FLAG, doc, accessor);
  }

  ConfigKey(String group, String name, List<String> def, String doc,
      Function<PhoenixConfig, Object> accessor) {
    this(group, name, Type.STRING_LIST, def, 0, 0, Rule.HOST_PORT, doc, accessor);
  }

  ConfigKey(String group, String name, Type type, Object def, long min, long max, Rule rule,
      String doc, Function<PhoenixConfig, Object> accessor) {
    this(group, name, type, def, min, max, rule, doc, accessor, List.of());
  }

  ConfigKey(String group, String name, Type type, Object def, long min, long max, Rule rule,
      String doc, Function<PhoenixConfig, Object> accessor, List<String> choices) {
    this.choices = choices;
    this.group = group;
    this.name = name;
    this.type = type;
    this.defaultValue = def;
    this.min = min;
    this.max = max;
    this.rule = rule;
    this.description = doc;
    this.accessor = accessor;
  }

  /** @return every key, in documentation order */
  public static List<ConfigKey> keys() {
    return List.of(values());
  }

  /** @return the key with this dotted path, e.g. {@code "tcp.port"} */
  public static Optional<ConfigKey> byPath(String path) {
    return Optional.ofNullable(BY_PATH.get(path));
  }

  /**
   * Finds the key an environment variable overrides. Names are compared case-insensitively with
   * underscores removed, so {@code PHOENIX_LIMITS_MAX_FRAME_BYTES} and
   * {@code PHOENIX_LIMITS_MAXFRAMEBYTES} both name {@code limits.maxFrameBytes}.
   *
   * @return the key, or empty if the name has no {@code PHOENIX_} prefix or names no key
   */
  public static Optional<ConfigKey> byEnvName(String variable) {
    if (!isPhoenixVariable(variable)) {
      return Optional.empty();
    }
    return Optional.ofNullable(BY_ENV.get(squash(variable)));
  }

  /** @return whether the variable starts with {@code PHOENIX_} (in any case) */
  public static boolean isPhoenixVariable(String variable) {
    return variable != null && variable.regionMatches(true, 0, ENV_PREFIX, 0, ENV_PREFIX.length());
  }

  /** @return whether a group of that name exists, e.g. {@code "tcp"} */
  public static boolean isGroup(String group) {
    return Arrays.stream(values()).anyMatch(k -> k.group.equals(group));
  }

  private static String squash(String variable) {
    return variable.replace("_", "").toLowerCase(Locale.ROOT);
  }

  /** @return the group, e.g. {@code "limits"} */
  public String group() { return group; }

  /** @return the key inside its group, e.g. {@code "maxFrameBytes"} */
  public String key() { return name; }

  /** @return group and key joined by a dot, e.g. {@code "limits.maxFrameBytes"} */
  public String path() { return group + "." + name; }

  /** @return the canonical override variable, e.g. {@code PHOENIX_LIMITS_MAX_FRAME_BYTES} */
  public String envName() {
    return ENV_PREFIX + upperSnake(group) + "_" + upperSnake(name);
  }

  private static String upperSnake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  /** @return the value type */
  public Type type() { return type; }

  /** @return the extra rule string and list values follow ({@link Rule#RANGE} for numbers) */
  public Rule rule() { return rule; }

  /**
   * @return the default value (String, Integer, Long, Boolean or List), or null if the key is
   *     required
   */
  public Object defaultValue() { return defaultValue; }

  /** @return whether the key has no default and must be set */
  public boolean required() { return defaultValue == null; }

  /** @return whether the value is secret and redacted from logs */
  public boolean secret() { return rule == Rule.SECRET || rule == Rule.SECRET_OR_EMPTY; }

  /** @return the allowed words of a {@link Rule#CHOICE} key (empty for others) */
  public List<String> choices() { return choices; }

  /** @return the smallest allowed value of a numeric key (0 for other types) */
  public long min() { return min; }

  /** @return the largest allowed value of a numeric key (0 for other types) */
  public long max() { return max; }

  /** @return one sentence on what the key does */
  public String description() { return description; }

  /** @return the allowed values in words, e.g. {@code "between 0 and 65535"}, for docs */
  public String constraint() {
    return switch (rule) {
      case RANGE -> "between " + min + " and " + max;
      case ANY, SECRET_OR_EMPTY -> "any string";
      case CHOICE -> "one of " + String.join(", ", choices);
      case NOT_EMPTY, SECRET -> "non-empty string";
      case NAME -> Values.NAME_RULE;
      case PATH -> "starts with \"/\"";
      case HOST_PORT -> "non-empty list of host:port, port between 1 and 65535";
      case FLAG -> "true or false";
    };
  }

  /** @return this key's value in {@code config} (String, Integer, Long or List of String) */
  public Object valueIn(PhoenixConfig config) {
    return accessor.apply(config);
  }

  String checkString(String value) {
    return (String) Values.validate(this, value, null);
  }

  int checkInt(int value) {
    return (Integer) Values.validate(this, value, null);
  }

  long checkLong(long value) {
    return (Long) Values.validate(this, value, null);
  }

  boolean checkBoolean(boolean value) {
    return (Boolean) Values.validate(this, value, null);
  }

  @SuppressWarnings("unchecked")
  List<String> checkList(List<String> value) {
    return (List<String>) Values.validate(this, value, null);
  }
}

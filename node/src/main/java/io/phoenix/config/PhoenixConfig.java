package io.phoenix.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * The whole, validated configuration of a node, read once at start by {@link ConfigLoader}.
 *
 * <p>Threading: immutable record of immutable records; safe to share between threads and
 * verticles. Its {@link #toString()} never shows the JWT secret.
 *
 * @param node identity of this node
 * @param tcp TCP protocol listener
 * @param http HTTP and WebSocket listener
 * @param auth token signing and checking
 * @param cluster cluster membership and clustered event bus
 * @param limits per-connection and per-session limits
 * @param retention how long and how many stored messages are kept
 * @param tls TLS of the TCP and HTTP listeners
 * @param storage where stored messages live
 */
public record PhoenixConfig(NodeOptions node, TcpOptions tcp, HttpOptions http, AuthOptions auth,
    ClusterOptions cluster, LimitsOptions limits, RetentionOptions retention, TlsOptions tls,
    StorageOptions storage) {

  /** Shown instead of secret values by {@link #toJson(boolean) toJson(true)}. */
  public static final String REDACTED = "***";

  /** @throws NullPointerException if a group is null */
  public PhoenixConfig {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(tcp, "tcp");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(storage, "storage");
    if (storage.type().equals(StorageOptions.EMBEDDED)) {
      String other = cluster.otherMember();
      if (other != null) {
        throw new ConfigException("storage.type embedded keeps messages on this node's own disk, "
            + "for a cluster of one, but cluster." + other + ": use storage.type postgresql "
            + "for a cluster");
      }
    }
    if (cluster.tls()) {
      String[][] files = {{"tls.certFile", tls.certFile()}, {"tls.keyFile", tls.keyFile()},
          {"tls.caFile", tls.caFile()}};
      for (String[] f : files) {
        if (f[1].isEmpty()) {
          throw new ConfigException(f[0] + " is required when cluster.tls is true");
        }
        Values.checkReadableFile(f[0], f[1]);
      }
    }
  }

  /** A configuration without TLS, on the default storage. */
  public PhoenixConfig(NodeOptions node, TcpOptions tcp, HttpOptions http, AuthOptions auth,
      ClusterOptions cluster, LimitsOptions limits, RetentionOptions retention) {
    this(node, tcp, http, auth, cluster, limits, retention, TlsOptions.defaults(),
        StorageOptions.defaults());
  }

  /**
   * The effective configuration as JSON with every key, in the file layout, e.g. to log it at
   * start. Unredacted output loads back with {@link ConfigLoader#fromJson(JsonObject)} to an equal
   * config.
   *
   * @param redactSecrets whether to show secrets as {@value #REDACTED}
   * @return a new JSON object the caller may modify
   */
  public JsonObject toJson(boolean redactSecrets) {
    JsonObject json = new JsonObject();
    for (ConfigKey key : ConfigKey.keys()) {
      JsonObject group = json.getJsonObject(key.group());
      if (group == null) {
        group = new JsonObject();
        json.put(key.group(), group);
      }
      Object value = key.valueIn(this);
      if (key.secret() && redactSecrets) {
        value = REDACTED;
      } else if (value instanceof List<?> list) {
        value = new JsonArray(List.copyOf(list));
      }
      group.put(key.key(), value);
    }
    return json;
  }
}

package io.phoenix.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Reads the configuration once at start: file (or the embedded default), then
 * {@code PHOENIX_<GROUP>_<KEY>} environment overrides, then type conversion and validation
 * against {@link ConfigKey}. Every problem is a one-line {@link ConfigException}.
 *
 * <p>Threading: stateless; safe to call from any thread. It blocks on file IO, so call it before
 * Vert.x starts or from a worker, not from an event loop.
 *
 * <p>A JSON {@code null} value counts as absent: the key takes its default.
 */
public final class ConfigLoader {

  /** Classpath resource holding the embedded default configuration. */
  public static final String EMBEDDED_RESOURCE = "conf/node.json";
  /** {@link Loaded#source()} of the embedded default. */
  public static final String EMBEDDED_SOURCE = "embedded " + EMBEDDED_RESOURCE;

  /**
   * A loaded configuration.
   *
   * <p>Threading: immutable; safe to share.
   *
   * @param config the validated configuration
   * @param warnings one-line warnings to log, e.g. ignored environment variables
   * @param source where the JSON came from: the file path, or {@link #EMBEDDED_SOURCE}
   */
  public record Loaded(PhoenixConfig config, List<String> warnings, String source) {
    /** Copies the warnings. */
    public Loaded {
      warnings = List.copyOf(warnings);
    }
  }

  private ConfigLoader() {
  }

  /** @return every configuration key, e.g. for a doc generator */
  public static List<ConfigKey> keys() {
    return ConfigKey.keys();
  }

  /**
   * Loads a configuration file, or the embedded {@value #EMBEDDED_RESOURCE} when {@code file} is
   * null, and applies environment overrides.
   *
   * @param file path of a JSON file, or null for the embedded default
   * @param env environment variables, e.g. {@code System.getenv()}; null means none
   * @throws ConfigException on any problem, naming the file, key or variable
   */
  public static Loaded load(String file, Map<String, String> env) {
    return load(parse(file), env, source(file));
  }

  /** Where a configuration comes from, in messages: the file, or the embedded default. */
  private static String source(String file) {
    return file == null ? EMBEDDED_SOURCE : file;
  }

  /** The JSON of a configuration file, or of the embedded default when {@code file} is null. */
  private static JsonObject parse(String file) {
    String source = source(file);
    String text = file == null ? JsonFiles.readEmbedded(EMBEDDED_RESOURCE, source)
        : JsonFiles.read(file);
    return JsonFiles.parse(text, source);
  }

  /**
   * Applies environment overrides to a parsed configuration and validates it.
   *
   * @param json the configuration in the file layout
   * @param env environment variables; null means none
   * @param source where {@code json} came from, named in error messages
   * @throws ConfigException on any problem, naming the key or variable
   */
  public static Loaded load(JsonObject json, Map<String, String> env, String source) {
    List<String> warnings = new ArrayList<>();
    PhoenixConfig config = build(values(json, env, source, warnings));
    if (config.auth().secretIsShort()) {
      warnings.add(ConfigKey.AUTH_JWT_SECRET.path() + " is shorter than "
          + AuthOptions.RECOMMENDED_SECRET_BYTES
          + " bytes: use a long random secret outside development");
    }
    return new Loaded(config, warnings, source);
  }

  /**
   * The {@code storage} group of a configuration file ({@code null}: the embedded default),
   * without environment overrides: every key of the file is checked as {@link #load} checks
   * it, but what the other groups need of each other (a way to check tokens, for one) is not
   * asked, since only the store is used ({@code phoenix copy-store}). Of {@code env}, only
   * {@value #LOG_LEVEL_VARIABLE} is read, and checked as {@link #load} checks it: the command
   * logs through the same setup.
   *
   * @throws ConfigException on any problem, naming the key
   */
  public static StorageOptions storage(String file, Map<String, String> env) {
    checkLogLevel(env);
    return storage(values(parse(file), Map.of(), source(file), new ArrayList<>()));
  }

  /** Every key's value: the file's, or the environment's override, or the default; checked. */
  private static Map<ConfigKey, Object> values(JsonObject json, Map<String, String> env,
      String source, List<String> warnings) {
    Objects.requireNonNull(json, "json");
    Map<ConfigKey, Object> raw = new EnumMap<>(ConfigKey.class);
    readKeys(json, source, raw);
    Map<ConfigKey, String> fromEnv = readEnv(env == null ? Map.of() : env, raw, warnings);

    Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
    for (ConfigKey key : ConfigKey.keys()) {
      Object value = raw.get(key);
      String variable = fromEnv.get(key);
      if (value == null) {
        values.put(key, Values.validate(key, key.defaultValue(), null));
      } else if (variable != null) {
        values.put(key, Values.fromEnv(key, (String) value, variable));
      } else {
        values.put(key, Values.fromJson(key, value, null));
      }
    }
    return values;
  }

  /**
   * Builds a configuration from JSON in the file layout, without environment overrides; missing
   * keys take their defaults.
   *
   * @throws ConfigException on any problem, naming the key
   */
  public static PhoenixConfig fromJson(JsonObject json) {
    return load(json, Map.of(), "<inline>").config();
  }

  private static void readKeys(JsonObject json, String source, Map<ConfigKey, Object> raw) {
    for (String group : json.fieldNames()) {
      if (!ConfigKey.isGroup(group)) {
        throw new ConfigException("unknown key " + Values.shown(group) + " in " + source);
      }
      Object value = json.getValue(group);
      if (value == null) {
        continue;
      }
      if (!(value instanceof JsonObject object)) {
        throw new ConfigException(group + " must be an object (got " + Values.shown(value) + ")");
      }
      for (String name : object.fieldNames()) {
        String path = group + "." + name;
        ConfigKey key = ConfigKey.byPath(path).orElseThrow(() ->
            new ConfigException("unknown key " + Values.shown(path) + " in " + source));
        Object item = object.getValue(name);
        if (item != null) {
          raw.put(key, item);
        }
      }
    }
  }

  /** PHOENIX_* variables read by something else than this loader (the logging setup). */
  static final java.util.Set<String> NOT_CONFIG_KEYS =
      java.util.Set.of("PHOENIX_LOG_LEVEL", "PHOENIX_LOG_FORMAT");

  /** The variable Logback takes the root logger's level from (conf/logback.xml). */
  static final String LOG_LEVEL_VARIABLE = "PHOENIX_LOG_LEVEL";
  private static final java.util.Set<String> LOG_LEVELS =
      java.util.Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "ALL");

  /**
   * Logback reads {@value #LOG_LEVEL_VARIABLE} itself, and takes a value it does not know (a
   * typo, {@code WARNING}, an empty string) as DEBUG, without a word: refuse it here instead.
   */
  private static void checkLogLevel(Map<String, String> env) {
    String value = env.get(LOG_LEVEL_VARIABLE);
    if (value != null && !LOG_LEVELS.contains(value.strip().toUpperCase(java.util.Locale.ROOT))) {
      throw new ConfigException(LOG_LEVEL_VARIABLE + " must be TRACE, DEBUG, INFO, WARN or ERROR"
          + " (got " + Values.shown(value) + ")");
    }
  }

  /** Puts overrides into {@code raw}; returns the variable that set each overridden key. */
  private static Map<ConfigKey, String> readEnv(Map<String, String> env,
      Map<ConfigKey, Object> raw, List<String> warnings) {
    checkLogLevel(env);
    Map<ConfigKey, String> chosen = new EnumMap<>(ConfigKey.class);
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String variable = e.getKey();
      if (!ConfigKey.isPhoenixVariable(variable) || e.getValue() == null
          || NOT_CONFIG_KEYS.contains(variable)) {
        continue;
      }
      ConfigKey key = ConfigKey.byEnvName(variable).orElse(null);
      if (key == null) {
        warnings.add("ignoring environment variable " + variable + ": no such key");
        continue;
      }
      String previous = chosen.get(key);
      if (previous != null && !variable.equals(key.envName())) {
        warnings.add("ignoring environment variable " + variable + ": " + previous
            + " also sets " + key.path());
        continue;
      }
      if (previous != null) {
        warnings.add("ignoring environment variable " + previous + ": " + variable
            + " also sets " + key.path());
      }
      chosen.put(key, variable);
      raw.put(key, e.getValue());
    }
    return chosen;
  }

  private static PhoenixConfig build(Map<ConfigKey, Object> v) {
    return new PhoenixConfig(
        new NodeOptions(str(v, ConfigKey.NODE_ID)),
        new TcpOptions(str(v, ConfigKey.TCP_HOST), num(v, ConfigKey.TCP_PORT)),
        new HttpOptions(str(v, ConfigKey.HTTP_HOST), num(v, ConfigKey.HTTP_PORT),
            str(v, ConfigKey.HTTP_WEB_SOCKET_PATH),
            (Boolean) v.get(ConfigKey.HTTP_WEB_SOCKET_COMPRESSION)),
        new AuthOptions(str(v, ConfigKey.AUTH_JWT_SECRET), str(v, ConfigKey.AUTH_ISSUER),
            num(v, ConfigKey.AUTH_TOKEN_TTL_SECONDS), (Boolean) v.get(ConfigKey.AUTH_DEV_TOKENS),
            str(v, ConfigKey.AUTH_PUBLIC_KEY_FILE), str(v, ConfigKey.AUTH_JWKS_URL),
            num(v, ConfigKey.AUTH_JWKS_REFRESH_SECONDS),
            num(v, ConfigKey.AUTH_JWKS_MIN_REFRESH_SECONDS), str(v, ConfigKey.AUTH_AUDIENCE),
            num(v, ConfigKey.AUTH_CLOCK_SKEW_SECONDS),
            (Boolean) v.get(ConfigKey.AUTH_REQUIRE_KEY_BINDING)),
        new ClusterOptions(str(v, ConfigKey.CLUSTER_NAME), str(v, ConfigKey.CLUSTER_HOST),
            num(v, ConfigKey.CLUSTER_PORT), list(v, ConfigKey.CLUSTER_MEMBERS),
            num(v, ConfigKey.CLUSTER_BACKUP_COUNT), num(v, ConfigKey.CLUSTER_EVENT_BUS_PORT),
            num(v, ConfigKey.CLUSTER_MEMBER_TIMEOUT_SECONDS),
            num(v, ConfigKey.CLUSTER_MINIMUM_MEMBERS),
            str(v, ConfigKey.CLUSTER_KUBERNETES_SERVICE_DNS),
            (Boolean) v.get(ConfigKey.CLUSTER_TLS)),
        new LimitsOptions(num(v, ConfigKey.LIMITS_MAX_FRAME_BYTES),
            num(v, ConfigKey.LIMITS_HELLO_TIMEOUT_MS), num(v, ConfigKey.LIMITS_HEARTBEAT_SECONDS),
            num(v, ConfigKey.LIMITS_MESSAGES_PER_SECOND),
            num(v, ConfigKey.LIMITS_SIGNALS_PER_SECOND), num(v, ConfigKey.LIMITS_PULL_BATCH),
            num(v, ConfigKey.LIMITS_MAX_OUTBOUND_BYTES),
            num(v, ConfigKey.LIMITS_MAX_UNDELIVERED_PER_STREAM),
            num(v, ConfigKey.LIMITS_MAX_CONNECTIONS),
            num(v, ConfigKey.LIMITS_DEVICES_PER_IDENTITY)),
        new RetentionOptions((Long) v.get(ConfigKey.RETENTION_SECONDS),
            num(v, ConfigKey.RETENTION_MAX_MESSAGES_PER_STREAM),
            num(v, ConfigKey.RETENTION_SWEEP_SECONDS)),
        new TlsOptions((Boolean) v.get(ConfigKey.TLS_TCP), (Boolean) v.get(ConfigKey.TLS_HTTP),
            str(v, ConfigKey.TLS_CERT_FILE), str(v, ConfigKey.TLS_KEY_FILE),
            str(v, ConfigKey.TLS_CA_FILE)),
        storage(v));
  }

  private static StorageOptions storage(Map<ConfigKey, Object> v) {
    return new StorageOptions(str(v, ConfigKey.STORAGE_TYPE), str(v, ConfigKey.STORAGE_PATH),
        str(v, ConfigKey.STORAGE_ACCEPT_AFTER), str(v, ConfigKey.STORAGE_URL),
        str(v, ConfigKey.STORAGE_USER), str(v, ConfigKey.STORAGE_PASSWORD),
        num(v, ConfigKey.STORAGE_POOL_SIZE), num(v, ConfigKey.STORAGE_FLUSH_MS),
        num(v, ConfigKey.STORAGE_MAX_BATCH), num(v, ConfigKey.STORAGE_HOT_WINDOW),
        (Long) v.get(ConfigKey.STORAGE_HOT_WINDOW_BYTES),
        num(v, ConfigKey.STORAGE_MAX_STREAMS_IN_MEMORY));
  }

  private static String str(Map<ConfigKey, Object> v, ConfigKey key) {
    return (String) v.get(key);
  }

  private static int num(Map<ConfigKey, Object> v, ConfigKey key) {
    return (Integer) v.get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<String> list(Map<ConfigKey, Object> v, ConfigKey key) {
    return (List<String>) v.get(key);
  }
}

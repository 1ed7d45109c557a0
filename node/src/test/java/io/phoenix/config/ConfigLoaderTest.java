package io.phoenix.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  static final String SECRET = "a-test-secret-that-is-long-enough-0123456789";
  static final String SHORT_SECRET_WARNING =
      "auth.jwtSecret is shorter than 32 bytes: use a long random secret outside development";

  /** The sample configuration shown with the protocol description. */
  static final String PROTOCOL_SAMPLE = """
      {
        "node": { "id": "node-a" },
        "tcp": { "host": "0.0.0.0", "port": 4100 },
        "http": { "host": "0.0.0.0", "port": 4000, "webSocketPath": "/socket" },
        "auth": { "jwtSecret": "change-me", "issuer": "phoenix", "tokenTtlSeconds": 3600 },
        "cluster": { "name": "phoenix", "host": "10.0.0.5", "port": 5701,
                     "members": ["10.0.0.5:5701", "10.0.0.6:5701", "[fd00::7]:5701"],
                     "backupCount": 1, "eventBusPort": 5702, "memberTimeoutSeconds": 10 },
        "limits": { "maxFrameBytes": 65536, "helloTimeoutMs": 10000, "heartbeatSeconds": 30,
                    "messagesPerSecond": 1000, "pullBatch": 100, "maxOutboundBytes": 4194304 },
        "retention": { "seconds": 604800, "maxMessagesPerStream": 10000, "sweepSeconds": 60 },
        "storage": { "type": "postgresql", "url": "jdbc:postgresql://10.0.0.9:5432/phoenix",
                     "user": "phoenix", "password": "secret", "poolSize": 4 }
      }
      """;

  @TempDir Path dir;

  static JsonObject withSecret() {
    return new JsonObject().put("auth", new JsonObject().put("jwtSecret", SECRET));
  }

  static JsonObject withSecret(String group, String key, Object value) {
    JsonObject json = withSecret();
    JsonObject g = json.getJsonObject(group, new JsonObject());
    json.put(group, g.put(key, value));
    return json;
  }

  /** Asserts loading fails with exactly one line and returns that line. */
  static String error(org.junit.jupiter.api.function.Executable load) {
    ConfigException e = assertThrows(ConfigException.class, load);
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"), e.getMessage());
    assertTrue(e.getMessage().startsWith("config error: "), e.getMessage());
    return e.getMessage();
  }

  static String error(JsonObject json) {
    return error(() -> ConfigLoader.fromJson(json));
  }

  Path write(String text) throws IOException {
    Path file = dir.resolve("node.json");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void embeddedDefaultLoadsWithItsValues() {
    ConfigLoader.Loaded loaded = ConfigLoader.load(null, Map.of());
    PhoenixConfig c = loaded.config();
    assertEquals(List.of(), loaded.warnings());
    assertEquals("embedded conf/node.json", loaded.source());
    assertEquals(new NodeOptions("node-1"), c.node());
    assertEquals(new TcpOptions("127.0.0.1", 4100), c.tcp());
    assertEquals(new HttpOptions("127.0.0.1", 4000, "/socket", false), c.http());
    assertEquals(new AuthOptions("dev-only-secret-change-me-0123456789abcdef", "phoenix", 86400,
        true),
        c.auth());
    assertEquals(new ClusterOptions("phoenix-dev", "127.0.0.1", 5701, List.of("127.0.0.1:5701"),
        1, 0, 10, 1, ""), c.cluster());
    assertEquals(new LimitsOptions(65536, 10000, 30, 1000, 5000, 100, 4194304, 10000, 0, 256),
        c.limits());
    assertEquals(new RetentionOptions(604800L, 10000, 60), c.retention());
  }

  @Test
  void protocolSampleLoadsWithShortSecretWarning() throws IOException {
    Path file = write(PROTOCOL_SAMPLE);
    ConfigLoader.Loaded loaded = ConfigLoader.load(file.toString(), Map.of());
    assertEquals(List.of(SHORT_SECRET_WARNING), loaded.warnings());
    assertEquals(file.toString(), loaded.source());
    PhoenixConfig c = loaded.config();
    assertEquals("change-me", c.auth().jwtSecret());
    assertEquals(3600, c.auth().tokenTtlSeconds());
    assertEquals(List.of("10.0.0.5:5701", "10.0.0.6:5701", "[fd00::7]:5701"),
        c.cluster().members());
    assertEquals(5702, c.cluster().eventBusPort());
    assertEquals("postgresql", c.storage().type());
    assertEquals("commit", c.storage().acceptAfter());
  }

  @Test
  void embeddedStorageIsForAClusterOfOne() {
    JsonObject others = withSecret("cluster", "members",
        new io.vertx.core.json.JsonArray().add("127.0.0.1:5701").add("127.0.0.1:5702"));
    assertEquals("config error: storage.type embedded keeps messages on this node's own disk, "
        + "for a cluster of one, but cluster.members lists 127.0.0.1:5702: use storage.type "
        + "postgresql for a cluster", error(others));
    JsonObject k8s = withSecret("cluster", "kubernetesServiceDns", "phoenix.default.svc");
    assertTrue(error(k8s).contains("cluster.kubernetesServiceDns is set"), error(k8s));
    // itself under another loopback name, or with the memory store: fine
    ConfigLoader.fromJson(withSecret("cluster", "members",
        new io.vertx.core.json.JsonArray().add("localhost:5701")));
    JsonObject memory = others.copy().put("storage", new JsonObject().put("type", "memory"));
    assertEquals(2, ConfigLoader.fromJson(memory).cluster().members().size());
  }

  @Test
  void theStorageGroupAloneIsReadWithoutWhatANodeNeedsMore() throws IOException {
    // copy-store: a file of the storage group only (no way to check tokens, which a node needs)
    Path only = write("{\"storage\": {\"type\": \"embedded\", \"path\": \"copy\"}}");
    assertEquals("copy", ConfigLoader.storage(only.toString(), Map.of()).path());
    assertEquals(StorageOptions.EMBEDDED, ConfigLoader.storage(null, Map.of()).type(),
        "the embedded default");
    // every key present is still checked, the storage group's and the others'
    Path bad = write("{\"storage\": {\"type\": \"rocks\"}}");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.storage(bad.toString(), Map.of()));
    assertEquals("config error: storage.type must be one of embedded, postgresql, memory "
        + "(got \"rocks\")", e.getMessage());
    Path other = write("{\"limits\": {\"pullBatch\": \"many\"}}");
    assertTrue(assertThrows(ConfigException.class,
        () -> ConfigLoader.storage(other.toString(), Map.of())).getMessage()
        .contains("limits.pullBatch"));
    // the command logs through the same setup: a level Logback would read as DEBUG is refused
    assertEquals("config error: PHOENIX_LOG_LEVEL must be TRACE, DEBUG, INFO, WARN or ERROR "
        + "(got \"WARNING\")", assertThrows(ConfigException.class,
            () -> ConfigLoader.storage(null, Map.of("PHOENIX_LOG_LEVEL", "WARNING")))
        .getMessage());
    Path again = write("{\"storage\": {\"type\": \"embedded\", \"path\": \"copy\"}}");
    assertEquals("copy", ConfigLoader.storage(again.toString(),
        Map.of("PHOENIX_LOG_LEVEL", "warn", "PHOENIX_STORAGE_PATH", "ignored")).path(),
        "no other variable is read");
  }

  @Test
  void storageValuesAreChecked() {
    assertEquals("config error: storage.type must be one of embedded, postgresql, memory "
        + "(got \"rocks\")", error(withSecret("storage", "type", "rocks")));
    assertEquals("config error: storage.acceptAfter must be one of commit, replicate "
        + "(got \"never\")", error(withSecret("storage", "acceptAfter", "never")));
    assertEquals("config error: storage.url must be a jdbc:postgresql: URL when storage.type "
        + "is postgresql (got \"\")", error(withSecret("storage", "type", "postgresql")));
    assertTrue(ConfigLoader.fromJson(withSecret("storage", "password", "pw")).toJson(true)
        .getJsonObject("storage").getString("password").equals(PhoenixConfig.REDACTED));
  }

  @Test
  void fileKeysNeedAReadableFileAndAValidPath() throws IOException {
    // a directory passes a bare readability check, and failed only after the node had joined
    // its cluster; a NUL in a path threw InvalidPathException with a stack trace
    String folder = dir.toString();
    assertEquals("config error: auth.publicKeyFile cannot be read: " + folder + " is a directory",
        error(withSecret("auth", "publicKeyFile", folder)));
    assertEquals("config error: auth.publicKeyFile is not a valid path (got \"a\\u0000b\")",
        error(withSecret("auth", "publicKeyFile", "a\u0000b")));
    assertEquals("config error: tls.certFile cannot be read: " + folder + " is a directory",
        error(withSecret().put("tls", new JsonObject().put("tcp", true)
            .put("certFile", folder).put("keyFile", folder))));
    assertEquals("config error: tls.certFile is not a valid path (got \"a\\u0000b\")",
        error(withSecret().put("tls", new JsonObject().put("http", true)
            .put("certFile", "a\u0000b").put("keyFile", "k"))));
    Path pem = Files.writeString(dir.resolve("cert.pem"), "x");
    assertEquals("config error: tls.caFile cannot be read: " + folder + " is a directory",
        error(withSecret("storage", "type", "memory").put("cluster", new JsonObject()
            .put("tls", true)).put("tls", new JsonObject().put("certFile", pem.toString())
            .put("keyFile", pem.toString()).put("caFile", folder))));
    assertEquals("config error: storage.path is not a valid path (got \"a\\u0000b\")",
        error(withSecret("storage", "path", "a\u0000b")));
  }

  @Test
  void omittedKeysTakeTheDocumentedDefaults() {
    PhoenixConfig c = ConfigLoader.fromJson(withSecret().put("tcp", new JsonObject()));
    assertEquals(new PhoenixConfig(NodeOptions.defaults(), TcpOptions.defaults(),
        HttpOptions.defaults(), AuthOptions.defaults(SECRET), ClusterOptions.defaults(),
        LimitsOptions.defaults(), RetentionOptions.defaults()), c);
    // The documented values, spelled out, so a changed constant fails here.
    assertEquals("node-1", c.node().id());
    assertEquals(new TcpOptions("0.0.0.0", 4100), c.tcp());
    assertEquals(new HttpOptions("0.0.0.0", 4000, "/socket", false), c.http());
    assertEquals(new AuthOptions(SECRET, "phoenix", 86400), c.auth());
    assertEquals(new ClusterOptions("phoenix", "127.0.0.1", 5701, List.of("127.0.0.1:5701"), 1,
        0, 10, 1, ""), c.cluster());
    assertEquals(new LimitsOptions(65536, 10000, 30, 1000, 5000, 100, 4194304, 10000, 0, 256),
        c.limits());
    assertEquals(new RetentionOptions(604800L, 10000, 60), c.retention());
  }

  @Test
  void everyKeyIsRoundTrippedByToJson() {
    PhoenixConfig c = ConfigLoader.load(null, Map.of()).config();
    JsonObject json = c.toJson(false);
    for (ConfigKey key : ConfigLoader.keys()) {
      assertTrue(json.getJsonObject(key.group()).containsKey(key.key()), key.path());
    }
    assertEquals(c, ConfigLoader.fromJson(json));
  }

  @Test
  void toJsonRedactedHidesTheSecret() {
    PhoenixConfig c = ConfigLoader.fromJson(withSecret());
    JsonObject redacted = c.toJson(true);
    assertEquals("***", redacted.getJsonObject("auth").getString("jwtSecret"));
    assertFalse(redacted.encode().contains(SECRET));
    assertFalse(c.toString().contains(SECRET));
    assertEquals(SECRET, c.toJson(false).getJsonObject("auth").getString("jwtSecret"));
  }

  @Test
  void invalidJsonFileNamesTheFileOnOneLine() throws IOException {
    Path file = write("{\n  \"tcp\": { \"port\": 4100, }\n}\n");
    String message = error(() -> ConfigLoader.load(file.toString(), Map.of()));
    assertTrue(message.startsWith("config error: " + file + " is not valid JSON: "), message);
    assertTrue(message.endsWith("(line 2, column 26)"), message);
  }

  /** JSON keeps the last of two equal keys: a second group would replace the first unseen. */
  @Test
  void aKeyGivenTwiceInOneObjectIsRefusedWithWhereItIs() throws IOException {
    Path file = write("{\n  \"auth\": { \"jwtSecret\": \"" + SECRET + "\" },\n"
        + "  \"tcp\": { \"port\": 4100 },\n  \"tcp\": { \"host\": \"127.0.0.1\" }\n}\n");
    assertEquals("config error: " + file + ": key \"tcp\" is given twice at the top level "
        + "(the second on line 4); a JSON object keeps only the last one given, so remove or merge "
        + "the other", error(() -> ConfigLoader.load(file.toString(), Map.of())));
    write("{ \"tcp\": {\n  \"port\": 4100,\n  \"port\": 4101 } }");
    assertTrue(error(() -> ConfigLoader.load(file.toString(), Map.of())).startsWith(
        "config error: " + file + ": key \"port\" is given twice in \"tcp\" (the second on line 3)"));
    write("{ \"cluster\": { \"members\": [ \"a\", { \"x\": 1, \"x\": 2 } ] } }");
    assertTrue(error(() -> ConfigLoader.load(file.toString(), Map.of())).startsWith(
        "config error: " + file + ": key \"x\" is given twice in \"cluster.members[1]\""));
    // the same key in two objects is fine
    write("{ \"auth\": { \"jwtSecret\": \"" + SECRET + "\" }, \"tcp\": { \"port\": 0 }, "
        + "\"http\": { \"port\": 0 } }");
    assertEquals(0, ConfigLoader.load(file.toString(), Map.of()).config().tcp().port());
  }

  @Test
  void emptyOrNonObjectFilesAreRejected() throws IOException {
    Path file = write("  \n");
    assertEquals("config error: " + file + " is not valid JSON: the file is empty",
        error(() -> ConfigLoader.load(file.toString(), Map.of())));
    write("[1, 2]");
    assertEquals("config error: " + file + " must hold a JSON object (got [1,2])",
        error(() -> ConfigLoader.load(file.toString(), Map.of())));
  }

  @Test
  void missingFileNamesTheFile() {
    Path file = dir.resolve("absent.json");
    assertEquals("config error: cannot read " + file + ": no such file",
        error(() -> ConfigLoader.load(file.toString(), Map.of())));
    assertEquals("config error: cannot read " + dir + ": is a directory",
        error(() -> ConfigLoader.load(dir.toString(), Map.of())));
  }

  @Test
  void unknownKeysAndGroupsNameTheFile() throws IOException {
    Path file = write("{ \"auth\": { \"jwtSecret\": \"x\" }, \"tcp\": { \"prot\": 4100 } }");
    assertEquals("config error: unknown key \"tcp.prot\" in " + file,
        error(() -> ConfigLoader.load(file.toString(), Map.of())));
    write("{ \"auth\": { \"jwtSecret\": \"x\" }, \"tpc\": { \"port\": 4100 } }");
    assertEquals("config error: unknown key \"tpc\" in " + file,
        error(() -> ConfigLoader.load(file.toString(), Map.of())));
  }

  @Test
  void groupMustBeAnObject() {
    assertEquals("config error: tcp must be an object (got 5)",
        error(withSecret().put("tcp", 5)));
  }

  @Test
  void aSecretOrAPublicKeyIsRequired() {
    String none = "config error: auth.jwtSecret, auth.publicKeyFile or auth.jwksUrl must be set"
        + " (in the file, or with PHOENIX_AUTH_JWT_SECRET, PHOENIX_AUTH_PUBLIC_KEY_FILE or"
        + " PHOENIX_AUTH_JWKS_URL): without any of them no token can be checked";
    assertEquals(none, error(new JsonObject()));
    assertEquals(none, error(withSecret("auth", "jwtSecret", "")));
    assertEquals("config error: auth.jwtSecret must not be blank",
        error(withSecret("auth", "jwtSecret", "   ")));
    assertEquals("config error: auth.jwtSecret must be a string",
        error(withSecret("auth", "jwtSecret", 12345)));
  }

  @ParameterizedTest(name = "{0}.{1} = {2}")
  @CsvSource(delimiter = '|', value = {
      "tcp|port|\"abc\"|tcp.port must be an integer (got \"abc\")",
      "tcp|port|4100.5|tcp.port must be an integer (got 4100.5)",
      "tcp|port|4100.0|tcp.port must be an integer (got 4100.0)",
      "tcp|port|true|tcp.port must be an integer (got true)",
      "tcp|port|[4100]|tcp.port must be an integer (got [4100])",
      "tcp|host|5|tcp.host must be a string (got 5)",
      "tcp|host|\" \"|tcp.host must not be empty",
      "tcp|port|-1|tcp.port must be between 0 and 65535 (got -1)",
      "tcp|port|65536|tcp.port must be between 0 and 65535 (got 65536)",
      "limits|maxFrameBytes|12|limits.maxFrameBytes must be between 1024 and 16777216 (got 12)",
      "limits|maxFrameBytes|16777217|"
          + "limits.maxFrameBytes must be between 1024 and 16777216 (got 16777217)",
      "limits|maxOutboundBytes|99999999999|"
          + "limits.maxOutboundBytes must be between 65536 and 268435456 (got 99999999999)",
      "retention|seconds|0|retention.seconds must be between 1 and 315360000 (got 0)",
      "retention|seconds|315360001|"
          + "retention.seconds must be between 1 and 315360000 (got 315360001)",
      "cluster|port|0|cluster.port must be between 1 and 65535 (got 0)",
      "cluster|backupCount|7|cluster.backupCount must be between 0 and 6 (got 7)",
      "cluster|memberTimeoutSeconds|1|"
          + "cluster.memberTimeoutSeconds must be between 2 and 600 (got 1)",
      "auth|tokenTtlSeconds|0|auth.tokenTtlSeconds must be between 1 and 31536000 (got 0)",
      "http|webSocketPath|\"socket\"|http.webSocketPath must start with \"/\" (got \"socket\")",
      "node|id|\"node 1\"|node.id must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got \"node 1\")",
      "node|id|\"\"|node.id must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got \"\")",
      "cluster|name|\"a/b\"|"
          + "cluster.name must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got \"a/b\")",
      "cluster|members|[]|cluster.members must not be empty",
      "cluster|members|\"h:1\"|cluster.members must be a list of strings (got \"h:1\")",
      "cluster|members|[\"a:1\", 5]|cluster.members[1] must be a string (got 5)",
      "cluster|members|[\"a:1\", \"host\"]|cluster.members[1] must be host:port (got \"host\")",
      "cluster|members|[\"h:0\"]|cluster.members[0] port must be between 1 and 65535 (got \"h:0\")",
      "cluster|members|[\"h:65536\"]|"
          + "cluster.members[0] port must be between 1 and 65535 (got \"h:65536\")",
      "cluster|members|[\":5701\"]|"
          + "cluster.members[0] must be host:port with a non-empty host (got \":5701\")",
      "cluster|members|[\"h:x\"]|cluster.members[0] must be host:port with a numeric port (got \"h:x\")",
      "cluster|members|[\"::1:5701\"]|cluster.members[0] must be host:port with an IPv6 host "
          + "in brackets, as [::1]:5701 (got \"::1:5701\")",
  })
  void badValuesNameTheKey(String group, String key, String jsonValue, String expected) {
    Object value = new JsonObject("{\"v\":" + jsonValue + "}").getValue("v");
    assertEquals("config error: " + expected, error(withSecret(group, key, value)));
  }

  @Test
  void limitsAreInclusive() {
    PhoenixConfig low = ConfigLoader.fromJson(withSecret("limits", "maxFrameBytes", 1024)
        .put("tcp", new JsonObject().put("port", 0))
        .put("cluster", new JsonObject().put("members", new JsonArray().add("[::1]:1")))
        .put("storage", new JsonObject().put("type", "memory")));
    assertEquals(1024, low.limits().maxFrameBytes());
    assertEquals(0, low.tcp().port());
    assertEquals(List.of("[::1]:1"), low.cluster().members());
    PhoenixConfig high = ConfigLoader.fromJson(withSecret("limits", "maxFrameBytes", 16777216)
        .put("retention", new JsonObject().put("seconds", 315360000L))
        .put("cluster", new JsonObject().put("members", new JsonArray().add("h.example:65535")))
        .put("storage", new JsonObject().put("type", "memory")));
    assertEquals(16777216, high.limits().maxFrameBytes());
    assertEquals(315360000L, high.retention().seconds());
  }

  @Test
  void nullValuesCountAsAbsent() {
    JsonObject json = withSecret("tcp", "port", null).put("limits", null);
    PhoenixConfig c = ConfigLoader.fromJson(json);
    assertEquals(TcpOptions.DEFAULT_PORT, c.tcp().port());
    assertEquals(LimitsOptions.defaults(), c.limits());
  }

  @Test
  void recordsBuiltInCodeAreValidatedToo() {
    assertEquals("config error: tcp.port must be between 0 and 65535 (got 70000)",
        error(() -> new TcpOptions("h", 70000)));
    assertEquals("config error: cluster.members[0] must be host:port (got \"x\")",
        error(() -> new ClusterOptions("c", "h", 1, List.of("x"), 1, 0, 10, 1, "")));
    assertEquals("config error: tcp.host is required", error(() -> new TcpOptions(null, 1)));
  }

  /**
   * docs/configuration.md's table of every key against {@link ConfigKey}: the same keys, and for
   * each its environment variable, default, range and (64-bit) integer type.
   */
  @Test
  void theDocumentedKeyTableMatchesConfigKey() throws IOException {
    Path doc = Path.of("..", "docs", "configuration.md");
    Map<String, List<String>> rows = new java.util.LinkedHashMap<>();
    java.util.regex.Pattern row = java.util.regex.Pattern.compile(
        "^\\| `([a-z]+\\.[A-Za-z]+)` \\|([^|]*)\\|([^|]*)\\|([^|]*)\\|([^|]*)\\|");
    for (String line : Files.readAllLines(doc)) {
      java.util.regex.Matcher m = row.matcher(line);
      if (m.find()) {
        rows.put(m.group(1), List.of(m.group(2).strip(), m.group(3).strip(), m.group(4).strip(),
            m.group(5).strip()));
      }
    }
    assertEquals(ConfigKey.keys().stream().map(ConfigKey::path).sorted().toList(),
        rows.keySet().stream().sorted().toList(), "keys of docs/configuration.md");
    for (ConfigKey key : ConfigKey.keys()) {
      List<String> cells = rows.get(key.path());
      String type = cells.get(0);
      String shownDefault = cells.get(1).split("` ")[0].replace("`", "");
      String range = cells.get(2);
      String env = cells.get(3);
      assertTrue(env.startsWith("`" + key.envName() + "`"), key.path() + ": " + env);
      assertEquals(key.type() == ConfigKey.Type.LONG, type.contains("64-bit"),
          key.path() + ": " + type);
      Object def = key.defaultValue();
      String expected = switch (key.type()) {
        case STRING -> "\"" + def + "\"";
        case STRING_LIST -> new JsonArray((List<?>) def).encode();
        default -> String.valueOf(def);
      };
      assertEquals(expected, shownDefault, key.path() + " default");
      if (key.rule() == ConfigKey.Rule.RANGE) {
        String[] ends = range.split(" – ");
        assertEquals(2, ends.length, key.path() + ": " + range);
        long max = ends[1].startsWith("2^") ? 1L << Integer.parseInt(ends[1].substring(2))
            : Long.parseLong(ends[1]);
        assertEquals(List.of(key.min(), key.max()), List.of(Long.parseLong(ends[0]), max),
            key.path() + " range");
      }
    }
  }
}

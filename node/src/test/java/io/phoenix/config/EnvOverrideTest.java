package io.phoenix.config;

import static io.phoenix.config.ConfigLoaderTest.SECRET;
import static io.phoenix.config.ConfigLoaderTest.error;
import static io.phoenix.config.ConfigLoaderTest.withSecret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvOverrideTest {

  static ConfigLoader.Loaded load(JsonObject json, Map<String, String> env) {
    return ConfigLoader.load(json, env, "test.json");
  }

  @Test
  void envNamesAreUpperSnakeOfGroupAndKey() {
    assertEquals("PHOENIX_TCP_PORT", ConfigKey.TCP_PORT.envName());
    assertEquals("PHOENIX_LIMITS_MAX_FRAME_BYTES", ConfigKey.LIMITS_MAX_FRAME_BYTES.envName());
    assertEquals("PHOENIX_HTTP_WEB_SOCKET_PATH", ConfigKey.HTTP_WEB_SOCKET_PATH.envName());
    assertEquals("PHOENIX_NODE_ID", ConfigKey.NODE_ID.envName());
    Set<String> squashed = new HashSet<>();
    for (ConfigKey key : ConfigKey.keys()) {
      assertTrue(squashed.add(key.envName().replace("_", "")), key.envName());
      assertEquals(key, ConfigKey.byEnvName(key.envName()).orElseThrow());
    }
  }

  @Test
  void overridesIntStringAndListKeys() {
    ConfigLoader.Loaded loaded = load(withSecret("tcp", "port", 4100), Map.of(
        "PHOENIX_TCP_PORT", "4200",
        "PHOENIX_NODE_ID", "node-7",
        "PHOENIX_HTTP_WEB_SOCKET_PATH", "/ws",
        "PHOENIX_RETENTION_SECONDS", "3600",
        "PHOENIX_CLUSTER_MEMBERS", " 10.0.0.1:5701 , [::1]:5702,h:1",
        "PHOENIX_STORAGE_TYPE", "memory",
        "LANG", "C.UTF-8"));
    PhoenixConfig c = loaded.config();
    assertEquals(List.of(), loaded.warnings());
    assertEquals(4200, c.tcp().port());
    assertEquals("node-7", c.node().id());
    assertEquals("/ws", c.http().webSocketPath());
    assertEquals(3600L, c.retention().seconds());
    assertEquals(List.of("10.0.0.1:5701", "[::1]:5702", "h:1"), c.cluster().members());
    assertEquals("memory", c.storage().type());
  }

  @Test
  void bothNameFormsAndAnyCaseWork() {
    assertEquals(2048, load(withSecret(), Map.of("PHOENIX_LIMITS_MAX_FRAME_BYTES", "2048"))
        .config().limits().maxFrameBytes());
    assertEquals(4096, load(withSecret(), Map.of("PHOENIX_LIMITS_MAXFRAMEBYTES", "4096"))
        .config().limits().maxFrameBytes());
    assertEquals(8192, load(withSecret(), Map.of("phoenix_limits_maxFrameBytes", "8192"))
        .config().limits().maxFrameBytes());
  }

  @Test
  void canonicalNameWinsWhenBothFormsAreSet() {
    ConfigLoader.Loaded loaded = load(withSecret(), Map.of(
        "PHOENIX_LIMITS_MAX_FRAME_BYTES", "2048", "PHOENIX_LIMITS_MAXFRAMEBYTES", "4096"));
    assertEquals(2048, loaded.config().limits().maxFrameBytes());
    assertEquals(List.of("ignoring environment variable PHOENIX_LIMITS_MAXFRAMEBYTES: "
        + "PHOENIX_LIMITS_MAX_FRAME_BYTES also sets limits.maxFrameBytes"), loaded.warnings());
  }

  @Test
  void envSuppliesTheRequiredSecret() {
    ConfigLoader.Loaded loaded = load(new JsonObject(), Map.of("PHOENIX_AUTH_JWT_SECRET", SECRET));
    assertEquals(SECRET, loaded.config().auth().jwtSecret());
    assertEquals(List.of(), loaded.warnings());
  }

  @Test
  void badEnvValuesNameTheVariableAndKey() {
    assertEquals("config error: PHOENIX_TCP_PORT (tcp.port) must be an integer (got \"x\")",
        error(() -> load(withSecret(), Map.of("PHOENIX_TCP_PORT", "x"))));
    assertEquals("config error: PHOENIX_TCP_PORT (tcp.port) must be an integer (got \"1.5\")",
        error(() -> load(withSecret(), Map.of("PHOENIX_TCP_PORT", "1.5"))));
    assertEquals("config error: PHOENIX_TCP_PORT (tcp.port) must be between 0 and 65535 "
        + "(got 70000)", error(() -> load(withSecret(), Map.of("PHOENIX_TCP_PORT", "70000"))));
    assertEquals("config error: PHOENIX_CLUSTER_MEMBERS (cluster.members[1]) must be host:port "
        + "(got \"b\")",
        error(() -> load(withSecret(), Map.of("PHOENIX_CLUSTER_MEMBERS", "a:1,b"))));
    assertEquals("config error: PHOENIX_CLUSTER_MEMBERS (cluster.members) must not be empty",
        error(() -> load(withSecret(), Map.of("PHOENIX_CLUSTER_MEMBERS", " "))));
    assertEquals("config error: PHOENIX_HTTP_WEB_SOCKET_PATH (http.webSocketPath) must start "
        + "with \"/\" (got \"ws\")",
        error(() -> load(withSecret(), Map.of("PHOENIX_HTTP_WEB_SOCKET_PATH", "ws"))));
  }

  @Test
  void authRulesNameTheVariableToo() {
    // these two were checked in AuthOptions, which does not know where a value came from
    assertEquals("config error: PHOENIX_AUTH_JWT_SECRET (auth.jwtSecret) must not be blank",
        error(() -> load(withSecret(), Map.of("PHOENIX_AUTH_JWT_SECRET", "   "))));
    assertEquals("config error: PHOENIX_AUTH_JWKS_URL (auth.jwksUrl) must be an http:// or "
        + "https:// URL (got \"ftp://idp\")",
        error(() -> load(withSecret(), Map.of("PHOENIX_AUTH_JWKS_URL", "ftp://idp"))));
    assertEquals("config error: auth.jwksUrl must be an http:// or https:// URL (got \"idp\")",
        error(() -> load(withSecret().put("auth", new JsonObject().put("jwksUrl", "idp")),
            Map.of())));
  }

  @Test
  void aLogLevelLogbackWouldReadAsDebugIsRefused() {
    for (String level : List.of("TRACE", "debug", "Info", " WARN ", "error", "OFF")) {
      assertEquals(List.of(), load(withSecret(), Map.of("PHOENIX_LOG_LEVEL", level)).warnings());
    }
    assertEquals("config error: PHOENIX_LOG_LEVEL must be TRACE, DEBUG, INFO, WARN or ERROR "
        + "(got \"WARNING\")",
        error(() -> load(withSecret(), Map.of("PHOENIX_LOG_LEVEL", "WARNING"))));
    assertEquals("config error: PHOENIX_LOG_LEVEL must be TRACE, DEBUG, INFO, WARN or ERROR "
        + "(got \"\")", error(() -> load(withSecret(), Map.of("PHOENIX_LOG_LEVEL", ""))));
    assertEquals(List.of(), load(withSecret(), Map.of("PHOENIX_LOG_FORMAT", "anything"))
        .warnings());
  }

  @Test
  void unknownPhoenixVariablesAreWarnings() {
    ConfigLoader.Loaded loaded = load(withSecret(), Map.of(
        "PHOENIX_FOO", "1", "PHOENIX_TCP_PROT", "1", "TERM", "dumb"));
    assertEquals(List.of("ignoring environment variable PHOENIX_FOO: no such key",
        "ignoring environment variable PHOENIX_TCP_PROT: no such key"), loaded.warnings());
    assertEquals(TcpOptions.defaults(), loaded.config().tcp());
  }

  @Test
  void shortSecretFromEnvWarns() {
    ConfigLoader.Loaded loaded = load(withSecret(), Map.of("PHOENIX_AUTH_JWT_SECRET", "short"));
    assertEquals(List.of(ConfigLoaderTest.SHORT_SECRET_WARNING), loaded.warnings());
  }
}

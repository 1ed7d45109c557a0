package io.phoenix.config;

import static io.phoenix.config.ConfigLoaderTest.error;
import static io.phoenix.config.ConfigLoaderTest.withSecret;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code tls} group as the loader reads it: required files, unreadable files, defaults. */
class TlsConfigTest {
  @TempDir Path dir;

  static JsonObject withTls(JsonObject tls) {
    return withSecret().put("tls", tls);
  }

  @Test
  void offByDefault() {
    assertEquals(TlsOptions.defaults(), ConfigLoader.fromJson(withSecret()).tls());
  }

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "http"})
  void aListenerOnTlsNeedsTheCertificateFile(String listener) {
    assertEquals("config error: tls.certFile is required when tls.tcp or tls.http is true",
        error(withTls(new JsonObject().put(listener, true))));
  }

  @Test
  void aListenerOnTlsNeedsTheKeyFile() throws IOException {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    assertEquals("config error: tls.keyFile is required when tls.tcp or tls.http is true",
        error(withTls(new JsonObject().put("http", true).put("certFile", cert.toString()))));
  }

  @Test
  void tlsSwitchedOnFromTheEnvironmentNeedsTheFilesToo() {
    assertEquals("config error: tls.certFile is required when tls.tcp or tls.http is true",
        error(() -> ConfigLoader.load(withSecret(), Map.of("PHOENIX_TLS_TCP", "true"), "t")));
  }

  @Test
  void unreadableFilesAreNamedByTheirKey() throws IOException {
    Path present = Files.writeString(dir.resolve("present.pem"), "x");
    Path missing = dir.resolve("missing.pem");
    assertEquals("config error: tls.certFile cannot be read: " + missing,
        error(withTls(new JsonObject().put("tcp", true).put("certFile", missing.toString())
            .put("keyFile", present.toString()))));
    assertEquals("config error: tls.keyFile cannot be read: " + missing,
        error(withTls(new JsonObject().put("tcp", true).put("certFile", present.toString())
            .put("keyFile", missing.toString()))));
  }

  @Test
  void filesAreNotNeededWhileTlsIsOff() {
    TlsOptions tls = ConfigLoader.fromJson(withTls(new JsonObject().put("tcp", false)
        .put("certFile", dir.resolve("missing.pem").toString()))).tls();
    assertEquals(false, tls.enabled());
  }

  @Test
  void bothListenersFromOnePair() throws IOException {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    Path key = Files.writeString(dir.resolve("key.pem"), "y");
    TlsOptions tls = ConfigLoader.fromJson(withTls(new JsonObject().put("tcp", true)
        .put("http", true).put("certFile", cert.toString()).put("keyFile", key.toString()))).tls();
    assertEquals(new TlsOptions(true, true, cert.toString(), key.toString()), tls);
  }
}

package io.phoenix.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The page at / in a real browser: starts a node with development tokens, then runs
 * {@code web/test/dashboard.test.mjs} (Node.js, playwright-core driving the system's headless
 * Chromium), where alice and bob sign in on two pages, chat, see the ✓ / ✓✓ / read marks, and
 * the dashboard counts them; it saves {@code target/dashboard.png}.
 *
 * <p>Skipped when Chromium ({@code /usr/bin/chromium}, or {@code $CHROMIUM}) or Node.js 20+ is
 * missing, or when the page was not built; CI installs both and builds it.
 */
class DashboardBrowserIT {
  private static final Path WEB = Path.of("..", "web").toAbsolutePath().normalize();
  private static final Path TARGET = Path.of("target").toAbsolutePath();
  private static final long TIMEOUT_SECONDS = 120;

  @Test
  void twoUsersChatAndTheDashboardCountsThem() throws Exception {
    Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    assumeTrue(Files.isExecutable(chromium), "no Chromium at " + chromium);
    int node = nodeMajorVersion();
    assumeTrue(node >= 20, "playwright-core needs Node.js 20 or newer; found "
        + (node < 0 ? "none" : "version " + node));
    assumeTrue(getClass().getClassLoader().getResource(AdminRoutes.WEBROOT + "/index.html") != null,
        "the page was not built (mvn -Dweb.skip)");
    assertTrue(Files.isDirectory(WEB.resolve("node_modules/playwright-core")),
        "web/node_modules/playwright-core is missing: the build runs npm ci in web/");

    JsonObject config = TestNode.config();
    config.getJsonObject("auth").put("devTokens", true);
    try (TestNode phoenix = TestNode.start(config)) {
      Files.createDirectories(TARGET);
      Path screenshot = TARGET.resolve("dashboard.png");
      Path log = TARGET.resolve("dashboard-test.log");
      Files.deleteIfExists(screenshot);
      Process p = new ProcessBuilder("node", "test/dashboard.test.mjs",
          "http://127.0.0.1:" + phoenix.httpPort(), screenshot.toString())
          .directory(WEB.toFile())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      p.getOutputStream().close();
      boolean done = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!done) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println(output);
      if (!done) {
        fail("the browser test did not finish within " + TIMEOUT_SECONDS + " s:\n" + output);
      }
      assertEquals(0, p.exitValue(), () -> "the browser test failed:\n" + output);
      assertTrue(Files.size(screenshot) > 10_000, "a screenshot of the page was saved");
    }
  }

  /** Major version of {@code node} on the PATH, or -1 when there is none. */
  private static int nodeMajorVersion() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return -1;
      }
      Matcher m = Pattern.compile("v(\\d+)\\.").matcher(out);
      return m.find() ? Integer.parseInt(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    }
  }
}

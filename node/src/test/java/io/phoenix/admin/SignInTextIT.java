package io.phoenix.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.testing.TempTree;
import io.phoenix.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The page's sign-in text in a real browser (headless Chromium prints the page's DOM once its
 * scripts ran): "Sign in as any eid" only on a node that signs development tokens for anyone;
 * otherwise it asks for a token. Skipped without Chromium or without the built page.
 */
class SignInTextIT {
  private static final Pattern HINT = Pattern.compile("data-testid=\"signin-hint\">([^<]*)<");
  private static final long TIMEOUT_SECONDS = 60;

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void theTextMatchesWhetherDevelopmentTokensAreOn(boolean devTokens) throws Exception {
    Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    assumeTrue(Files.isExecutable(chromium), "no Chromium at " + chromium);
    assumeTrue(getClass().getClassLoader().getResource(AdminRoutes.WEBROOT + "/index.html")
        != null, "the page was not built (mvn -Dweb.skip)");
    JsonObject config = TestNode.config();
    config.getJsonObject("auth").put("devTokens", devTokens);
    try (TestNode node = TestNode.start(config)) {
      String dom = dumpDom(chromium, "http://127.0.0.1:" + node.httpPort() + "/");
      Matcher m = HINT.matcher(dom);
      if (!m.find()) {
        fail("no sign-in text in the page:\n" + dom);
      }
      assertEquals(devTokens
          ? "Sign in as any eid to send messages through this node over WebSocket."
          : "Sign in with a token for your eid (java -jar phoenix.jar token EID) to send "
              + "messages through this node over WebSocket.", m.group(1));
    }
  }

  /** The DOM after the page's scripts ran (a few seconds of the page's own time). */
  private static String dumpDom(Path chromium, String url) throws IOException,
      InterruptedException {
    Path profile = Files.createTempDirectory("phoenix-chromium-");
    Path out = Files.createTempFile("phoenix-dom-", ".html");
    Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile,
        "--virtual-time-budget=5000", "--dump-dom", url)
        .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("Chromium did not print the page within " + TIMEOUT_SECONDS + " s");
      }
      return Files.readString(out, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(out);
      TempTree.delete(profile);
    }
  }
}

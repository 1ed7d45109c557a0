package io.phoenix.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Message;
import io.phoenix.testing.Chromium;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page at / in a real browser: a node with development tokens, and alice and bob each in a
 * headless Chromium of the system (Selenium through chromedriver, see {@link Chromium}). Alice
 * writes while bob is offline (✓), bob signs in and catches up (✓✓), opens the conversation
 * (read), answers live, loses his connection, writes while offline (pending) and catches up
 * again; the dashboard counts both users and the messages, and shows what the embedded store
 * committed, its latency histogram and its size. No page error, console error, failed
 * request or request to another origin is allowed. Saves {@code target/dashboard.png}.
 *
 * <p>Skipped, with one line saying why, when Chromium or chromedriver is missing; .ci/run
 * installs both.
 */
class DashboardBrowserIT {
  private static final Duration STEP = Duration.ofSeconds(20);
  /** Where a page held "offline" by the test tries to reconnect. */
  private static final String OFFLINE_URL = "ws://127.0.0.1:9/offline";
  /** Lets the test cut a page's WebSocket and hold its reconnection ({@code phoenixTest}). */
  private static final String HOLD_SOCKETS = """
      (() => {
        const Native = window.WebSocket;
        const test = { sockets: [], urls: [], offline: false };
        window.phoenixTest = test;
        window.WebSocket = class extends Native {
          constructor(url, protocols) {
            super(test.offline ? '%s' : url, protocols);
            test.urls.push(String(url));
            test.sockets.push(this);
          }
        };
      })();
      """.formatted(OFFLINE_URL);
  private static final Path TARGET = Path.of("target").toAbsolutePath();
  private static final long STARTED = System.nanoTime();

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void twoUsersChatAndTheDashboardCountsThem() throws Exception {
    Optional<String> missing = Chromium.missing();
    if (missing.isPresent()) {
      System.err.println("DashboardBrowserIT skipped: " + missing.get());
    }
    assumeTrue(missing.isEmpty(), () -> missing.orElse(""));

    JsonObject config = TestNode.config();
    config.getJsonObject("auth").put("devTokens", true);
    Files.createDirectories(TARGET);
    Path screenshot = TARGET.resolve("dashboard.png");
    Files.deleteIfExists(screenshot);
    List<String> problems = new ArrayList<>();
    try (TestNode phoenix = TestNode.start(config);
        Chromium aliceBrowser = Chromium.start(1360, 820, TARGET.resolve("chromedriver-alice.log"));
        Chromium bobBrowser = Chromium.start(1360, 820, TARGET.resolve("chromedriver-bob.log"))) {
      String base = "http://127.0.0.1:" + phoenix.httpPort();
      log("chromium " + aliceBrowser.driver().getCapabilities().getBrowserVersion() + " started");
      Page alice = new Page("alice", aliceBrowser, base);
      Page bob = new Page("bob", bobBrowser, base);
      try {
        // alice writes to bob while he is offline: stored and accepted (✓), not delivered
        alice.signIn();
        alice.fill("peer-eid", "bob");
        alice.click("open-conversation");
        alice.send("Hello Bob, it is Alice");
        alice.mine("Hello Bob, it is Alice", "accepted");
        log("alice: ✓ accepted while bob is offline");

        // bob signs in: SYNC and PULL_REQUEST bring the message; he has not opened it yet, so
        // it is delivered (✓✓) but not read
        bob.signIn();
        String fromAlice = "[data-testid=conversation-item][data-peer=alice]";
        String unread = fromAlice + " [data-testid=unread]";
        log("bob: conversation with alice listed, unread " + bob.visible(unread).getText());
        alice.mine("Hello Bob", "delivered");
        log("alice: ✓✓ delivered");

        // bob opens the conversation: he sees the message, and alice sees it read
        bob.visible(fromAlice).click();
        bob.mine("Hello Bob, it is Alice", "received");
        log("bob: sees the message");
        alice.mine("Hello Bob", "read");
        log("alice: read");
        bob.gone(unread);

        // and back, live this time (pushed to alice, who has the conversation open)
        bob.send("Hi Alice!");
        alice.mine("Hi Alice!", "received");
        bob.mine("Hi Alice!", "read");
        log("bob → alice: received and read");

        // bob loses his connection; meanwhile alice writes twice and bob once (pending …).
        // Back online, SYNC and PULL_REQUEST bring what he missed and his message goes out.
        bob.script("window.phoenixTest.offline = true;"
            + " window.phoenixTest.sockets.forEach((s) => s.close());");
        bob.visible("[data-testid=state][data-state=offline]");
        log("bob: offline");
        alice.send("Are you there?");
        alice.send("Call me");
        alice.mine("Call me", "accepted");
        bob.send("Back in a minute");
        bob.mine("Back in a minute", "pending");
        bob.script("window.phoenixTest.offline = false;");
        bob.visible("[data-testid=state][data-state=online]");
        log("bob: online again");
        bob.mine("Are you there?", "received");
        bob.mine("Call me", "received");
        alice.mine("Call me", "read");
        alice.mine("Back in a minute", "received");
        bob.mine("Back in a minute", "read");
        log("bob caught up after reconnecting; his pending message was sent and read");

        // the dashboard counts both users and the messages (it polls every 2 s)
        Object figures = alice.until("""
            const n = (id) => Number(document.querySelector(`[data-testid=${id}]`)
                ?.textContent.replace(/,/g, ''));
            const f = { sessions: n('stat-sessions'), connections: n('stat-connections'),
                        accepted: n('accepted') };
            return f.sessions >= 2 && f.connections >= 2 && f.accepted >= 5 ? f : null;
            """);
        log("dashboard: " + figures);
        // and its card shows the embedded store: what it committed (the messages since the page
        // opened in the latency histogram and the mean batch), and the database's size
        Object store = alice.until("""
            const q = (id) => document.querySelector(`[data-testid=node-card] [data-testid=${id}]`);
            const n = (id) => Number(q(id)?.textContent.replace(/,/g, ''));
            const buckets = [...document.querySelectorAll(
                '[data-testid=node-card] [data-testid=latency-bucket]')];
            const f = { type: q('store-type')?.textContent, committed: n('store-committed'),
                        commits: n('store-commits'), loaded: n('store-loaded'),
                        evicted: n('store-evicted'), batch: n('stat-store-batch'),
                        p99: q('stat-store-p99')?.textContent, disk: q('stat-store-disk')?.textContent,
                        rate: q('stat-store-rate')?.textContent,
                        buckets: buckets.length,
                        inHistogram: buckets.reduce((a, b) => a + Number(b.dataset.count), 0),
                        caption: q('store-latency')?.querySelector('figcaption').textContent };
            return f.type === 'embedded' && f.committed >= 5 && f.commits >= 1 && f.loaded >= 1
                && f.batch > 0 && f.inHistogram >= 1 && /^[0-9.]+ (B|KiB|MiB|GiB)$/.test(f.disk)
                ? f : null;
            """);
        log("store: " + store);
        @SuppressWarnings("unchecked")
        Map<String, Object> shown = (Map<String, Object>) store;
        assertEquals(12L, shown.get("buckets"), "latency buckets: " + shown);
        assertEquals(0L, shown.get("evicted"), "nothing was idle for two minutes: " + shown);
        assertTrue(String.valueOf(shown.get("p99")).matches("[0-9.,]+ ms"), shown::toString);
        assertTrue(String.valueOf(shown.get("caption")).startsWith("commit latency (ms), last"),
            shown::toString);
        alice.screenshot(screenshot);
        log("screenshot: " + screenshot);
      } finally {
        problems.addAll(alice.problems());
        problems.addAll(bob.problems());
      }
    }
    assertEquals(List.of(), problems, "page errors, console errors or foreign requests");
    assertTrue(Files.size(screenshot) > 10_000, "a screenshot of the page was saved");
    log("dashboard test passed");
  }

  /**
   * A page whose development token expires while it is signed in: the node ends the session
   * with {@code Goodbye{401, "token expired"}} (PROTOCOL.md §3), and the page, instead of
   * showing the sign-in form again, opens a new session with a fresh token from
   * {@code /api/dev-token}. With tokens of 3 s and no clock skew allowed that happens every few
   * seconds; after two such ends, a message still goes out and one still comes in, and a
   * reload of the tab (the token it kept long expired) signs in again.
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aSessionWhoseTokenExpiresComesBackWithAFreshToken() throws Exception {
    Optional<String> missing = Chromium.missing();
    assumeTrue(missing.isEmpty(), () -> missing.orElse(""));
    JsonObject config = TestNode.config();
    config.getJsonObject("auth").put("devTokens", true).put("tokenTtlSeconds", 3)
        .put("clockSkewSeconds", 0);
    List<String> problems = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try (TestNode phoenix = TestNode.start(config);
        Chromium browser = Chromium.start(1360, 820, TARGET.resolve("chromedriver-expiry.log"));
        TestClient bob = TestClient.login(vertx, Transport.TCP, phoenix, "bob", "phone")) {
      Page alice = new Page("alice", browser, "http://127.0.0.1:" + phoenix.httpPort());
      try {
        alice.signIn();
        // every text the session's state shows, from now on
        alice.script("""
            const state = document.querySelector('[data-testid=state]');
            window.phoenixStates = [];
            new MutationObserver(() => window.phoenixStates.push(state.textContent))
                .observe(state, { childList: true, characterData: true, subtree: true });
            """);
        Object ends = alice.until("""
            const expired = window.phoenixStates.filter((t) => t.includes('401 token expired'));
            return expired.length >= 2
                && document.querySelector('[data-testid=state]').dataset.state === 'online'
                && !document.querySelector('[data-testid=session]').hidden
                ? window.phoenixTest.sockets.length : null;
            """);
        log("alice: back online after two sessions ended by their token's expiry (" + ends
            + " sockets)");
        assertTrue(browser.driver().findElement(By.cssSelector("[data-testid=signin]"))
            .getAttribute("hidden") != null, "the sign-in form stays hidden");

        alice.fill("peer-eid", "bob");
        alice.click("open-conversation");
        alice.send("Still here, Bob");
        Message m = bob.nextMessage();
        assertEquals("alice", m.getPeer().getFrom());
        assertEquals("Still here, Bob", m.getPayload().toStringUtf8());
        alice.mine("Still here, Bob", "accepted", "delivered", "read");
        bob.send(TestClient.message("to-alice", "alice")
            .setPayload(ByteString.copyFromUtf8("Hi Alice, still here too")).build());
        alice.mine("Hi Alice, still here too", "received");
        log("alice ↔ bob after the expiries: sent and received");

        // a reload of the tab signs in again with a fresh token: the one it kept has expired
        browser.driver().navigate().refresh();
        alice.visible("[data-testid=state][data-state=online]");
        assertTrue(browser.driver().findElement(By.cssSelector("[data-testid=signin]"))
            .getAttribute("hidden") != null, "signed in again after the reload");
        log("alice: signed in again after a reload, her saved token expired");
      } finally {
        problems.addAll(alice.problems());
      }
    } finally {
      vertx.close();
    }
    assertEquals(List.of(), problems, "page errors, console errors or foreign requests");
  }

  private static void log(String line) {
    System.out.printf("[%.1fs] %s%n", (System.nanoTime() - STARTED) / 1e9, line);
  }

  /** One user's page, with Playwright-like steps: each waits up to {@link #STEP}. */
  private static final class Page {
    private final String eid;
    private final Chromium browser;
    private final ChromeDriver driver;
    private final String base;
    private final List<String> consoleErrors = new ArrayList<>();

    Page(String eid, Chromium browser, String base) {
      this.eid = eid;
      this.browser = browser;
      this.driver = browser.driver();
      this.base = base;
      browser.beforeEveryPage(HOLD_SOCKETS);
    }

    /** Opens the page, waits for the dashboard, signs in with a development token. */
    void signIn() {
      driver.get(base);
      visible("[data-testid=node-card]");
      fill("signin-eid", eid);
      click("signin-button");
      visible("[data-testid=state][data-state=online]");
      log(eid + " is online");
    }

    void send(String text) {
      fill("composer-text", text);
      click("send");
    }

    void fill(String testId, String text) {
      WebElement input = clickable(testId);
      input.clear();
      input.sendKeys(text);
    }

    void click(String testId) {
      clickable(testId).click();
    }

    private WebElement clickable(String testId) {
      return waiting().until(ExpectedConditions.elementToBeClickable(
          By.cssSelector("[data-testid=" + testId + "]")));
    }

    WebElement visible(String css) {
      return waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    void gone(String css) {
      waiting().until(d -> d.findElements(By.cssSelector(css)).isEmpty());
    }

    /** Waits until the last of this page's messages with {@code text} has one of the statuses. */
    void mine(String text, String... statuses) {
      String css = String.join(", ", java.util.Arrays.stream(statuses)
          .map(s -> "[data-testid=message][data-status=" + s + "]").toList());
      until("""
          const [css, text] = arguments;
          const found = [...document.querySelectorAll(css)]
              .filter((m) => m.textContent.includes(text));
          const last = found[found.length - 1];
          return last && last.checkVisibility() ? true : null;
          """, css, text);
    }

    /** Runs {@code body} until it returns something other than null or false; returns that. */
    Object until(String body, Object... args) {
      return waiting().until(d -> {
        Object r = driver.executeScript(body, args);
        return Boolean.FALSE.equals(r) ? null : r;
      });
    }

    void script(String source) {
      driver.executeScript(source);
    }

    void screenshot(Path file) throws java.io.IOException {
      Number height = (Number) driver.executeScript(
          "return document.documentElement.scrollHeight;");
      driver.manage().window().setSize(new Dimension(1360, Math.max(820, height.intValue())));
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    }

    private WebDriverWait waiting() {
      WebDriverWait wait = new WebDriverWait(driver, STEP);
      wait.ignoring(StaleElementReferenceException.class);
      return wait;
    }

    /** Console errors (the reconnections held back on purpose excepted), foreign requests. */
    List<String> problems() {
      List<String> out = new ArrayList<>();
      try {
        consoleErrors.addAll(browser.consoleErrors());
        for (String e : consoleErrors) {
          if (!e.contains(OFFLINE_URL)) {
            out.add(eid + ": console error: " + e);
          }
        }
        @SuppressWarnings("unchecked")
        Map<String, List<String>> requests = (Map<String, List<String>>) driver.executeScript(
            "return { http: performance.getEntriesByType('resource').map((e) => e.name),"
                + " ws: window.phoenixTest ? window.phoenixTest.urls : [] };");
        String ws = base.replaceFirst("^http", "ws");
        requests.get("http").stream().filter(u -> !u.startsWith(base + "/"))
            .forEach(u -> out.add(eid + ": request to another origin: " + u));
        requests.get("ws").stream().filter(u -> !u.startsWith(ws + "/"))
            .forEach(u -> out.add(eid + ": WebSocket to another origin: " + u));
      } catch (RuntimeException e) {
        out.add(eid + ": could not read the browser's log: " + e);
      }
      return out;
    }
  }
}

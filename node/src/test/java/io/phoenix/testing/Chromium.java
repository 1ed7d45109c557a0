package io.phoenix.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * One headless Chromium of the system (Debian's {@code chromium}), driven through the system's
 * {@code chromedriver} with Selenium, on a fresh profile that is deleted on {@link #close()}.
 * Nothing is downloaded: the browser and its driver are named by path ({@code $CHROMIUM},
 * default {@code /usr/bin/chromium}; {@code $CHROMEDRIVER}, default {@code /usr/bin/chromedriver})
 * and the browser's own network services are off.
 *
 * <p>Threading: a WebDriver session is not thread-safe; use one instance from one thread.
 */
public final class Chromium implements AutoCloseable {
  public static final Path BROWSER =
      Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
  public static final Path DRIVER =
      Path.of(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver"));

  private final ChromeDriver driver;
  private final Path profile;

  private Chromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** @return why no browser can be started here (one line), or empty when one can */
  public static Optional<String> missing() {
    List<String> absent = new ArrayList<>();
    if (!Files.isExecutable(BROWSER)) {
      absent.add("Chromium at " + BROWSER + " ($CHROMIUM)");
    }
    if (!Files.isExecutable(DRIVER)) {
      absent.add("chromedriver at " + DRIVER + " ($CHROMEDRIVER)");
    }
    return absent.isEmpty() ? Optional.empty()
        : Optional.of("no " + String.join(" and no ", absent)
            + " (Debian: apt-get install chromium chromium-driver)");
  }

  /**
   * Starts a browser with a {@code width} x {@code height} window; chromedriver's log goes to
   * {@code driverLog}.
   */
  public static Chromium start(int width, int height, Path driverLog) throws IOException {
    Path profile = Files.createTempDirectory("phoenix-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    // root in a container needs --no-sandbox; the network is closed, so nothing phones home
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile, "--window-size=" + width + "," + height);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(driverLog.toFile())
        .build();
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
      return new Chromium(driver, profile);
    } catch (RuntimeException e) {
      TempTree.delete(profile);
      throw e;
    }
  }

  public ChromeDriver driver() {
    return driver;
  }

  /** Runs {@code source} in every document this browser loads from now on, before its scripts. */
  public void beforeEveryPage(String source) {
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", source));
  }

  /** @return the browser console's errors (uncaught exceptions, failed loads, console.error) */
  public List<String> consoleErrors() {
    List<String> errors = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
        errors.add(e.getMessage());
      }
    }
    return errors;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      TempTree.delete(profile);
    }
  }
}

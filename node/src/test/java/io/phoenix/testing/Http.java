package io.phoenix.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plain HTTP GETs for tests, each bounded by one deadline over the whole exchange (connect,
 * headers and body): {@link HttpRequest.Builder#timeout} alone stops at the headers, so a body
 * that never ends would block a test forever.
 *
 * <p>Thread-safe.
 */
public final class Http {
  /** Deadline of one exchange. */
  public static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  private Http() {}

  /** GETs {@code url} and returns the response with its body as text. */
  public static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return get(CLIENT, url);
  }

  /**
   * The value of one series in a Prometheus text page ({@code /metrics}), named as it appears
   * there with its labels, e.g. {@code phoenix_rejections_total{status="429"}}; fails the test
   * when the page has no such line.
   */
  public static double metric(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
    org.junit.jupiter.api.Assertions.assertTrue(m.find(), () -> "no metric line " + series);
    return Double.parseDouble(m.group(1));
  }

  /** Like {@link #get(String)}, through the given client (e.g. a new one: a new connection). */
  public static HttpResponse<String> get(HttpClient client, String url)
      throws IOException, InterruptedException {
    return send(client, url, HttpRequest.newBuilder(URI.create(url)));
  }

  /** Like {@link #get(String)}, with request headers: name, value, name, value… */
  public static HttpResponse<String> getWith(String url, String... headers)
      throws IOException, InterruptedException {
    return send(CLIENT, url, HttpRequest.newBuilder(URI.create(url)).headers(headers));
  }

  private static HttpResponse<String> send(HttpClient client, String url,
      HttpRequest.Builder request) throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<String>> exchange = client.sendAsync(
        request.timeout(DEADLINE).GET().build(), HttpResponse.BodyHandlers.ofString());
    try {
      return exchange.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw new IOException("GET " + url + " did not complete within " + DEADLINE, e);
    } catch (ExecutionException e) {
      throw new IOException("GET " + url + " failed: " + e.getCause(), e.getCause());
    }
  }
}

package io.phoenix.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP port as a hostile or unusual client sees it, over raw sockets: methods other than
 * GET, and clients that take their time.
 */
class HttpPortTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  /** limits.helloTimeoutMs of the node under test. */
  static final int HELLO_TIMEOUT_MS = 1_500;
  static TestNode node;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("helloTimeoutMs", HELLO_TIMEOUT_MS);
    config.put("storage", new JsonObject().put("type", "memory"));
    node = nodes.start(config);
  }

  /** A raw connection to the HTTP port. */
  private static Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", node.httpPort());
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  /** The head of the next answer on {@code in}, through its blank line, as text. */
  private static String head(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the connection ended in a head: " + out);
      }
      out.write(b);
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static int status(String head) {
    return Integer.parseInt(head.substring(9, 12));
  }

  private static String header(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  /**
   * HEAD is answered wherever GET is, with the same header fields and no body (RFC 9110
   * 9.3.2), so that a monitor or load balancer that checks with HEAD sees the probes as they
   * are. Before, only the page's files answered HEAD (the probes, /metrics and the API answered
   * 404); then the files' and error pages' HEAD answers had no content type, and the probes',
   * the metrics' and the API's no length.
   */
  @Test
  void headIsAnsweredWhereverGetIs() throws IOException {
    String[] paths = {"/health/live", "/health/ready", "/metrics", "/api/stats", "/api/cluster",
        "/api/info", "/api/dev-token?eid=alice", "/", "/phoenix.proto", "/index.html",
        "/no-such-file.js"};
    // bodies that are the same from one request to the next: the same length on HEAD
    List<String> fixed = List.of("/health/live", "/api/info", "/", "/phoenix.proto",
        "/index.html", "/no-such-file.js");
    try (Socket socket = connect()) {
      InputStream in = socket.getInputStream();
      for (String path : paths) {
        send(socket, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String get = head(in);
        int length = Integer.parseInt(header(get, "content-length"));
        in.skipNBytes(length);
        send(socket, "HEAD " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String answer = head(in);
        assertEquals(status(get), status(answer), "HEAD " + path + ": " + answer);
        assertNotNull(header(get, "content-type"), path);
        assertEquals(header(get, "content-type"), header(answer, "content-type"), path);
        if (status(get) == 200) {
          assertNotNull(header(answer, "content-length"), "HEAD " + path + ": " + answer);
        }
        if (fixed.contains(path) && status(get) == 200) {
          assertEquals(header(get, "content-length"), header(answer, "content-length"), path);
        }
      }
      // no body came after the last HEAD's head: the next answer follows at once
      send(socket, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, status(head(in)));
    }
  }

  /**
   * A request's method is any token the client makes up, and Vert.x's HTTP meters label their
   * series with it: every new name was a new set of series, kept for the life of the process
   * and written into every scrape (20,000 made-up methods grew /metrics from 40 KB to several
   * MB). Methods outside RFC 9110's are now counted as {@code method="other"}.
   */
  @Test
  void madeUpMethodsDoNotGrowTheMetrics() throws Exception {
    try (Socket socket = connect()) {
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 50; i++) {
        send(socket, "MADEUP" + i + " /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String answer = head(in);
        String length = header(answer, "content-length");
        in.skipNBytes(length == null ? 0 : Integer.parseInt(length));
      }
      send(socket, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      String answer = head(in);
      String text = new String(in.readNBytes(Integer.parseInt(header(answer, "content-length"))),
          StandardCharsets.UTF_8);
      assertTrue(!text.toUpperCase(Locale.ROOT).contains("METHOD=\"MADEUP"),
          "made-up methods are labels of their own");
      assertTrue(text.contains("vertx_http_server_requests_total{code=\"405\",method=\"other\"} 50"),
          "made-up methods are counted as other");
      assertTrue(text.contains("method=\"GET\""), "GET keeps its name");
    }
  }

  /**
   * No route takes a body. A request with one is answered, then the connection ends at once
   * instead of waiting for the rest of the body: before, a client that announced a body and
   * sent a byte of it now and then held its connection (and its three sockets) forever, the
   * idle timeout being reset by every byte.
   */
  @Test
  void aRequestWithABodyIsAnsweredThenTheConnectionEnds() throws IOException {
    String[] requests = {
        "POST /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nab",
        "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n",
        "PUT /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab",
    };
    for (String request : requests) {
      try (Socket socket = connect()) {
        socket.setSoTimeout(5_000);
        InputStream in = socket.getInputStream();
        send(socket, request);
        String answer = head(in);
        assertTrue(status(answer) == 200 || status(answer) == 405, answer);
        in.skipNBytes(Integer.parseInt(header(answer, "content-length")));
        try {
          assertEquals(-1, in.read(), "then the connection ends: " + request);
        } catch (SocketTimeoutException e) {
          throw new AssertionError("the connection is still open 5 s after the answer to "
              + request, e);
        }
        assertEquals("close", header(answer, "connection"), answer);
      }
    }
    // a request without a body keeps its connection
    try (Socket socket = connect()) {
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 2; i++) {
        send(socket, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
        String answer = head(in);
        assertEquals(200, status(answer));
        in.skipNBytes(Integer.parseInt(header(answer, "content-length")));
      }
    }
  }

  /**
   * Every path answers GET and HEAD only: another method gets 405 with {@code Allow: GET, HEAD}
   * (RFC 9110 15.5.6), not 404, which said the probe or file was not there.
   */
  @Test
  void otherMethodsGet405WithTheMethodsAllowed() throws IOException {
    String[] requests = {"DELETE /metrics", "PUT /api/info", "OPTIONS /health/ready",
        "TRACE /", "PATCH /phoenix.proto", "DELETE /no-such-page"};
    try (Socket socket = connect()) {
      InputStream in = socket.getInputStream();
      for (String request : requests) {
        send(socket, request + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String answer = head(in);
        assertEquals(405, status(answer), request + ": " + answer);
        String allow = header(answer, "allow");
        assertTrue(allow != null && allow.contains("GET") && allow.contains("HEAD"),
            request + ": " + answer);
        String length = header(answer, "content-length");
        in.skipNBytes(length == null ? 0 : Integer.parseInt(length));
      }
      send(socket, "GET /no-such-page HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(404, status(head(in)), "a GET of nothing is still 404");
    }
  }

  /** Bytes of direct buffers in use in this process (Netty's, the node's). */
  private static long directBytes() {
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        return pool.getMemoryUsed();
      }
    }
    throw new IllegalStateException("no direct buffer pool");
  }

  /**
   * A client that pipelines requests and never reads the answers is answered only as fast as
   * it reads. Before, Vert.x's server went on reading the requests and encoding every answer
   * into memory: pipelining GET /metrics filled the process's direct memory in seconds, and
   * the event loop of that connection then waited for memory forever, serving nobody else.
   */
  @Test
  void aPipelinerThatDoesNotReadIsHeldBack() throws Exception {
    long before = directBytes();
    long most = before;
    byte[] requests = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(200)
        .getBytes(StandardCharsets.US_ASCII);
    Socket socket = connect();
    Thread writer = new Thread(() -> {
      try {
        while (true) {
          socket.getOutputStream().write(requests);
        }
      } catch (IOException closed) {
        // the end of the test
      }
    });
    writer.start();
    try {
      long end = System.nanoTime() + 4_000_000_000L;
      while (System.nanoTime() < end) {
        Thread.sleep(100);
        most = Math.max(most, directBytes());
      }
      // the node still serves others
      try (Socket other = connect()) {
        send(other, "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(200, status(head(other.getInputStream())));
      }
    } finally {
      socket.close();
      writer.join(10_000);
    }
    assertTrue(most - before < 64L << 20, "direct memory grew by " + ((most - before) >> 20)
        + " MB for one client that does not read");
  }
}

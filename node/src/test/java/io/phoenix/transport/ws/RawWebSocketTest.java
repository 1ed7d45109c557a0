package io.phoenix.transport.ws;

import static io.phoenix.transport.ws.WebSocketFrameDecoderTest.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Hello;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The node's own WebSocket framing, byte by byte through a plain socket: the opening handshake
 * and its refusals, masked frames cut anywhere, pings, the close handshake, and what a client
 * that breaks RFC 6455 gets back. (Real WebSocket clients, Vert.x's and a browser's, talk to the
 * same endpoint in the other tests.)
 */
class RawWebSocketTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
  static TestNode node;
  static int maxFrameBytes;

  @BeforeAll
  static void start() {
    node = nodes.start();
    maxFrameBytes = node.settings().limits().maxFrameBytes();
  }

  /** What the node answered to an upgrade request: status and headers (names in lower case). */
  record Answer(int status, Map<String, String> headers) { }

  /** A client socket speaking the wire format by hand. */
  static final class Raw implements AutoCloseable {
    final Socket socket;
    final OutputStream out;
    final DataInputStream in;
    final Random random = new Random(42);

    Raw() throws IOException {
      socket = new Socket("127.0.0.1", node.httpPort());
      socket.setSoTimeout(10_000);
      socket.setTcpNoDelay(true);
      out = socket.getOutputStream();
      in = new DataInputStream(socket.getInputStream());
    }

    Answer upgrade(String path, String... extraHeaders) throws IOException {
      send(upgradeRequest(path, extraHeaders));
      return answer();
    }

    /** The status line and headers of the node's next HTTP answer. */
    Answer answer() throws IOException {
      String status = line(in);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            h.substring(colon + 1).trim());
      }
      return new Answer(Integer.parseInt(status.split(" ")[1]), headers);
    }

    /** The body of an answer with a content-length. */
    byte[] body(Answer a) throws IOException {
      byte[] body = new byte[Integer.parseInt(a.headers().get("content-length"))];
      in.readFully(body);
      return body;
    }

    Answer upgrade() throws IOException {
      return upgrade("/socket");
    }

    /** Upgrades, says Hello as {@code eid} in one frame and reads the Welcome. */
    void login(String eid) throws IOException {
      assertEquals(101, upgrade().status());
      sendMessage(hello(eid));
      assertEquals(Frame.BodyCase.WELCOME, nextMessage().getBodyCase());
    }

    /** Writes {@code bytes} one byte per write: every split of the stream at once. */
    void sendBytewise(byte[] bytes) throws IOException {
      for (byte b : bytes) {
        out.write(b);
        out.flush();
      }
    }

    void send(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    void sendMessage(Frame f) throws IOException {
      send(frame(true, 2, f.toByteArray(), true, random));
    }

    /** The next frame from the node: {opcode, payload}; the node never masks. */
    Object[] next() throws IOException {
      int first = in.readUnsignedByte();
      int second = in.readUnsignedByte();
      assertEquals(0, second & 0x80, "server frames are not masked");
      assertEquals(0x80, first & 0xF0, "final, no reserved bits");
      long length = second & 0x7F;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      return new Object[] {first & 0x0F, payload};
    }

    Frame nextMessage() throws IOException {
      Object[] f = next();
      assertEquals(2, f[0], "a binary frame");
      return Frame.parseFrom((byte[]) f[1]);
    }

    /** Reads the Goodbye, then the close frame; returns the close code. */
    int goodbyeThenClose(int status, String reason) throws IOException {
      Frame goodbye = nextMessage();
      assertEquals(Frame.BodyCase.GOODBYE, goodbye.getBodyCase(), goodbye::toString);
      assertEquals(status, goodbye.getGoodbye().getStatusCode(), goodbye::toString);
      assertTrue(goodbye.getGoodbye().getReason().contains(reason), goodbye::toString);
      Object[] close = next();
      assertEquals(8, close[0]);
      byte[] p = (byte[]) close[1];
      return ((p[0] & 0xFF) << 8) | (p[1] & 0xFF);
    }

    /** After the close handshake the node closes the socket. */
    void assertSocketEnds() throws IOException {
      send(frame(true, 8, new byte[] {3, (byte) 0xE8}, true, random));
      try {
        int b = in.read();
        assertEquals(-1, b, "nothing after the close frame");
      } catch (java.net.SocketException reset) {
        // a reset is an end too
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** An upgrade request to {@code path}: a valid one unless other headers are given. */
  static byte[] upgradeRequest(String path, String... extraHeaders) {
    StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1\r\n");
    if (extraHeaders.length == 0) {
      extraHeaders = new String[] {"Upgrade: websocket", "Connection: Upgrade",
          "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 13"};
    }
    for (String h : extraHeaders) {
      request.append(h).append("\r\n");
    }
    return request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the node closed the connection");
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  private static Frame hello(String eid) {
    return Frame.newBuilder().setHello(Hello.newBuilder().setToken(node.token(eid))
        .setConnectionResourceId("raw")).build();
  }

  @Test
  void handshakeAnswersWithTheAcceptKeyAndDeclinesExtensions() throws IOException {
    try (Raw c = new Raw()) {
      Answer a = c.upgrade("/socket", "Upgrade: WebSocket", "Connection: keep-alive, Upgrade",
          "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 13",
          "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits");
      assertEquals(101, a.status());
      assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", a.headers().get("sec-websocket-accept"));
      assertEquals("websocket", a.headers().get("upgrade").toLowerCase(Locale.ROOT));
      assertNull(a.headers().get("sec-websocket-extensions"));
      // every byte of the Hello in its own write: the node joins them
      c.sendBytewise(frame(true, 2, hello("raw-alice").toByteArray(), true, c.random));
      assertEquals(Frame.BodyCase.WELCOME, c.nextMessage().getBodyCase());
      // the same for a fragmented protocol Ping, with a WebSocket ping between the fragments
      byte[] ping = Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(77)).build()
          .toByteArray();
      c.sendBytewise(frame(false, 2, Arrays.copyOf(ping, 2), true, c.random));
      c.sendBytewise(frame(true, 9, new byte[] {9, 8, 7}, true, c.random));
      c.sendBytewise(frame(true, 0, Arrays.copyOfRange(ping, 2, ping.length), true, c.random));
      Object[] pong = c.next();
      assertEquals(10, pong[0]);
      assertArrayEquals(new byte[] {9, 8, 7}, (byte[]) pong[1]);
      Frame answer = c.nextMessage();
      assertEquals(77, answer.getPong().getTimestamp(), answer::toString);
      // the client closes: the node echoes its code and closes the socket
      c.send(frame(true, 8, new byte[] {3, (byte) 0xE9}, true, c.random));
      Object[] close = c.next();
      assertEquals(8, close[0]);
      assertArrayEquals(new byte[] {3, (byte) 0xE9}, (byte[]) close[1]);
      assertEquals(-1, c.in.read());
    }
  }

  @Test
  void badUpgradesAreRefusedWithAStatus() throws IOException {
    try (Raw c = new Raw()) {
      Answer a = c.upgrade("/socket", "Upgrade: websocket", "Connection: Upgrade",
          "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 8");
      assertEquals(426, a.status());
      assertEquals("13", a.headers().get("sec-websocket-version"));
    }
    try (Raw c = new Raw()) {
      assertEquals(400, c.upgrade("/socket", "Upgrade: websocket", "Connection: Upgrade",
          "Sec-WebSocket-Version: 13").status());
    }
    try (Raw c = new Raw()) {
      assertEquals(400, c.upgrade("/socket", "Upgrade: websocket", "Connection: Upgrade",
          "Sec-WebSocket-Key: c2hvcnQ=", "Sec-WebSocket-Version: 13").status());
    }
    try (Raw c = new Raw()) {
      assertEquals(404, c.upgrade("/elsewhere").status());
    }
    // the node still takes a good upgrade
    try (Raw c = new Raw()) {
      assertEquals(101, c.upgrade().status());
    }
  }

  @Test
  void anUnmaskedFrameGetsGoodbye400AndClose1002() throws IOException {
    try (Raw c = new Raw()) {
      assertEquals(101, c.upgrade().status());
      c.send(frame(true, 2, hello("raw-bob").toByteArray(), false, c.random));
      assertEquals(1002, c.goodbyeThenClose(400, "websocket error: client frames must be masked"));
      c.assertSocketEnds();
    }
  }

  @Test
  void aTextMessageGetsGoodbye400AndClose1003() throws IOException {
    try (Raw c = new Raw()) {
      assertEquals(101, c.upgrade().status());
      c.send(frame(true, 1, "{}".getBytes(StandardCharsets.UTF_8), true, c.random));
      assertEquals(1003, c.goodbyeThenClose(400, "send binary"));
      c.assertSocketEnds();
    }
  }

  @Test
  void anOversizedFrameIsRefusedFromItsHeaderAlone() throws IOException {
    try (Raw c = new Raw()) {
      c.login("raw-carol");
      byte[] whole = frame(true, 2, new byte[maxFrameBytes + 1], true, c.random);
      c.send(Arrays.copyOf(whole, 14)); // the header only: the payload is not sent yet
      assertEquals(1009, c.goodbyeThenClose(413, "frame of " + (maxFrameBytes + 1) + " bytes"));
      // The node skips the refused frame's payload: the client's close counts only after it
      // (sent before it, its bytes would be skipped as payload, and the node would end the
      // socket when it stops waiting, 10 s later).
      c.send(Arrays.copyOfRange(whole, 14, whole.length));
      c.assertSocketEnds();
    }
  }

  @Test
  void theNodeWaitsForTheClientsCloseThenClosesTheSocket() throws IOException {
    try (Raw c = new Raw()) {
      c.login("raw-dave");
      c.sendMessage(hello("raw-dave")); // a second Hello ends the session
      assertEquals(1000, c.goodbyeThenClose(400, "Hello may be sent only once"));
      // the socket stays open for the client's close frame (RFC 6455 7.1.1)
      c.socket.setSoTimeout(500);
      assertThrows(SocketTimeoutException.class, () -> c.in.read());
      c.socket.setSoTimeout(10_000);
      c.assertSocketEnds();
    }
  }

  // ------------------------------------------------- the node's front on the HTTP port

  /**
   * The node reads the first request itself: an upgrade arriving one byte per write is taken,
   * and so is one whose Hello follows in the same write, before the 101 was read.
   */
  @Test
  void anUpgradeIsTakenHoweverItsBytesArrive() throws IOException {
    try (Raw c = new Raw()) {
      c.sendBytewise(upgradeRequest("/socket"));
      assertEquals(101, c.answer().status());
      c.sendMessage(hello("raw-erin"));
      assertEquals(Frame.BodyCase.WELCOME, c.nextMessage().getBodyCase());
    }
    try (Raw c = new Raw()) {
      ByteArrayOutputStream both = new ByteArrayOutputStream();
      both.writeBytes(upgradeRequest("/socket?v=1"));
      both.writeBytes(frame(true, 2, hello("raw-erin").toByteArray(), true, c.random));
      c.send(both.toByteArray());
      Answer a = c.answer();
      assertEquals(101, a.status());
      assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", a.headers().get("sec-websocket-accept"));
      assertEquals(Frame.BodyCase.WELCOME, c.nextMessage().getBodyCase());
    }
  }

  /**
   * Requests before an upgrade on one keep-alive connection are answered by the HTTP server,
   * which then takes the upgrade too: the session works the same.
   */
  @Test
  void anUpgradeAfterOtherRequestsOnOneConnectionIsTaken() throws IOException {
    try (Raw c = new Raw()) {
      c.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      Answer live = c.answer();
      assertEquals(200, live.status());
      assertTrue(new String(c.body(live), StandardCharsets.UTF_8).contains("UP"));
      c.send("GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      Answer info = c.answer();
      assertEquals(200, info.status());
      assertTrue(new String(c.body(info), StandardCharsets.UTF_8).contains("\"/socket\""));
      c.login("raw-fay");
      byte[] ping = Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(5)).build()
          .toByteArray();
      c.send(frame(true, 2, ping, true, c.random));
      assertEquals(5, c.nextMessage().getPong().getTimestamp());
    }
  }

  /**
   * Twenty pipelined requests for the page's largest file, read slowly through a small receive
   * window: every answer arrives whole, byte for byte, in order.
   */
  @Test
  void largeAnswersComeWholeToASlowReader() throws IOException {
    byte[] file = classpathFile("META-INF/resources/webjars/protobufjs/",
        "/dist/protobuf.min.js");
    String path = "/webjars/protobufjs/" + protobufJsVersion() + "/dist/protobuf.min.js";
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", node.httpPort()));
      socket.setSoTimeout(20_000);
      byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      ByteArrayOutputStream twenty = new ByteArrayOutputStream();
      for (int i = 0; i < 20; i++) {
        twenty.writeBytes(request);
      }
      socket.getOutputStream().write(twenty.toByteArray());
      DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(
          socket.getInputStream(), 512));
      for (int i = 0; i < 20; i++) {
        String status = line(in);
        assertTrue(status.startsWith("HTTP/1.1 200"), status);
        int length = -1;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
          if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(h.substring(15).trim());
          }
        }
        assertEquals(file.length, length, "answer " + i);
        byte[] body = new byte[length];
        in.readFully(body);
        assertArrayEquals(file, body, "answer " + i);
      }
    }
  }

  /**
   * A client that pings without reading gets pongs only while what waits to be written to it
   * is small (RFC 6455 lets a pong answer the latest ping only): of 200,000 pings (26 MB),
   * those answered fit in the socket's buffers, not in the node's memory. Before, every ping
   * was answered and the pongs piled up in the node.
   */
  @Test
  void aClientThatPingsWithoutReadingIsNotAnsweredEveryPing() throws IOException {
    int pings = 200_000;
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", node.httpPort()));
      OutputStream out = socket.getOutputStream();
      out.write(upgradeRequest("/socket"));
      Random random = new Random(7);
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = 0; i < 1_000; i++) {
        batch.writeBytes(frame(true, 9, new byte[125], true, random));
      }
      byte[] thousand = batch.toByteArray();
      for (int i = 0; i < pings / 1_000; i++) {
        out.write(thousand);
      }
      out.flush();
      socket.setSoTimeout(2_000);
      DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(
          socket.getInputStream(), 65_536));
      assertTrue(line(in).startsWith("HTTP/1.1 101"));
      while (!line(in).isEmpty()) {
        // the rest of the head
      }
      int pongs = 0;
      try {
        while (true) {
          int first = in.readUnsignedByte();
          int length = in.readUnsignedByte() & 0x7F;
          assertEquals(0x8A, first, "only pongs come back");
          in.skipNBytes(length);
          pongs++;
        }
      } catch (SocketTimeoutException | EOFException quiet) {
        // all that came
      }
      assertTrue(pongs > 0, "pings are answered");
      assertTrue(pongs < pings / 2, pongs + " pongs for " + pings + " pings");
    }
    try (Raw c = new Raw()) {
      c.login("raw-after-pings");
    }
  }

  /**
   * A head that does not end within the node's limit is passed to the HTTP server, which
   * refuses it; the node goes on taking upgrades.
   */
  @Test
  void aHeadThatDoesNotEndIsRefused() throws IOException {
    try (Raw c = new Raw()) {
      c.send(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + "a".repeat(20_000) + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      assertEquals(431, c.answer().status());
    }
    try (Raw c = new Raw()) {
      c.login("raw-gus");
    }
  }

  /**
   * The HTTP server's limits on a head hold for an upgrade as for any other request: a header
   * line of 10,000 bytes gets 431 and a request line of 5,000 bytes 414 either way. Before, the
   * node took such an upgrade itself (101) when its head ended within 16 KB.
   */
  @Test
  void anUpgradePastTheHeadLimitsIsRefusedAsAnyRequest() throws IOException {
    String[] upgrade = {"Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 13"};
    String longHeader = "X-Long: " + "a".repeat(10_000);
    try (Raw c = new Raw()) {
      assertEquals(431, c.upgrade("/socket", append(upgrade, longHeader)).status());
    }
    try (Raw c = new Raw()) {
      assertEquals(431, c.upgrade("/health/live", longHeader).status());
    }
    try (Raw c = new Raw()) {
      assertEquals(414, c.upgrade("/socket?q=" + "a".repeat(5_000), upgrade).status());
    }
    // a large head within the limits is still an upgrade
    try (Raw c = new Raw()) {
      assertEquals(101, c.upgrade("/socket", append(upgrade, "X-Long: " + "a".repeat(7_000)))
          .status());
    }
  }

  /**
   * A client that ends its output right after a request (a half-close, as {@code nc -q0} does)
   * gets an answer the HTTP server writes at once, then the end of the connection. Before, the
   * node closed its connection to the server at once, and the client got nothing.
   */
  @Test
  void aClientThatEndsItsOutputAfterARequestGetsTheAnswer() throws IOException {
    try (Raw c = new Raw()) {
      c.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      c.socket.shutdownOutput();
      Answer live = c.answer();
      assertEquals(200, live.status());
      assertTrue(new String(c.body(live), StandardCharsets.UTF_8).contains("UP"));
      assertEquals(-1, c.in.read(), "then the connection ends");
    }
  }

  /**
   * A chunked body whose chunk size is not hexadecimal gets 400, then the end of the
   * connection; an answer the route had already written is sent, not dropped. Before, the
   * HTTP server closed the connection without a word in both cases.
   */
  @Test
  void aBodyThatDoesNotDecodeGets400ThenTheEnd() throws IOException {
    String badChunk = " HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "zz\r\n";
    try (Raw c = new Raw()) {
      // readiness is answered after a look-up: not yet when the chunk is read
      c.send(("GET /health/ready" + badChunk).getBytes(StandardCharsets.US_ASCII));
      Answer bad = c.answer();
      assertEquals(400, bad.status());
      assertEquals("close", bad.headers().get("connection"));
      c.body(bad);
      assertEquals(-1, c.in.read(), "then the connection ends");
    }
    try (Raw c = new Raw()) {
      // liveness is answered at once, before the chunk is read
      c.send(("GET /health/live" + badChunk).getBytes(StandardCharsets.US_ASCII));
      Answer live = c.answer();
      assertEquals(200, live.status());
      c.body(live);
      assertEquals(-1, c.in.read(), "then the connection ends");
    }
    try (Raw c = new Raw()) {
      c.login("raw-hal");
    }
  }

  private static String[] append(String[] headers, String more) {
    String[] all = Arrays.copyOf(headers, headers.length + 1);
    all[headers.length] = more;
    return all;
  }

  private static String protobufJsVersion() throws IOException {
    String page = new String(classpathBytes("webroot/index.html"), StandardCharsets.UTF_8);
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("webjars/protobufjs/([0-9.]+)/").matcher(page);
    assertTrue(m.find(), "the page names protobufjs's version");
    return m.group(1);
  }

  private static byte[] classpathFile(String prefix, String suffix) throws IOException {
    return classpathBytes(prefix + protobufJsVersion() + suffix);
  }

  private static byte[] classpathBytes(String name) throws IOException {
    try (InputStream in = RawWebSocketTest.class.getClassLoader().getResourceAsStream(name)) {
      assertTrue(in != null, name + " on the classpath");
      return in.readAllBytes();
    }
  }
}

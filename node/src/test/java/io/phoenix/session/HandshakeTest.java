package io.phoenix.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.protocol.v1.Hello;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.protocol.v1.Welcome;
import io.phoenix.testing.Jwt;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The session life cycle of PROTOCOL.md §3 over both transports: Welcome contents, Ping/Pong,
 * every way a Hello can be refused (401 / 400), frames before or after Hello, the Hello timeout
 * and the heartbeat (408). The node runs with short timeouts (Hello 300 ms, heartbeat 1 s) and a
 * non-default frame limit, so the Welcome can be checked against the configuration.
 */
class HandshakeTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final int HEARTBEAT_SECONDS = 1;
  private static final int HELLO_TIMEOUT_MS = 300;
  private static final int MAX_FRAME_BYTES = 32_768;
  private static final AtomicInteger SEQ = new AtomicInteger();

  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("helloTimeoutMs", HELLO_TIMEOUT_MS)
        .put("heartbeatSeconds", HEARTBEAT_SECONDS).put("maxFrameBytes", MAX_FRAME_BYTES);
    node = nodes.start(config);
    vertx = nodes.vertx();
    warmUp();
  }

  /**
   * Client and server share this JVM: load and JIT the protobuf and socket paths once, so that
   * the first test's frames are not slower than the 300 ms Hello timeout on a cold JVM. Not a
   * test: whatever the warm-up connections get back is ignored.
   */
  private static void warmUp() {
    for (Frame f : List.of(ping(1), Frame.newBuilder().setMessage(TestClient.message("w", "w"))
        .build(), Frame.newBuilder().setHello(Hello.newBuilder().setToken("t")).build())) {
      try {
        assertEquals(f, Frame.parseFrom(f.toByteArray()));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
    for (Transport t : Transport.values()) {
      try (TestClient c = TestClient.connect(vertx, t, node)) {
        c.hello(token(claims(eid("warm-up", t))), "r");
        c.send(TestClient.message("warm-up", eid("nobody", t)).build());
        c.next();
      }
    }
  }

  // ------------------------------------------------------------------ Welcome, Ping

  @ParameterizedTest
  @EnumSource(Transport.class)
  void welcomeCarriesIdentityServerTimeAndLimits(Transport t) {
    String eid = eid("welcome", t);
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      long before = System.currentTimeMillis();
      c.hello(token(claims(eid)), "phone-1");
      Welcome w = welcome(c.next());
      long after = System.currentTimeMillis();
      assertEquals(eid, w.getIdentity().getEid());
      assertEquals("phone-1", w.getIdentity().getConnectionResourceId());
      assertEquals(node.id(), w.getIdentity().getNode());
      assertTrue(w.getServerTime() >= before - 2_000 && w.getServerTime() <= after + 2_000,
          "server_time " + w.getServerTime() + " not near [" + before + ", " + after + "]");
      assertEquals(HEARTBEAT_SECONDS, w.getHeartbeatSeconds());
      assertEquals(MAX_FRAME_BYTES, w.getMaxFrameBytes());
      assertFalse(w.getEpoch().isEmpty(), "Welcome names the store's epoch");
    }
    try (TestClient again = TestClient.login(vertx, t, node, eid, "phone-2")) {
      assertEquals(again.welcome().getEpoch(), node.node().epoch(), "one epoch per store");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void noResourceRequestedGetsADistinctGeneratedOne(Transport t) {
    String eid = eid("generated", t);
    try (TestClient a = TestClient.connect(vertx, t, node);
         TestClient b = TestClient.connect(vertx, t, node)) {
      a.hello(token(claims(eid)), null);
      String ra = welcome(a.next()).getIdentity().getConnectionResourceId();
      b.hello(token(claims(eid)), null);
      String rb = welcome(b.next()).getIdentity().getConnectionResourceId();
      assertFalse(ra.isEmpty(), "generated resource is empty");
      assertNotEquals(ra, rb, "two sessions without a resource got the same generated one");
      assertTrue(a.barrier().isEmpty(), "the first session was disturbed by the second");
      assertTrue(b.barrier().isEmpty());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void pingIsAnsweredWithPongOfTheSameTimestamp(Transport t) {
    try (TestClient c = TestClient.login(vertx, t, node, eid("ping", t), "r")) {
      for (long stamp : new long[] {1_234_567_890_123L, 0L, -5L, Long.MAX_VALUE}) {
        c.send(ping(stamp));
        Frame f = c.next();
        assertEquals(Frame.BodyCase.PONG, f.getBodyCase(), () -> "expected Pong, got " + f);
        assertEquals(stamp, f.getPong().getTimestamp());
      }
    }
  }

  // ------------------------------------------------------------------ refused Hellos

  enum BadToken { MISSING, OTHER_SECRET, EXPIRED, NOT_YET_VALID, CRITICAL, NO_SUB, EMPTY_SUB,
    WRONG_ISSUER, NO_ISSUER, UNSIGNED, GARBAGE, EXP_NOT_A_NUMBER, IAT_NOT_A_NUMBER }

  static Stream<Arguments> badTokens() {
    return Stream.of(Transport.values()).flatMap(t ->
        Stream.of(BadToken.values()).map(b -> Arguments.of(t, b)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badTokens")
  void badTokenGetsGoodbye401AndClose(Transport t, BadToken bad) {
    String eid = eid("bad-" + bad, t);
    JsonObject good = claims(eid);
    String token = switch (bad) {
      case MISSING -> null;
      case OTHER_SECRET -> Jwt.hs256("another-secret-0123456789abcdef0123456", good);
      case EXPIRED -> token(good.put("iat", Jwt.nowSeconds() - 3_600)
          .put("exp", Jwt.nowSeconds() - 60));
      case NOT_YET_VALID -> token(good.put("nbf", Jwt.nowSeconds() + 600));
      case CRITICAL -> critical(new JsonArray().add("exp"), good);
      case NO_SUB -> token(withoutKey(good, "sub"));
      case EMPTY_SUB -> token(good.put("sub", ""));
      case WRONG_ISSUER -> token(good.put("iss", "not-phoenix"));
      case NO_ISSUER -> token(withoutKey(good, "iss"));
      case UNSIGNED -> unsigned(good);
      case GARBAGE -> "this is not a jwt";
      // signed with the right secret, but claims the token libraries cannot read as times
      case EXP_NOT_A_NUMBER -> token(good.put("exp", "tomorrow"));
      case IAT_NOT_A_NUMBER -> token(good.put("iat", true));
    };
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      if (token == null) {
        c.send(Frame.newBuilder().setHello(Hello.newBuilder()).build());
      } else {
        c.hello(token, "r");
      }
      assertEquals(401, c.expectGoodbye().getStatusCode());
    }
  }

  /**
   * The reasons of the token checks the node makes itself: a header with {@code crit} is refused
   * (RFC 7515 §4.1.11; the node supports no extension), even with an empty list; an {@code nbf}
   * beyond the clock skew (30 s) is not valid yet, not "expired", and an {@code iat} beyond it
   * issued in the future; within it, welcome. An
   * {@code exp} in the past keeps its reason.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void tokenRefusalsSayWhy(Transport t) {
    long now = Jwt.nowSeconds();
    assertEquals("invalid token: it has critical header parameters the node does not support: "
        + "[https://ext.test/flag]", refusal(t, critical(new JsonArray()
            .add("https://ext.test/flag"), claims(eid("crit", t)))));
    assertEquals("invalid token: it has critical header parameters the node does not support: "
        + "[]", refusal(t, critical(new JsonArray(), claims(eid("crit-empty", t)))));
    // what of crit is echoed is cut at 64 characters
    JsonArray many = new JsonArray();
    for (int i = 0; i < 100; i++) {
      many.add("https://ext.test/flag-" + i);
    }
    assertEquals("invalid token: it has critical header parameters the node does not support: "
        + "[https://ext.test/flag-0, https://ext.test/flag-1, https://ext.t...",
        refusal(t, critical(many, claims(eid("crit-long", t)))));
    // so is an algorithm the node does not take
    String alg = "X".repeat(200);
    assertEquals("invalid token: " + "X".repeat(64) + "... tokens are not accepted here",
        refusal(t, Jwt.hs256(TestNode.SECRET, new JsonObject().put("alg", alg).put("typ", "JWT"),
            claims(eid("alg-long", t)))));
    // a crit that is not an array is no JWS header at all to the parser: still a crit refusal
    assertEquals("invalid token: its crit header parameter is not a JSON array",
        refusal(t, critical("exp", claims(eid("crit-string", t)))));
    String early = refusal(t, token(claims(eid("nbf", t)).put("nbf", now + 600)));
    assertTrue(early.matches("invalid token: not valid yet \\(nbf is (600|599) s ahead of the "
        + "node's clock, which tolerates 30 s\\)"), early);
    String issued = refusal(t, token(claims(eid("iat", t)).put("iat", now + 600)));
    assertTrue(issued.matches("invalid token: issued in the future \\(iat is (600|599) s ahead "
        + "of the node's clock, which tolerates 30 s\\)"), issued);
    assertEquals("invalid token: Invalid JWT token: token expired.", refusal(t,
        token(claims(eid("exp", t)).put("exp", now - 600))));
    String eid = eid("nbf-within-skew", t);
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.hello(token(claims(eid).put("nbf", now + 10)), "r");
      assertEquals(eid, welcome(c.next()).getIdentity().getEid());
    }
  }

  /**
   * A token's {@code exp} holds for the session's life: once it has passed (with the clock
   * skew, 30 s here) the session ends with Goodbye 401 "token expired", however busy it is; a
   * session whose token has not expired stays. A token whose exp is 28 s past is welcome, and
   * ends about 2 s later.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSessionEndsWhenItsTokenExpires(Transport t) {
    long now = Jwt.nowSeconds();
    try (TestClient expiring = TestClient.connect(vertx, t, node);
        TestClient lasting = TestClient.connect(vertx, t, node)) {
      expiring.hello(token(claims(eid("expiring", t)).put("exp", now - 28)), "r");
      welcome(expiring.next());
      lasting.hello(token(claims(eid("lasting", t))), "r");
      welcome(lasting.next());
      Frame end = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      for (long stamp = 1; end == null && System.nanoTime() < deadline; stamp++) {
        expiring.send(ping(stamp)); // busy: pings keep the heartbeat (1 s) from ending it
        lasting.send(ping(stamp));
        assertEquals(stamp, lasting.next().getPong().getTimestamp());
        Frame f = expiring.next();
        if (f.hasGoodbye()) {
          end = f;
        } else {
          assertEquals(stamp, f.getPong().getTimestamp());
          sleep(250);
        }
      }
      assertTrue(end != null, "the session outlived its token");
      assertEquals(401, end.getGoodbye().getStatusCode());
      assertEquals("token expired", end.getGoodbye().getReason());
      assertTrue(Jwt.nowSeconds() >= now + 1, "not before exp + the skew");
      expiring.awaitClosed();
      lasting.send(ping(99));
      assertEquals(99, lasting.next().getPong().getTimestamp(), "the other session stays");
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A JSON string may hold an unpaired surrogate ({@code "\\ud800"}), which no UTF-8 text can:
   * encoded for the wire, the store and the cluster it becomes {@code ?}, so a token whose sub
   * is {@code victim<U+D800>x} made its holder the eid {@code victim?x}, sharing its streams and
   * devices. Refused at Hello; the victim's session is untouched.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSubThatIsNotWellFormedUnicodeIsRefused(Transport t) {
    String victim = eid("victim", t) + "?x";
    try (TestClient v = TestClient.connect(vertx, t, node)) {
      v.hello(token(claims(victim)), "victim-phone");
      welcome(v.next());
      for (String escape : new String[] {"\\ud800", "\\udc00", "\\ud83d\\ud83d"}) {
        // the escape written into the JSON text as is: a JsonObject would not write it
        String json = claims("PLACEHOLDER").encode().replace("PLACEHOLDER",
            victim.replace("?", escape));
        try (TestClient c = TestClient.connect(vertx, t, node)) {
          c.hello(Jwt.hs256(TestNode.SECRET, new JsonObject().put("alg", "HS256")
              .put("typ", "JWT"), json), "mallory");
          Frame f = c.next();
          assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), () -> "welcomed as "
              + (f.hasWelcome() ? f.getWelcome().getIdentity().getEid() : "?"));
          assertEquals(401, f.getGoodbye().getStatusCode());
          assertEquals("token sub must be well-formed Unicode: it has an unpaired surrogate",
              f.getGoodbye().getReason());
        }
      }
      assertEquals(java.util.List.of(), v.barrier(), "the victim's session saw nothing");
    }
  }

  /**
   * A sub with control characters is refused: a NUL in a sender's eid broke the node's stream
   * keys (its messages were never marked written, pulls found nothing, and the node retried
   * writing them every second), and a line break forges lines in the node's log.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSubWithControlCharactersIsRefused(Transport t) {
    for (String sub : new String[] {"x\u0000y", "x\ny", "\u001b[31mred", "x\u007f",
        "x\u0085"}) {
      try (TestClient c = TestClient.connect(vertx, t, node)) {
        c.hello(token(claims(sub)), "r");
        Frame f = c.next();
        assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), () -> "welcomed as "
            + (f.hasWelcome() ? f.getWelcome().getIdentity().getEid() : "?"));
        assertEquals(401, f.getGoodbye().getStatusCode());
        assertTrue(f.getGoodbye().getReason().startsWith(
            "token sub must not hold control characters"), f.getGoodbye().getReason());
      }
    }
    // other characters beyond ASCII are fine
    String eid = eid("\u00e9t\u00e9-\ud83d\ude00-\u4e2d", t);
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.hello(token(claims(eid)), "r");
      assertEquals(eid, welcome(c.next()).getIdentity().getEid());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void anyFrameBeforeHelloGetsGoodbye401(Transport t) {
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.send(TestClient.message("m1", eid("someone", t)).build());
      assertEquals(401, c.expectGoodbye().getStatusCode());
    }
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.send(ping(42));
      assertEquals(401, c.expectGoodbye().getStatusCode());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void secondHelloGetsGoodbye400(Transport t) {
    String eid = eid("twice", t);
    try (TestClient c = TestClient.login(vertx, t, node, eid, "r")) {
      c.hello(token(claims(eid)), "r");
      assertEquals(400, c.expectGoodbye().getStatusCode());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void resourceIdOf300BytesGetsGoodbye400(Transport t) {
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.hello(token(claims(eid("long-resource", t))), "r".repeat(300));
      assertEquals(400, c.expectGoodbye().getStatusCode());
    }
  }

  /** decisions.md 3: a requested resource must be 1..256 UTF-8 bytes (bytes, not chars). */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void resourceIdBoundsAreUtf8Bytes(Transport t) {
    String eid = eid("resource-bounds", t);
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.hello(token(claims(eid)), "x".repeat(256));
      assertEquals("x".repeat(256), welcome(c.next()).getIdentity().getConnectionResourceId());
    }
    for (String refused : new String[] {"", "é".repeat(129)}) { // 0 bytes; 258 bytes, 129 chars
      try (TestClient c = TestClient.connect(vertx, t, node)) {
        c.hello(token(claims(eid)), refused);
        assertEquals(400, c.expectGoodbye().getStatusCode(), "resource of "
            + refused.getBytes(StandardCharsets.UTF_8).length + " bytes");
      }
    }
  }

  // ------------------------------------------------------------------ pipelining

  @ParameterizedTest
  @EnumSource(Transport.class)
  void framesPipelinedAfterHelloAreAnsweredAfterWelcomeInOrder(Transport t) {
    String eid = eid("pipelined", t);
    Frame hello = Frame.newBuilder().setHello(Hello.newBuilder().setToken(token(claims(eid)))
        .setConnectionResourceId("r")).build();
    List<Frame> frames = List.of(hello, ping(1), ping(2), ping(3));
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      if (t == Transport.TCP) { // one write: the frames arrive together
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        frames.forEach(f -> all.writeBytes(TestClient.delimited(f.toByteArray())));
        c.sendRaw(all.toByteArray());
      } else {
        frames.forEach(c::send);
      }
      assertEquals(eid, welcome(c.next()).getIdentity().getEid());
      for (long stamp = 1; stamp <= 3; stamp++) {
        Frame f = c.next();
        assertEquals(Frame.BodyCase.PONG, f.getBodyCase(), () -> "expected Pong, got " + f);
        assertEquals(stamp, f.getPong().getTimestamp());
      }
    }
  }

  // ------------------------------------------------------------------ timeouts

  @ParameterizedTest
  @EnumSource(Transport.class)
  void clientThatSendsNothingGetsGoodbye408(Transport t) {
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      long start = System.nanoTime();
      Goodbye bye = c.expectGoodbye();
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertEquals(408, bye.getStatusCode());
      assertTrue(elapsedMs >= HELLO_TIMEOUT_MS - 100, "Hello timeout fired after " + elapsedMs
          + " ms, before helloTimeoutMs = " + HELLO_TIMEOUT_MS);
    }
  }

  /**
   * The HTTP port gives a connection the same time to send its first request: one that sends
   * nothing is closed, and one whose request has not ended by then gets 408 and is closed.
   */
  @Test
  void httpConnectionWithoutARequestIsClosed() throws IOException {
    try (Socket silent = new Socket("127.0.0.1", node.httpPort());
        Socket partial = new Socket("127.0.0.1", node.httpPort())) {
      silent.setSoTimeout(10_000);
      partial.setSoTimeout(10_000);
      partial.getOutputStream().write("GET /socket HTTP/1.1\r\nHost: a\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      assertEquals(-1, silent.getInputStream().read(), "closed without an answer");
      String answer = new String(partial.getInputStream().readAllBytes(),
          StandardCharsets.US_ASCII);
      assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void silentSessionGetsGoodbye408AfterThreeHeartbeats(Transport t) {
    try (TestClient c = TestClient.login(vertx, t, node, eid("silent", t), "r")) {
      long start = System.nanoTime();
      Frame f = c.next(Duration.ofSeconds(8));
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), () -> "expected Goodbye, got " + f);
      assertEquals(408, f.getGoodbye().getStatusCode());
      c.awaitClosed();
      assertTrue(elapsedMs >= 2_500 && elapsedMs <= 5_500,
          "silent session closed after " + elapsedMs + " ms, expected about 3 s (3 heartbeats)");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void sessionThatPingsEveryHalfSecondStaysConnected(Transport t) throws InterruptedException {
    ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor();
    try (TestClient c = TestClient.login(vertx, t, node, eid("pinging", t), "r")) {
      AtomicInteger sent = new AtomicInteger();
      pinger.scheduleAtFixedRate(() -> c.send(ping(-1 - sent.getAndIncrement())),
          0, 500, TimeUnit.MILLISECONDS); // traffic, not synchronisation
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4_500);
      List<Frame> received = new ArrayList<>();
      while (System.nanoTime() < deadline) {
        received.add(c.next(Duration.ofSeconds(2)));
      }
      pinger.shutdownNow();
      assertTrue(pinger.awaitTermination(5, TimeUnit.SECONDS));
      received.addAll(c.barrier());
      assertFalse(c.isClosed(), "a session with traffic every 500 ms was closed");
      assertTrue(received.size() >= 8, "expected a Pong per Ping, got " + received);
      for (int i = 0; i < received.size(); i++) {
        Frame f = received.get(i);
        assertEquals(Frame.BodyCase.PONG, f.getBodyCase(), () -> "expected only Pongs: " + f);
        assertEquals(-1 - i, f.getPong().getTimestamp());
      }
    } finally {
      pinger.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ helpers

  private static String eid(String what, Transport t) {
    return "hs-" + what + "-" + t + "-" + SEQ.incrementAndGet();
  }

  /** Claims of a good token for {@code eid}. */
  private static JsonObject claims(String eid) {
    long now = Jwt.nowSeconds();
    return new JsonObject().put("sub", eid).put("iss", "phoenix").put("iat", now)
        .put("exp", now + 600);
  }

  private static JsonObject withoutKey(JsonObject claims, String key) {
    JsonObject copy = claims.copy();
    copy.remove(key);
    return copy;
  }

  private static String token(JsonObject claims) {
    return Jwt.hs256(TestNode.SECRET, claims);
  }

  /** A token signed with the right secret whose header lists {@code crit} (and sets each). */
  private static String critical(JsonArray crit, JsonObject claims) {
    JsonObject header = new JsonObject().put("alg", "HS256").put("typ", "JWT").put("crit", crit);
    crit.forEach(name -> header.put((String) name, true));
    return Jwt.hs256(TestNode.SECRET, header, claims);
  }

  /** A token signed with the right secret whose header's {@code crit} is one name, no array. */
  private static String critical(String crit, JsonObject claims) {
    JsonObject header = new JsonObject().put("alg", "HS256").put("typ", "JWT").put("crit", crit)
        .put(crit, true);
    return Jwt.hs256(TestNode.SECRET, header, claims);
  }

  /** The reason of the Goodbye 401 that answers a Hello with {@code token}. */
  private static String refusal(Transport t, String token) {
    try (TestClient c = TestClient.connect(vertx, t, node)) {
      c.hello(token, "r");
      Goodbye bye = c.expectGoodbye();
      assertEquals(401, bye.getStatusCode(), bye::toString);
      return bye.getReason();
    }
  }

  /** An "alg: none" token: no signature at all. */
  private static String unsigned(JsonObject claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
        + "." + b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  private static Frame ping(long stamp) {
    return Frame.newBuilder().setPing(Ping.newBuilder().setTimestamp(stamp)).build();
  }

  private static Welcome welcome(Frame f) {
    assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), () -> "expected Welcome, got " + f);
    return f.getWelcome();
  }
}

package io.phoenix.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

  @Test
  void parsesTcpAndWebSocketEndpoints() {
    assertEquals(Endpoint.tcp("127.0.0.1", 4100), Endpoint.parse("tcp://127.0.0.1:4100"));
    assertEquals(Endpoint.ws("node-1.example", 4000, "/socket"),
        Endpoint.parse("ws://node-1.example:4000/socket"));
    assertEquals(Endpoint.ws("localhost", 80, "/socket"), Endpoint.parse("WS://localhost:80"),
        "scheme is case-insensitive; the path defaults to /socket");
    assertEquals(Endpoint.tcp("::1", 4100), Endpoint.parse("tcp://[::1]:4100"));
    assertEquals("tcp://[::1]:4100", Endpoint.parse("tcp://[::1]:4100").toString());
    assertEquals("ws://h:1/x", Endpoint.parse(" ws://h:1/x ").toString());
  }

  @Test
  void parsesTlsEndpoints() {
    Endpoint tls = Endpoint.parse("tls://node-1.example:4100");
    assertEquals(Endpoint.tls("node-1.example", 4100), tls);
    assertTrue(tls.isTls() && !tls.isWebSocket());
    Endpoint wss = Endpoint.parse("WSS://node-1.example:4000");
    assertEquals(Endpoint.wss("node-1.example", 4000, "/socket"), wss);
    assertTrue(wss.isTls() && wss.isWebSocket());
    assertEquals("wss://[::1]:443/ws", Endpoint.parse("wss://[::1]:443/ws").toString());
    assertTrue(!Endpoint.parse("tcp://h:1").isTls() && !Endpoint.parse("ws://h:1").isTls());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "localhost:4100", "http://h:4000/socket", "https://h:443/socket",
      "tcp://h", "tcp://:4100", "tcp://h:0", "tcp://h:70000", "tcp://h:4100/path", "tls://h:4100/path", "tls://h",
      "ws://h:4000/socket?x=1", "tcp://user@h:4100", "tcp://h:port"})
  void refusesWhatIsNotAnEndpoint(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Endpoint.parse(text));
    assertTrue(e.getMessage().contains("endpoint"), e.getMessage());
  }

  @Test
  void backoffGrowsToItsCeilingWithFullJitter() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    assertEquals(100, b.ceilingMillis(0));
    assertEquals(200, b.ceilingMillis(1));
    assertEquals(3_200, b.ceilingMillis(5));
    assertEquals(5_000, b.ceilingMillis(6));
    assertEquals(5_000, b.ceilingMillis(1_000));
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 2_000; i++) {
      long d = b.delayMillis(3);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    assertTrue(min >= 1 && max <= 800, min + ".." + max);
    assertTrue(min < 100 && max > 700, "spread over the whole range: " + min + ".." + max);
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }

  @Test
  void backoffWithoutJitterWaitsItsCeiling() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), false);
    List<Long> delays = new ArrayList<>();
    for (int attempt = 0; attempt < 7; attempt++) {
      delays.add(b.delayMillis(attempt));
    }
    assertEquals(List.of(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L, 30_000L), delays);
  }
}

package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SYNC and PULL_REQUEST (PROTOCOL.md §6, decisions 22 and 23) on a node with
 * {@code limits.pullBatch = 100}: an offline receiver finds its streams by SYNC and pages
 * through them (206 while more remain, then 200); SYNC stops listing a stream once it is
 * DELIVERED to the head; who may pull which stream; unknown streams and empty SYNCs.
 */
class PullSyncTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    JsonObject config = TestNode.config();
    config.getJsonObject("limits").put("pullBatch", 100);
    node = nodes.start(config);
    vertx = nodes.vertx();
  }

  /** What one PULL_REQUEST brought: the messages, then the closing signal. */
  record Page(List<Message> messages, MessagePeerAckSignal end) {}

  @ParameterizedTest
  @EnumSource(Transport.class)
  void offlineReceiverSyncsThenPullsInBatches(Transport t) {
    String a = "alice-" + t + "-batches";
    String b = "bob-" + t + "-batches";
    try (TestClient a1 = login(t, a, "phone")) {
      for (int i = 1; i <= 250; i++) {
        MessagePeerAckSignal ok = a1.sendAndAwaitAccepted(TestClient.message("m" + i, b).build());
        assertEquals(200, ok.getStatusCode(), ok::toString);
        assertEquals(i, ok.getPeer().getOffset());
      }
    }
    try (TestClient b1 = login(t, b, "phone")) {
      List<MessagePeerAckSignal> pending = b1.sync("sync-1");
      assertEquals(1, pending.size(), pending::toString);
      assertEquals(a, pending.get(0).getFrom().getEid());
      assertPeer(pending.get(0), a, b, 250, 0);

      assertPage(pull(b1, "p0", a, b, 0), a, b, 1, 100, 206, 250);
      assertPage(pull(b1, "p100", a, b, 100), a, b, 101, 200, 206, 250);
      assertPage(pull(b1, "p200", a, b, 200), a, b, 201, 250, 200, 250);
      assertPage(pull(b1, "p250", a, b, 250), a, b, 251, 250, 200, 250);
      assertEquals(List.of(), b1.barrier(), "nothing after the closing signal");
    }
  }

  /**
   * Large messages: an answer stops before its messages pass a quarter of
   * {@code limits.maxOutboundBytes} (1 MiB by default), with 206, so that a pull never makes
   * the session a slow consumer; the pages still hold every offset once, in order.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void largeMessagesArePulledInAnswersOfAtMostAQuarterOfMaxOutboundBytes(Transport t) {
    String a = "alice-" + t + "-large";
    String b = "bob-" + t + "-large";
    ByteString body = ByteString.copyFrom(new byte[60_000]);
    try (TestClient a1 = login(t, a, "phone")) {
      for (int i = 1; i <= 40; i++) {
        MessagePeerAckSignal ok = a1.sendAndAwaitAccepted(
            TestClient.message("m" + i, b).setPayload(body).build());
        assertEquals(200, ok.getStatusCode(), ok::toString);
      }
    }
    try (TestClient b1 = login(t, b, "phone")) {
      List<Long> offsets = new ArrayList<>();
      long after = 0;
      int pages = 0;
      while (true) {
        Page p = pull(b1, "p" + after, a, b, after);
        pages++;
        assertTrue(!p.messages().isEmpty(), "every page sends at least one message");
        long bytes = p.messages().stream()
            .mapToLong(m -> Frame.newBuilder().setMessage(m).build().getSerializedSize()).sum();
        assertTrue(bytes <= (4 << 20) / 4, "a page of " + bytes + " bytes");
        p.messages().forEach(m -> offsets.add(m.getPeer().getOffset()));
        after = offsets.get(offsets.size() - 1);
        if (after == 40) {
          assertEquals(200, p.end().getStatusCode(), p.end()::toString);
          break;
        }
        assertEquals(206, p.end().getStatusCode(), p.end()::toString);
      }
      assertEquals(LongStream.rangeClosed(1, 40).boxed().toList(), offsets);
      assertTrue(pages >= 3, "40 messages of 60 KB take three pages of 1 MiB, not " + pages);
      assertEquals(List.of(), b1.barrier(), "the session is still open, nothing more sent");
    }
  }

  /** A pull after the largest offset there is answers nothing (offset + 1 must not wrap). */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void aPullAfterTheLargestOffsetAnswersNothing(Transport t) {
    String a = "alice-" + t + "-max";
    String b = "bob-" + t + "-max";
    try (TestClient a1 = login(t, a, "phone")) {
      for (int i = 1; i <= 3; i++) {
        a1.sendAndAwaitAccepted(TestClient.message("m" + i, b).build());
      }
    }
    try (TestClient b1 = login(t, b, "phone")) {
      assertPage(pull(b1, "pmax", a, b, Long.MAX_VALUE), a, b, 1, 0, 200, 3);
      assertPage(pull(b1, "pmax1", a, b, Long.MAX_VALUE - 1), a, b, 1, 0, 200, 3);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void syncListsEveryPendingStreamUntilDelivered(Transport t) {
    String a = "alice-" + t + "-streams";
    String c = "carol-" + t + "-streams";
    String b = "bob-" + t + "-streams";
    try (TestClient a1 = login(t, a, "phone"); TestClient c1 = login(t, c, "phone")) {
      sendOffline(a1, b, 3);
      sendOffline(c1, b, 2);
    }
    try (TestClient b1 = login(t, b, "phone")) {
      Map<String, MessagePeerAckSignal> byFrom = b1.sync("sync-both").stream()
          .collect(Collectors.toMap(s -> s.getPeer().getFrom(), s -> s));
      assertEquals(2, byFrom.size(), byFrom::toString);
      assertPeer(byFrom.get(a), a, b, 3, 0);
      assertPeer(byFrom.get(c), c, b, 2, 0);

      b1.send(TestClient.ack(AckMethod.DELIVERED, "m3", a, b, 3)
          .setFrom(Identity.newBuilder().setEid(b)).setTo(Identity.newBuilder().setEid(a))
          .build());
      List<MessagePeerAckSignal> left = b1.sync("sync-after-ack");
      assertEquals(1, left.size(), left::toString);
      assertPeer(left.get(0), c, b, 2, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void onlyTheTwoPartiesMayPull(Transport t) {
    String x = "xavier-" + t + "-who";
    String y = "yvonne-" + t + "-who";
    String z = "zoe-" + t + "-who";
    try (TestClient x1 = login(t, x, "phone"); TestClient z1 = login(t, z, "phone")) {
      sendOffline(x1, y, 1);

      z1.send(TestClient.ack(AckMethod.PULL_REQUEST, "foreign", x, y, 0).build());
      MessagePeerAckSignal refused = z1.nextAck();
      assertEquals(AckMethod.PULL_REQUEST_VALUE, refused.getMethod(), refused::toString);
      assertEquals("foreign", refused.getMessageId());
      assertEquals(403, refused.getStatusCode(), refused::toString);
      assertEquals(List.of(), z1.barrier(), "a refused pull sends no messages");

      Page own = pull(x1, "own", x, y, 0);
      assertPage(own, x, y, 1, 1, 200, 1);
      assertEquals("m1", own.messages().get(0).getMessageId());
      assertEquals(x, own.messages().get(0).getFrom().getEid());
      assertEquals(y, own.end().getFrom().getEid(), "from: the other party of the stream");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void pullOfAStreamThatNeverExistedIsEmpty(Transport t) {
    String b = "bob-" + t + "-never";
    try (TestClient b1 = login(t, b, "phone")) {
      Page p = pull(b1, "never", "nobody-" + t + "-never", b, 0);
      assertEquals(List.of(), p.messages());
      assertEquals(200, p.end().getStatusCode(), p.end()::toString);
      assertPeer(p.end(), "nobody-" + t + "-never", b, 0, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void syncWithNothingPendingIsOnlyTheTerminator(Transport t) {
    try (TestClient b1 = login(t, "bob-" + t + "-nothing", "phone")) {
      assertEquals(List.of(), b1.sync("empty"));
      assertEquals(List.of(), b1.barrier());
    }
  }

  // ------------------------------------------------------------------ helpers

  private static TestClient login(Transport t, String eid, String resource) {
    return TestClient.login(vertx, t, node, eid, resource);
  }

  /** Sends m1..mN to a recipient with no online device; each must get ACCEPTED 200. */
  private static void sendOffline(TestClient sender, String to, int n) {
    for (int i = 1; i <= n; i++) {
      MessagePeerAckSignal ok = sender.sendAndAwaitAccepted(TestClient.message("m" + i, to)
          .build());
      assertEquals(200, ok.getStatusCode(), ok::toString);
      assertEquals(i, ok.getPeer().getOffset(), ok::toString);
    }
  }

  /** Sends PULL_REQUEST and collects the messages up to the closing PULL_REQUEST signal. */
  private static Page pull(TestClient c, String id, String from, String to, long after) {
    c.send(TestClient.ack(AckMethod.PULL_REQUEST, id, from, to, after).build());
    List<Message> messages = new ArrayList<>();
    while (true) {
      Frame f = c.next();
      if (f.getBodyCase() == Frame.BodyCase.MESSAGE) {
        messages.add(f.getMessage());
        continue;
      }
      assertEquals(Frame.BodyCase.ACK, f.getBodyCase(), f::toString);
      assertEquals(AckMethod.PULL_REQUEST_VALUE, f.getAck().getMethod(), f::toString);
      assertEquals(id, f.getAck().getMessageId(), f::toString);
      return new Page(messages, f.getAck());
    }
  }

  /**
   * The page holds exactly offsets {@code first..last} of S(from → to) in order (none when
   * last &lt; first), in PULL mode with {@code peer} filled (nothing acknowledged), and closes
   * with {@code status} and {@code peer.offset = head}.
   */
  private static void assertPage(Page p, String from, String to, long first, long last,
      int status, long head) {
    List<Long> offsets = p.messages().stream().map(m -> m.getPeer().getOffset()).toList();
    List<Long> expected = new ArrayList<>();
    for (long o = first; o <= last; o++) {
      expected.add(o);
    }
    assertEquals(expected, offsets, "offsets of the page");
    for (Message m : p.messages()) {
      long o = m.getPeer().getOffset();
      assertEquals("m" + o, m.getMessageId());
      assertEquals(1, m.getTransmissionMode(), "pulled messages are in PULL mode");
      assertEquals(from, m.getFrom().getEid());
      assertEquals(from, m.getPeer().getFrom());
      assertEquals(to, m.getPeer().getTo());
      assertEquals(0, m.getPeer().getPeerOffset());
    }
    assertEquals(status, p.end().getStatusCode(), p.end()::toString);
    assertPeer(p.end(), from, to, head, 0);
  }

  private static void assertPeer(MessagePeerAckSignal s, String from, String to, long offset,
      long peerOffset) {
    assertTrue(s.hasPeer(), () -> "peer expected: " + s);
    assertEquals(from, s.getPeer().getFrom(), s::toString);
    assertEquals(to, s.getPeer().getTo(), s::toString);
    assertEquals(offset, s.getPeer().getOffset(), s::toString);
    assertEquals(peerOffset, s.getPeer().getPeerOffset(), s::toString);
  }
}

package io.phoenix.router;

import static io.phoenix.testing.TestClient.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The checks of PROTOCOL.md §5 on a client's Message, in the contract's order: each refusal is
 * an ACCEPTED ack with the same message_id and the status, and nothing is stored or delivered
 * (the recipient's next message is a later good one, and it gets offset 1). The borderline
 * values that must pass are checked to be stored and delivered. The rate limit (429) is in
 * {@link RateLimitTest}.
 */
class SendChecksTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  private static final String SPOOF = "mallory";

  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  /**
   * Sends {@code edit(a good message to B)} from A, expects an ACCEPTED ack with
   * {@code status}, then proves nothing was stored or delivered: a good message sent next is
   * the first B receives, at offset 1.
   */
  private static void assertRefused(Transport t, String test, int status,
      UnaryOperator<Message.Builder> edit) {
    String a = "alice-" + t + "-" + test;
    String b = "bob-" + t + "-" + test;
    try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
         TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
      Message bad = edit.apply(message("bad-" + test, b)).build();
      a1.send(bad);
      MessagePeerAckSignal ack = a1.nextAck();
      assertEquals(AckMethod.ACCEPTED_VALUE, ack.getMethod(), () -> "got " + ack);
      assertEquals(bad.getMessageId(), ack.getMessageId());
      assertEquals(status, ack.getStatusCode(), () -> "status for " + bad);
      assertEquals(a1.identity(), ack.getTo());
      assertFalse(ack.hasPeer(), "a refusal carries no peer");

      Message good = message("good-" + test, b).build();
      MessagePeerAckSignal goodAck = a1.sendAndAwaitAccepted(good);
      assertEquals(200, goodAck.getStatusCode());
      assertEquals(1, goodAck.getPeer().getOffset(), "the refused message used no offset");
      Message got = b1.nextMessage();
      assertEquals(good.getMessageId(), got.getMessageId(), "the refused message was delivered");
      assertEquals(1, got.getPeer().getOffset());
      assertEquals(List.of(), b1.barrier());
    }
  }

  /** Sends {@code edit(a good message to B)} and expects it stored (200, offset 1) and pushed. */
  private static Message assertAccepted(Transport t, String test,
      UnaryOperator<Message.Builder> edit) {
    String a = "alice-" + t + "-" + test;
    String b = "bob-" + t + "-" + test;
    try (TestClient a1 = TestClient.login(vertx, t, node, a, "phone");
         TestClient b1 = TestClient.login(vertx, t, node, b, "phone")) {
      Message m = edit.apply(message("ok-" + test, b)).build();
      MessagePeerAckSignal ack = a1.sendAndAwaitAccepted(m);
      assertEquals(200, ack.getStatusCode(), () -> "refused " + m);
      assertEquals(1, ack.getPeer().getOffset());
      Message got = b1.nextMessage();
      assertEquals(m.getMessageId(), got.getMessageId());
      assertEquals(a1.identity(), got.getFrom());
      assertEquals(1, got.getPeer().getOffset());
      return got;
    }
  }

  // ------------------------------------------------------------------ message_id

  @ParameterizedTest
  @EnumSource(Transport.class)
  void emptyMessageIdIs400(Transport t) {
    assertRefused(t, "emptyid", 400, m -> m.setMessageId(""));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void messageIdOf129BytesIs400(Transport t) {
    assertRefused(t, "id129", 400, m -> m.setMessageId("x".repeat(129)));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void messageIdOf128BytesIsAccepted(Transport t) {
    String id = "y".repeat(128);
    assertEquals(id, assertAccepted(t, "id128", m -> m.setMessageId(id)).getMessageId());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void messageIdOf43ThreeByteCharsIs400(Transport t) {
    String id = "\u20ac".repeat(43);
    assertEquals(129, id.getBytes(StandardCharsets.UTF_8).length);
    assertRefused(t, "id43euro", 400, m -> m.setMessageId(id));
  }

  // ------------------------------------------------------------------ to, from

  @ParameterizedTest
  @EnumSource(Transport.class)
  void emptyToEidIs400(Transport t) {
    assertRefused(t, "emptyto", 400, m -> m.setTo(Identity.newBuilder().setEid("")));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void unsetToIs400(Transport t) {
    assertRefused(t, "noto", 400, Message.Builder::clearTo);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void spoofedFromIs403(Transport t) {
    assertRefused(t, "spoof", 403, m -> m.setFrom(Identity.newBuilder().setEid(SPOOF)));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void fromSelfIsAccepted(Transport t) {
    String a = "alice-" + t + "-fromself";
    assertAccepted(t, "fromself", m -> m.setFrom(Identity.newBuilder().setEid(a)
        .setConnectionResourceId("made-up").setNode("made-up")));
  }

  // ------------------------------------------------------------------ type, transmission_mode

  @ParameterizedTest
  @EnumSource(Transport.class)
  void typeZeroIs400(Transport t) {
    assertRefused(t, "type0", 400, m -> m.setType(0));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void typeFourIs400(Transport t) {
    assertRefused(t, "type4", 400, m -> m.setType(4));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void transmissionModeThreeIs400(Transport t) {
    assertRefused(t, "mode3", 400, m -> m.setTransmissionMode(3));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void transmissionModeZeroIsPush(Transport t) {
    Message got = assertAccepted(t, "mode0", m -> m.setTransmissionMode(0));
    assertEquals(2, got.getTransmissionMode(), "mode 0 is stored and pushed as PUSH");
  }

  // ------------------------------------------------------------------ encryption, signature

  @ParameterizedTest
  @EnumSource(Transport.class)
  void unknownEncryptionTypeIs400(Transport t) {
    assertRefused(t, "rot13", 400, m -> m.setEncryptionType("ROT13"));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void emptyAndNoneEncryptionTypesAreAccepted(Transport t) {
    assertAccepted(t, "encempty", m -> m.setEncryptionType(""));
    assertAccepted(t, "encnone", m -> m.setEncryptionType("none"));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aes256WithInvalidBase64Is400(Transport t) {
    assertRefused(t, "aesbad", 400, m -> m.setEncryptionType("AES256").clearPayload()
        .setEncrypted("not base64!"));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void e2eWithInvalidBase64Is400(Transport t) {
    assertRefused(t, "e2ebad", 400, m -> m.setEncryptionType("E2E").clearPayload()
        .setEncrypted("not base64!"));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void e2eWithPayloadIs400(Transport t) {
    assertRefused(t, "e2epayload", 400, m -> m.setEncryptionType("E2E")
        .setEncrypted("c2VjcmV0").setPayload(ByteString.copyFromUtf8("plain text")));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void e2eWithValidBase64AndNoPayloadIsAccepted(Transport t) {
    Message got = assertAccepted(t, "e2eok", m -> m.setEncryptionType("E2E").clearPayload()
        .setEncrypted("c2VjcmV0IGNpcGhlcnRleHQ="));
    assertEquals("E2E", got.getEncryptionType());
    assertEquals("c2VjcmV0IGNpcGhlcnRleHQ=", got.getEncrypted(), "ciphertext unchanged");
    assertEquals(ByteString.EMPTY, got.getPayload());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void invalidBase64SignatureIs400(Transport t) {
    assertRefused(t, "sigbad", 400, m -> m.setSignature("not base64!"));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void validBase64SignatureIsAccepted(Transport t) {
    Message got = assertAccepted(t, "sigok", m -> m.setSignature("c2lnbmF0dXJl"));
    assertEquals("c2lnbmF0dXJl", got.getSignature());
  }

  // ------------------------------------------------------------------ order of the checks

  @ParameterizedTest
  @EnumSource(Transport.class)
  void messageIdIsCheckedBeforeFrom(Transport t) {
    assertRefused(t, "order-id-from", 400, m -> m.setMessageId("")
        .setFrom(Identity.newBuilder().setEid(SPOOF)));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void fromIsCheckedBeforeType(Transport t) {
    assertRefused(t, "order-from-type", 403, m -> m.setFrom(Identity.newBuilder().setEid(SPOOF))
        .setType(0));
  }
}

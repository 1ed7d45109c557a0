package io.phoenix.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The checks of PROTOCOL.md §5, one by one and in their order. */
class MessageRulesTest {
  private static final String ME = "alice";

  private static Message.Builder good() {
    return Message.newBuilder().setMessageId("m1").setTo(Identity.newBuilder().setEid("bob"))
        .setType(1).setTransmissionMode(2);
  }

  private static int check(Message.Builder m) {
    return MessageRules.check(m.build(), ME);
  }

  @Test
  void aPlainMessagePasses() {
    assertEquals(200, check(good()));
    assertEquals(200, check(good().setTransmissionMode(0)));
    assertEquals(200, check(good().setTransmissionMode(1).setType(3)));
    assertEquals(200, check(good().setType(2)));
    assertEquals(200, check(good().setFrom(Identity.newBuilder().setEid(ME))));
    assertEquals(200, check(good().setEncryptionType("none").setPayload(ByteString.copyFromUtf8("x"))));
  }

  @Test
  void messageIdMustBeOneTo128Bytes() {
    assertEquals(400, check(good().setMessageId("")));
    assertEquals(200, check(good().setMessageId("x".repeat(128))));
    assertEquals(400, check(good().setMessageId("x".repeat(129))));
    assertEquals(200, check(good().setMessageId("é".repeat(64))));
    assertEquals(400, check(good().setMessageId("€".repeat(43))));
  }

  @Test
  void recipientIsRequired() {
    assertEquals(400, check(good().clearTo()));
    assertEquals(400, check(good().setTo(Identity.newBuilder().setEid(""))));
  }

  @Test
  void nobodySendsAsSomeoneElse() {
    assertEquals(403, check(good().setFrom(Identity.newBuilder().setEid("mallory"))));
  }

  @Test
  void typeAndModeMustBeKnown() {
    assertEquals(400, check(good().setType(0)));
    assertEquals(400, check(good().setType(4)));
    assertEquals(400, check(good().setTransmissionMode(3)));
    assertEquals(400, check(good().setTransmissionMode(-1)));
  }

  @Test
  void encryptionRules() {
    assertEquals(400, check(good().setEncryptionType("ROT13")));
    assertEquals(200, check(good().setEncryptionType("E2E").setEncrypted("aGVsbG8=")));
    assertEquals(200, check(good().setEncryptionType("AES256").setEncrypted("aGVsbG8")));
    assertEquals(400, check(good().setEncryptionType("E2E").setEncrypted("not base64!")));
    assertEquals(400, check(good().setEncryptionType("E2E").setEncrypted("aGVsbG8=")
        .setPayload(ByteString.copyFromUtf8("plain"))));
  }

  @Test
  void signatureMustBeBase64() {
    assertEquals(200, check(good().setSignature("c2ln")));
    assertEquals(400, check(good().setSignature("c2ln*")));
  }

  @Test
  void theFirstFailingCheckDecides() {
    assertEquals(400, check(good().setMessageId("").setFrom(Identity.newBuilder().setEid("x"))));
    assertEquals(403, check(good().setType(9).setFrom(Identity.newBuilder().setEid("x"))));
    assertEquals(400, check(good().setType(9).setEncryptionType("ROT13")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "QQ", "QQ==", "QUI=", "QUJD", "QUJDRA", "+/+/", "aGVsbG8gd29ybGQ="})
  void validBase64(String s) {
    assertTrue(MessageRules.isBase64(s), s);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Q", "QQ=", "=", "QQ===", "Q===", "-_-_", "QU JD", "QUJD\n", "QQ=A"})
  void invalidBase64(String s) {
    assertFalse(MessageRules.isBase64(s), s);
  }

  @Test
  void ackNamesAreHeldToTheBoundsOfAMessage() {
    MessagePeerAckSignal.Builder ok = MessagePeerAckSignal.newBuilder().setMethod(2)
        .setMessageId("m".repeat(128))
        .setTo(Identity.newBuilder().setEid("a".repeat(256)).setNode("n".repeat(64)))
        .setPeer(Peer.newBuilder().setFrom("a".repeat(256)).setTo("b"));
    assertTrue(MessageRules.boundedAck(ok.build()));
    assertTrue(MessageRules.boundedAck(MessagePeerAckSignal.newBuilder().setMethod(5).build()),
        "a SYNC needs no message_id");
    assertFalse(MessageRules.boundedAck(ok.clone().setMessageId("m".repeat(129)).build()));
    assertFalse(MessageRules.boundedAck(ok.clone().setMessageId("é".repeat(65)).build()));
    assertFalse(MessageRules.boundedAck(ok.clone()
        .setFrom(Identity.newBuilder().setConnectionResourceId("r".repeat(257))).build()));
    assertFalse(MessageRules.boundedAck(ok.clone()
        .setTo(Identity.newBuilder().setEid("a").setNode("n".repeat(65))).build()));
    assertFalse(MessageRules.boundedAck(ok.clone()
        .setPeer(Peer.newBuilder().setFrom("a").setTo("b".repeat(257))).build()));
  }

  @Test
  void cutKeepsWholeCharactersWithinTheBytes() {
    assertEquals("abc", MessageRules.cut("abc", 128));
    assertEquals("é".repeat(64), MessageRules.cut("é".repeat(100), 128));
    assertEquals("a" + "é".repeat(63), MessageRules.cut("a" + "é".repeat(100), 128));
    String emoji = new String(Character.toChars(0x1F600));
    assertEquals(emoji.repeat(32), MessageRules.cut(emoji.repeat(40), 128));
    assertEquals("ab" + emoji.repeat(31), MessageRules.cut("ab" + emoji.repeat(40), 128));
  }
}

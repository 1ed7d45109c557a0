package io.phoenix.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
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
}

package io.phoenix.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worked example of docs/protocol.md §11.3, read from the file itself: the key, its JWK,
 * the signed bytes and the signatures must be what {@link MessageSignature} and
 * {@link DeviceKey} compute, so a client written from the page interoperates with the node.
 */
class SignatureExampleTest {
  static final Path DOC = Path.of("..", "docs", "protocol.md");
  static String doc;

  /** The message of the example, as Alice's client sends it (from left empty). */
  static final Message MESSAGE = Message.newBuilder().setMessageId("m-0001")
      .setTo(Identity.newBuilder().setEid("bob")).setType(1)
      .setPayload(ByteString.copyFromUtf8("hi bob")).setTransmissionMode(2)
      .setTimestamp(1767261600000L).build();

  @BeforeAll
  static void read() throws Exception {
    doc = Files.readString(DOC);
  }

  /** The fenced block right after {@code <!-- example:NAME -->}. */
  static String block(String name) {
    Matcher m = Pattern.compile("<!-- example:" + Pattern.quote(name)
        + " -->\\s*```[a-z]*\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertTrue(m.find(), "no example block " + name + " in " + DOC);
    return m.group(1).strip();
  }

  @Test
  void theDocumentedKeyHasTheDocumentedJwk() {
    DeviceKey key = DeviceKey.parse(block("ed25519-key"));
    assertEquals(new JsonObject(block("ed25519-jwk")), key.jwk());
  }

  @Test
  void theDocumentedSignedBytesAreWhatTheCodeSigns() {
    StringBuilder hex = new StringBuilder();
    for (String line : block("signed-bytes").split("\n")) {
      int comment = line.indexOf('#');
      hex.append((comment < 0 ? line : line.substring(0, comment)).replaceAll("\\s", ""));
    }
    assertArrayEquals(HexFormat.of().parseHex(hex), MessageSignature.signedBytes(MESSAGE,
        "alice"));
  }

  @Test
  void theDocumentedEd25519SignatureIsReproducedAndVerifies() {
    DeviceKey key = DeviceKey.parse(block("ed25519-key"));
    String documented = block("ed25519-signature");
    assertEquals(documented, key.sign(MESSAGE, "alice"), "Ed25519 is deterministic");
    Message signed = MESSAGE.toBuilder().setSignature(documented).build();
    assertTrue(MessageSignature.verify(signed, "alice", key.publicKey()));
    // fields outside the signed bytes do not matter; the signed ones do
    assertTrue(MessageSignature.verify(signed.toBuilder().setTransmissionMode(1)
        .setTimestamp(1).build(), "alice", key.publicKey()));
    assertTrue(!MessageSignature.verify(signed, "mallory", key.publicKey()));
    assertTrue(!MessageSignature.verify(signed.toBuilder().setType(2).build(), "alice",
        key.publicKey()));
  }

  @Test
  void theDocumentedP256SignatureVerifies() throws Exception {
    JsonObject jwk = new JsonObject(block("p256-jwk"));
    java.util.Base64.Decoder b64 = java.util.Base64.getUrlDecoder();
    PublicKey key = DeviceKey.p256PublicKey(
        new java.math.BigInteger(1, b64.decode(jwk.getString("x"))),
        new java.math.BigInteger(1, b64.decode(jwk.getString("y"))));
    Message signed = MESSAGE.toBuilder().setSignature(block("p256-signature")).build();
    assertTrue(MessageSignature.verify(signed, "alice", key));
    assertTrue(!MessageSignature.verify(signed.toBuilder().setPayload(ByteString.copyFromUtf8(
        "hi bib")).build(), "alice", key));
  }
}

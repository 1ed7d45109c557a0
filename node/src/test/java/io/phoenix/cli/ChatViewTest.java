package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the chat prints when live events and the conversation's history cross. */
class ChatViewTest {

  private static Peer peer(long offset) {
    return Peer.newBuilder().setFrom("alice").setTo("bob").setOffset(offset).build();
  }

  private static MessagePeerAckSignal accepted(long offset) {
    return MessagePeerAckSignal.newBuilder().setStatusCode(200).setPeer(peer(offset)).build();
  }

  private static Message mine(long offset, String text) {
    return Message.newBuilder().setFrom(Identity.newBuilder().setEid("alice"))
        .setTimestamp(offset).setPayload(ByteString.copyFromUtf8(text)).setPeer(peer(offset))
        .build();
  }

  private static long count(String output, String line) {
    return output.lines().filter(line::equals).count();
  }

  /**
   * A line sent before the history arrived is in the history too: it is shown once, by the
   * history, and not again when its ACCEPTED is let through.
   */
  @Test
  void aMessageSentBeforeTheHistoryIsShownOnce() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ChatView view = new ChatView(new PrintStream(bytes, true, StandardCharsets.UTF_8),
        "alice", "bob", false)) {
      view.sent(accepted(2), "piped");
      view.history(List.of(mine(1, "earlier"), mine(2, "piped")), List.of(), 20, m -> { });
      view.sent(accepted(3), "typed");
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(1, count(out, "[#2 v] you: piped"), out);
    assertEquals(1, count(out, "[#1 v] you: earlier"), out);
    assertEquals(1, count(out, "[#3 v] you: typed"), out);
  }
}

package io.phoenix.protocol;

import com.google.protobuf.CodedOutputStream;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.phoenix.protocol.v1.MessageType;
import io.phoenix.protocol.v1.TransmissionMode;
import java.nio.charset.StandardCharsets;

/**
 * The checks of PROTOCOL.md §5 that a client's Message must pass before anything is stored or
 * delivered, in the order the contract lists them (the rate limit, last in that list, is the
 * session's business). The first failing check decides the status.
 *
 * <p>Pure functions; thread-safe.
 */
public final class MessageRules {
  /** Longest accepted message_id, in UTF-8 bytes. */
  public static final int MAX_MESSAGE_ID_BYTES = 128;
  /** Longest accepted eid or connection_resource_id, in UTF-8 bytes (see docs/protocol.md). */
  public static final int MAX_ID_BYTES = 256;

  private MessageRules() {}

  /**
   * Returns {@link Status#OK} when {@code m} may be sent by the session whose eid is
   * {@code sessionEid}, or the status of the first rule it breaks.
   */
  public static int check(Message m, String sessionEid) {
    if (!validId(m.getMessageId(), MAX_MESSAGE_ID_BYTES)) {
      return Status.BAD_REQUEST;
    }
    if (!validId(m.getTo().getEid(), MAX_ID_BYTES)) {
      return Status.BAD_REQUEST;
    }
    if (m.hasFrom() && !m.getFrom().getEid().isEmpty()
        && !m.getFrom().getEid().equals(sessionEid)) {
      return Status.FORBIDDEN;
    }
    int type = m.getType();
    if (type != MessageType.SENDER_VALUE && type != MessageType.DEVICE_VALUE
        && type != MessageType.RECEIVER_VALUE) {
      return Status.BAD_REQUEST;
    }
    int mode = m.getTransmissionMode();
    if (mode != 0 && mode != TransmissionMode.PULL_VALUE && mode != TransmissionMode.PUSH_VALUE) {
      return Status.BAD_REQUEST;
    }
    String enc = m.getEncryptionType();
    boolean encrypted = enc.equals("AES256") || enc.equals("E2E");
    if (!encrypted && !enc.isEmpty() && !enc.equals("none")) {
      return Status.BAD_REQUEST;
    }
    if (encrypted && (!isBase64(m.getEncrypted()) || !m.getPayload().isEmpty())) {
      return Status.BAD_REQUEST;
    }
    if (!m.getSignature().isEmpty() && !isBase64(m.getSignature())) {
      return Status.BAD_REQUEST;
    }
    return Status.OK;
  }

  /**
   * An upper bound of the size of {@code m} as the server delivers it (a Frame holding the
   * Message with {@code from} stamped as {@code sender}, {@code peer} filled, {@code to.node}
   * set and transmission_mode set): a message whose delivered form could exceed max_frame_bytes
   * is refused (413), so the server never sends a frame over the limit it announced.
   */
  public static int deliveredSizeBound(Message m, Identity sender) {
    long size = m.getSerializedSize();
    if (m.hasFrom()) {
      size -= CodedOutputStream.computeMessageSize(2, m.getFrom());
    }
    if (m.hasPeer()) {
      size -= CodedOutputStream.computeMessageSize(11, m.getPeer());
    }
    size += CodedOutputStream.computeMessageSize(2, sender);
    size += CodedOutputStream.computeMessageSize(11, Peer.newBuilder()
        .setFrom(sender.getEid()).setTo(m.getTo().getEid())
        .setOffset(Long.MAX_VALUE).setPeerOffset(Long.MAX_VALUE).build());
    size += 2 + 2 + MAX_NODE_ID_CHARS + 5; // to.node, growth of to's length, transmission_mode
    return (int) Math.min(Integer.MAX_VALUE, size + 1 + 5); // the Frame's tag and length
  }

  /**
   * True when every name an ack signal carries is within the bounds of a message's: message_id
   * at most {@link #MAX_MESSAGE_ID_BYTES} (it may be empty), the eids and
   * connection_resource_ids of {@code to}, {@code from} and {@code peer} at most
   * {@link #MAX_ID_BYTES}, and {@code to.node} and {@code from.node} at most
   * {@value #MAX_NODE_ID_CHARS} characters. The server repeats these names in what it sends
   * back and forwards; bounded, those frames stay within max_frame_bytes whatever the client
   * sent.
   */
  public static boolean boundedAck(MessagePeerAckSignal a) {
    return bounded(a.getMessageId(), MAX_MESSAGE_ID_BYTES)
        && (!a.hasTo() || bounded(a.getTo()))
        && (!a.hasFrom() || bounded(a.getFrom()))
        && (!a.hasPeer() || bounded(a.getPeer().getFrom(), MAX_ID_BYTES)
            && bounded(a.getPeer().getTo(), MAX_ID_BYTES));
  }

  private static boolean bounded(Identity id) {
    return bounded(id.getEid(), MAX_ID_BYTES) && bounded(id.getConnectionResourceId(), MAX_ID_BYTES)
        && id.getNode().length() <= MAX_NODE_ID_CHARS;
  }

  private static boolean bounded(String s, int maxBytes) {
    return s.isEmpty() || validId(s, maxBytes);
  }

  /** {@code id} cut to at most {@code maxBytes} of UTF-8, at a character boundary. */
  public static String cut(String id, int maxBytes) {
    if (bounded(id, maxBytes)) {
      return id;
    }
    int bytes = 0;
    int end = 0;
    while (end < id.length()) {
      int cp = id.codePointAt(end);
      int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + n > maxBytes) {
        break;
      }
      bytes += n;
      end += Character.charCount(cp);
    }
    return id.substring(0, end);
  }

  /** Longest node id (see the configuration rules of node.id). */
  private static final int MAX_NODE_ID_CHARS = 64;

  /** True when {@code id} is non-empty and at most {@code maxBytes} long in UTF-8. */
  public static boolean validId(String id, int maxBytes) {
    if (id.isEmpty()) {
      return false;
    }
    // A char is at most 3 UTF-8 bytes; only measure exactly when it could matter.
    return id.length() * 3 <= maxBytes
        || id.getBytes(StandardCharsets.UTF_8).length <= maxBytes;
  }

  /**
   * True when {@code s} is base64 in the standard alphabet of RFC 4648 §4 ({@code A-Z a-z 0-9
   * + /}), with or without '=' padding, and no whitespace. The empty string is valid.
   */
  public static boolean isBase64(String s) {
    int n = s.length();
    int pad = 0;
    while (pad < 2 && n - pad > 0 && s.charAt(n - pad - 1) == '=') {
      pad++;
    }
    int data = n - pad;
    for (int i = 0; i < data; i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '+' || c == '/';
      if (!ok) {
        return false;
      }
    }
    if (pad > 0) {
      return n % 4 == 0;
    }
    return data % 4 != 1;
  }
}

package io.phoenix.transport.ws;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The pieces of RFC 6455 both ends of a connection need: the opcodes, the opening handshake's
 * accept key, and the writing of a final frame, unmasked as a server sends it or masked as a
 * client must. The node writes with {@link #append}; {@code phoenix bench}'s WebSocket clients
 * with {@link #appendMasked}. Reading is {@link WebSocketFrameDecoder}'s.
 *
 * <p>Stateless.
 */
public final class WebSocketFrames {
  private WebSocketFrames() {}

  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  /** The longest header written: 2 bytes, a 64-bit length and a 4-byte mask. */
  public static final int MAX_HEADER = 14;

  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** {@code Sec-WebSocket-Accept} for a client's key: base64(SHA-1(key + GUID)). */
  public static String acceptFor(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      byte[] digest = sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  /** Appends one final, unmasked frame: what a server sends. */
  public static void append(Buffer out, int opcode, Buffer payload) {
    header(out, opcode, payload.length(), false);
    out.appendBuffer(payload);
  }

  /**
   * Appends one final frame masked with {@code maskKey}: what a client must send (RFC 6455
   * 5.3 asks for a fresh, unpredictable key per frame).
   */
  public static void appendMasked(Buffer out, int opcode, Buffer payload, int maskKey) {
    header(out, opcode, payload.length(), true);
    out.appendInt(maskKey);
    int start = out.length();
    out.appendBuffer(payload);
    int end = out.length();
    long mask8 = ((maskKey & 0xFFFFFFFFL) << 32) | (maskKey & 0xFFFFFFFFL);
    int i = start;
    for (; i + 8 <= end; i += 8) { // eight bytes move the mask by a whole turn
      out.setLong(i, out.getLong(i) ^ mask8);
    }
    for (int k = 0; i < end; i++, k++) {
      out.setByte(i, (byte) (out.getByte(i) ^ (maskKey >>> (24 - 8 * (k & 3)))));
    }
  }

  private static void header(Buffer out, int opcode, int length, boolean masked) {
    int maskBit = masked ? 0x80 : 0;
    out.appendByte((byte) (0x80 | opcode));
    if (length <= 125) {
      out.appendByte((byte) (maskBit | length));
    } else if (length <= 0xFFFF) {
      out.appendByte((byte) (maskBit | 126)).appendUnsignedShort(length);
    } else {
      out.appendByte((byte) (maskBit | 127)).appendLong(length);
    }
  }
}

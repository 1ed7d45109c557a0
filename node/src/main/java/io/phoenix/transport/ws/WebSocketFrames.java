package io.phoenix.transport.ws;

import io.vertx.core.buffer.Buffer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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

  /** Eight bytes of an array at any index, as one long (big-endian, like the mask key). */
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

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

  /** Bytes of the header of an unmasked frame of {@code payloadLength} bytes. */
  public static int headerLength(int payloadLength) {
    return payloadLength <= 125 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
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
    byte[] body = payload.getBytes();
    mask(body, 0, body.length, maskKey, 0);
    out.appendBytes(body);
  }

  /**
   * XORs {@code bytes[from..from+count)} with a mask key (its four bytes big-endian, as on the
   * wire), eight bytes at a time, starting at byte {@code phase} (0–3) of the key: masking and
   * unmasking are the same. Returns the phase for the byte after the last, for a payload that
   * arrives in pieces.
   */
  static int mask(byte[] bytes, int from, int count, int maskKey, int phase) {
    int i = from;
    int end = from + count;
    if (count >= 8) {
      long turn = Integer.rotateLeft(maskKey, 8 * phase) & 0xFFFFFFFFL;
      long mask8 = (turn << 32) | turn;
      for (; i + 8 <= end; i += 8) { // eight bytes move the mask by a whole turn
        LONGS.set(bytes, i, (long) LONGS.get(bytes, i) ^ mask8);
      }
    }
    int m = phase;
    for (; i < end; i++) {
      bytes[i] ^= (byte) (maskKey >>> (24 - 8 * m));
      m = (m + 1) & 3;
    }
    return m;
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

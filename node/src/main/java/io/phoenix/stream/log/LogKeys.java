package io.phoenix.stream.log;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Byte layouts of {@link RocksDbMessageLog}'s keys and values. A stream is written as its
 * recipient then its sender, each a varint length and UTF-8 bytes; numbers are big-endian, so
 * keys of one stream sort by offset.
 *
 * <p>Stateless; thread-safe.
 */
final class LogKeys {
  private LogKeys() {}

  /** Key prefix of every stream into {@code to}. */
  static byte[] recipient(String to) {
    Utf8 t = new Utf8(to);
    byte[] key = new byte[t.fieldLength()];
    t.put(key, 0);
    return key;
  }

  /** Key of {@code S(from → to)} in the streams family, and prefix of its other keys. */
  static byte[] stream(String from, String to) {
    return streamKey(new Utf8(from), new Utf8(to), 0);
  }

  static byte[] message(String from, String to, long offset) {
    byte[] key = streamKey(new Utf8(from), new Utf8(to), 8);
    putLong(key, key.length - 8, offset);
    return key;
  }

  static byte[] id(String from, String to, String messageId) {
    Utf8 id = new Utf8(messageId);
    byte[] key = streamKey(new Utf8(from), new Utf8(to), id.length);
    id.putBytes(key, key.length - id.length);
    return key;
  }

  /** The stream key of {@code from → to}, with {@code extra} bytes left free at its end. */
  private static byte[] streamKey(Utf8 from, Utf8 to, int extra) {
    byte[] key = new byte[to.fieldLength() + from.fieldLength() + extra];
    from.put(key, to.put(key, 0));
    return key;
  }

  /** The id key of a stored message, from its stream prefix and its message value. */
  static byte[] idOfValue(byte[] streamPrefix, byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value, 9, value.length - 9);
    int idLength = readVarint(b);
    byte[] key = Arrays.copyOf(streamPrefix, streamPrefix.length + idLength);
    b.get(key, streamPrefix.length, idLength);
    return key;
  }

  /** acceptedAt (8), type (1), message_id (varint length + UTF-8), body. */
  static byte[] messageValue(MessageLog.Entry e) {
    Utf8 id = new Utf8(e.messageId());
    byte[] body = e.body();
    byte[] value = new byte[9 + id.fieldLength() + body.length];
    putLong(value, 0, e.acceptedAt());
    value[8] = (byte) e.type();
    int p = id.put(value, 9);
    System.arraycopy(body, 0, value, p, body.length);
    return value;
  }

  static MessageLog.Entry entry(String from, String to, long offset, byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    long acceptedAt = b.getLong();
    int type = b.get();
    byte[] id = new byte[readVarint(b)];
    b.get(id);
    byte[] body = new byte[b.remaining()];
    b.get(body);
    return new MessageLog.Entry(from, to, offset, new String(id, StandardCharsets.UTF_8), type,
        acceptedAt, body);
  }

  /** head, delivered, read (8 each), then the number of runs and each run's two offsets. */
  static byte[] rowValue(MessageLog.StreamRow r) {
    long[] runs = r.runs() == null ? new long[0] : r.runs();
    ByteBuffer b = ByteBuffer.allocate(28 + 8 * runs.length);
    b.putLong(r.head()).putLong(r.delivered()).putLong(r.read()).putInt(runs.length);
    for (long v : runs) {
      b.putLong(v);
    }
    return b.array();
  }

  static MessageLog.StreamRow row(String from, String to, byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    long head = b.getLong();
    long delivered = b.getLong();
    long read = b.getLong();
    long[] runs = new long[b.getInt()];
    for (int i = 0; i < runs.length; i++) {
      runs[i] = b.getLong();
    }
    return new MessageLog.StreamRow(from, to, head, delivered, read, runs);
  }

  /** {@code old} with each position raised to {@code next}'s, and {@code next}'s runs if given. */
  static MessageLog.StreamRow raise(MessageLog.StreamRow old, MessageLog.StreamRow next) {
    return new MessageLog.StreamRow(old.from(), old.to(), Math.max(old.head(), next.head()),
        Math.max(old.delivered(), next.delivered()), Math.max(old.read(), next.read()),
        next.runs() != null ? next.runs() : old.runs());
  }

  /** The length of the recipient's field (varint length and bytes) at the start of a key. */
  static int recipientLength(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key);
    int length = readVarint(b);
    return b.position() + length;
  }

  /**
   * The eid whose field (varint length and UTF-8 bytes) starts at byte {@code at} of a key: the
   * recipient's at 0, the sender's after the recipient's field.
   */
  static String eidAt(byte[] key, int at) {
    ByteBuffer b = ByteBuffer.wrap(key, at, key.length - at);
    byte[] eid = new byte[readVarint(b)];
    b.get(eid);
    return new String(eid, StandardCharsets.UTF_8);
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  static byte[] long8(long v) {
    byte[] b = new byte[8];
    putLong(b, 0, v);
    return b;
  }

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  private static int varintLength(int v) {
    int n = 1;
    while ((v & ~0x7F) != 0) {
      n++;
      v >>>= 7;
    }
    return n;
  }

  private static int putVarint(byte[] b, int at, int v) {
    while ((v & ~0x7F) != 0) {
      b[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[at++] = (byte) v;
    return at;
  }

  /**
   * A string's UTF-8 bytes, as {@link String#getBytes} with UTF-8 makes them, written straight
   * into a key: an ASCII string (eids, resources and ids usually are) needs no array of its
   * own.
   */
  private static final class Utf8 {
    final String s;
    final byte[] encoded; // null when s is ASCII
    final int length;

    Utf8(String s) {
      this.s = s;
      this.encoded = ascii(s) ? null : s.getBytes(StandardCharsets.UTF_8);
      this.length = encoded == null ? s.length() : encoded.length;
    }

    private static boolean ascii(String s) {
      for (int i = 0; i < s.length(); i++) {
        if (s.charAt(i) >= 0x80) {
          return false;
        }
      }
      return true;
    }

    /** Bytes of the varint length and the string. */
    int fieldLength() {
      return varintLength(length) + length;
    }

    /** Writes the varint length and the string at {@code at}; returns the end. */
    int put(byte[] b, int at) {
      at = putVarint(b, at, length);
      putBytes(b, at);
      return at + length;
    }

    /** Writes the string alone at {@code at}. */
    void putBytes(byte[] b, int at) {
      if (encoded != null) {
        System.arraycopy(encoded, 0, b, at, length);
      } else {
        for (int i = 0; i < length; i++) {
          b[at + i] = (byte) s.charAt(i);
        }
      }
    }
  }

  private static int readVarint(ByteBuffer b) {
    int shift = 0;
    int v = 0;
    while (true) {
      byte x = b.get();
      v |= (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
      shift += 7;
    }
  }
}

package io.phoenix.stream.log;

import java.io.ByteArrayOutputStream;
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
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + to.length());
    writeString(out, to);
    return out.toByteArray();
  }

  /** Key of {@code S(from → to)} in the streams family, and prefix of its other keys. */
  static byte[] stream(String from, String to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + to.length() + from.length());
    writeString(out, to);
    writeString(out, from);
    return out.toByteArray();
  }

  static byte[] message(String from, String to, long offset) {
    byte[] prefix = stream(from, to);
    byte[] key = Arrays.copyOf(prefix, prefix.length + 8);
    ByteBuffer.wrap(key, prefix.length, 8).putLong(offset);
    return key;
  }

  static byte[] id(String from, String to, String messageId) {
    byte[] prefix = stream(from, to);
    byte[] id = messageId.getBytes(StandardCharsets.UTF_8);
    byte[] key = Arrays.copyOf(prefix, prefix.length + id.length);
    System.arraycopy(id, 0, key, prefix.length, id.length);
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
    byte[] id = e.messageId().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + id.length + e.body().length);
    out.writeBytes(long8(e.acceptedAt()));
    out.write(e.type());
    writeVarint(out, id.length);
    out.writeBytes(id);
    out.writeBytes(e.body());
    return out.toByteArray();
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

  /** The sender's eid in a streams-family key whose recipient part is {@code skip} bytes. */
  static String senderOf(byte[] key, int skip) {
    ByteBuffer b = ByteBuffer.wrap(key, skip, key.length - skip);
    byte[] from = new byte[readVarint(b)];
    b.get(from);
    return new String(from, StandardCharsets.UTF_8);
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  static byte[] long8(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVarint(out, b.length);
    out.writeBytes(b);
  }

  private static void writeVarint(ByteArrayOutputStream out, int v) {
    while ((v & ~0x7F) != 0) {
      out.write((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write(v);
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

package io.phoenix.stream.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The RocksDB layouts are on disk: whatever the code that writes them, the bytes must stay
 * those of the documented layout (varint length + UTF-8 per string, big-endian numbers). Checked
 * against literal bytes, and against the layout spelled out the plain way for strings of every
 * kind (ASCII, two-, three- and four-byte UTF-8, a lone surrogate, long enough for a two-byte
 * varint).
 */
class LogKeysTest {

  @Test
  void literalLayouts() {
    assertArrayEquals(new byte[] {3, 'b', 'o', 'b'}, LogKeys.recipient("bob"));
    assertArrayEquals(new byte[] {3, 'b', 'o', 'b', 5, 'a', 'l', 'i', 'c', 'e'},
        LogKeys.stream("alice", "bob"));
    assertArrayEquals(new byte[] {1, 'b', 1, 'a', 0, 0, 0, 0, 0, 0, 1, 2},
        LogKeys.message("a", "b", 258));
    assertArrayEquals(new byte[] {1, 'b', 1, 'a', 'm', '-', '1'}, LogKeys.id("a", "b", "m-1"));
    assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 7}, LogKeys.long8(7));
    assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 'i', 'd', 9, 8},
        LogKeys.messageValue(new MessageLog.Entry("a", "b", 1, "id", 2, 256, new byte[] {9, 8})));
    assertArrayEquals(new byte[] {2, (byte) 0xC3, (byte) 0xA9}, LogKeys.recipient("é"));
  }

  @Test
  void everyKindOfStringIsWrittenAsUtf8WithItsLength() {
    Random random = new Random(11);
    List<String> samples = List.of("", "bob", "é", "€uro", "\uD83D\uDE00", "a\uD800b",
        "x".repeat(127), "y".repeat(128), "ü".repeat(300), "9f0b-" + "z".repeat(200));
    for (String from : samples) {
      for (String to : samples) {
        long offset = random.nextLong();
        String id = samples.get(random.nextInt(samples.size()));
        byte[] body = new byte[random.nextInt(200)];
        random.nextBytes(body);
        assertArrayEquals(plain(to), LogKeys.recipient(to));
        assertArrayEquals(concat(plain(to), plain(from)), LogKeys.stream(from, to));
        assertArrayEquals(concat(plain(to), plain(from), big(offset)),
            LogKeys.message(from, to, offset));
        assertArrayEquals(concat(plain(to), plain(from), utf8(id)), LogKeys.id(from, to, id));
        MessageLog.Entry e = new MessageLog.Entry(from, to, offset, id, 3, offset ^ 5, body);
        byte[] value = LogKeys.messageValue(e);
        assertArrayEquals(concat(big(offset ^ 5), new byte[] {3}, plain(id), body), value);
        MessageLog.Entry back = LogKeys.entry(from, to, offset, value);
        assertEquals(new String(utf8(id), StandardCharsets.UTF_8), back.messageId());
        assertArrayEquals(body, back.body());
        assertArrayEquals(LogKeys.id(from, to, id),
            LogKeys.idOfValue(LogKeys.stream(from, to), value));
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Varint length, then the UTF-8 bytes. */
  private static byte[] plain(String s) {
    byte[] b = utf8(s);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int v = b.length;
    while (v >= 0x80) {
      out.write((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write(v);
    out.writeBytes(b);
    return out.toByteArray();
  }

  private static byte[] big(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}

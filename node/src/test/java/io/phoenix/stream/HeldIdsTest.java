package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The compact held ids against a plain model: every lookup after random adds and drops, with
 * hashes drawn from a tiny range so that collisions and long probe runs (and the index's
 * backward shifts on removal) happen all the time.
 */
class HeldIdsTest {
  @Test
  void lookupsMatchAPlainListThroughAddsDropsAndCollisions() {
    Random random = new Random(7);
    HeldIds held = new HeldIds();
    ArrayDeque<long[]> model = new ArrayDeque<>(); // {offset, hash}
    long next = 1;
    for (int step = 0; step < 60_000; step++) {
      if (model.isEmpty() || random.nextInt(100) < 55) {
        long hash = random.nextInt(16) * 0x1_0000_0001L; // many alike
        held.add(next, hash, step, step, random.nextBoolean() ? "n1" : "n2");
        model.addLast(new long[] {next, hash});
        next++;
      } else {
        held.dropOldest();
        model.removeFirst();
        if (model.isEmpty()) {
          next += random.nextInt(5); // a new run may start anywhere above
        }
      }
      if (step % 97 == 0) {
        for (int h = 0; h < 16; h++) {
          long hash = h * 0x1_0000_0001L;
          long after = model.isEmpty() ? 0 : model.peekFirst()[0] + random.nextInt(8) - 1;
          long expected = 0;
          for (long[] m : model) {
            if (m[1] == hash && m[0] > after) {
              expected = Math.max(expected, m[0]);
            }
          }
          assertEquals(expected, held.find(hash, after), "step " + step + " hash " + h);
        }
      }
      assertEquals(model.size(), held.size());
    }
  }

  @Test
  void theArraysShrinkAfterABurst() {
    HeldIds held = new HeldIds();
    for (long o = 1; o <= 100_000; o++) {
      held.add(o, o * 31, o, o, "n1");
    }
    assertTrue(held.capacity() >= 100_000);
    while (held.size() > 10) {
      held.dropOldest();
    }
    assertTrue(held.capacity() <= 128, "capacity " + held.capacity());
    for (long o = 99_991; o <= 100_000; o++) {
      assertEquals(o, held.find(o * 31, 0));
    }
    assertEquals(0, held.find(99_990 * 31, 0));
  }

  @Test
  void theHashIsStableAndSpread() {
    assertEquals(HeldIds.hash("m-1"), HeldIds.hash(new String("m-1".toCharArray())));
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      assertTrue(seen.add(HeldIds.hash("id-" + i)));
    }
    assertNotEquals(HeldIds.hash("ab"), HeldIds.hash("ba"));
    assertNotEquals(HeldIds.hash(""), HeldIds.hash("\0"));
  }

  @Test
  void aRequestIsRecognisedByItsNodeAndNumber() {
    HeldIds held = new HeldIds();
    held.add(10, 1, 0, 42, new String("node-1".toCharArray()));
    assertTrue(held.appendedBy(10, "node-1", 42));
    assertEquals(false, held.appendedBy(10, "node-2", 42));
    assertEquals(false, held.appendedBy(10, "node-1", 43));
  }
}

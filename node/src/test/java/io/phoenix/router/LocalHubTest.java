package io.phoenix.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The node's table of local sessions: one device, several, replacement, stale removal, races. */
class LocalHubTest {
  /** A session whose Hello was checked late does not replace one its client opened after it. */
  @Test
  void aSessionOpenedEarlierDoesNotReplaceOneOpenedLater() {
    LocalHub hub = new LocalHub();
    FakeSubscriber early = new FakeSubscriber("bob", "phone", "run1:" + Long.toHexString(1_000) + ":a");
    FakeSubscriber late = new FakeSubscriber("bob", "phone", "run1:" + Long.toHexString(9_000) + ":b");
    FakeSubscriber laptop = new FakeSubscriber("bob", "laptop", "run1:" + Long.toHexString(9_000) + ":c");
    assertNull(hub.add(late));
    assertSame(late, hub.add(early), "the session that keeps its place");
    assertTrue(LocalHub.supersedes(late, early));
    assertSame(late, hub.find("bob", "phone"));
    assertNull(hub.add(laptop)); // two devices: the array form
    assertSame(late, hub.add(early));
    assertSame(late, hub.find("bob", "phone"));
    assertFalse(hub.remove(early), "it was never added");
    FakeSubscriber later = new FakeSubscriber("bob", "phone", "run2:" + Long.toHexString(20_000) + ":d");
    assertSame(late, hub.add(later), "replaced by one opened later");
    assertFalse(LocalHub.supersedes(late, later));
    assertSame(later, hub.find("bob", "phone"));
    assertEquals(2, hub.size());
  }

  @Test
  void oneDeviceIsFoundReplacedAndRemovedOnlyByItsCurrentSession() {
    LocalHub hub = new LocalHub();
    FakeSubscriber first = new FakeSubscriber("bob", "phone", "s1");
    assertNull(hub.add(first));
    assertSame(first, hub.find("bob", "phone"));
    assertNull(hub.find("bob", "laptop"));
    assertNull(hub.find("alice", "phone"));

    FakeSubscriber second = new FakeSubscriber("bob", "phone", "s2");
    assertSame(first, hub.add(second), "the session it replaced");
    assertSame(second, hub.find("bob", "phone"));
    assertFalse(hub.remove(first), "a replaced session removes nothing");
    assertSame(second, hub.find("bob", "phone"));
    assertEquals(1, hub.size());

    hub.push("bob", "phone", null, Subscriber.PushKind.UNORDERED, null, 0, 0);
    assertEquals(1, second.pushed);
    hub.kick("bob", "phone", "s1", 409, "old");
    assertNull(second.closed, "kicking the replaced session's id leaves the new one alone");
    hub.kick("bob", "phone", "s2", 409, "replaced");
    assertEquals("409 replaced", second.closed);

    assertTrue(hub.remove(second));
    assertNull(hub.find("bob", "phone"));
    assertEquals(0, hub.size());
    assertTrue(hub.all().isEmpty());
  }

  @Test
  void severalDevicesOfOneEidAreKeptApart() {
    LocalHub hub = new LocalHub();
    FakeSubscriber phone = new FakeSubscriber("bob", "phone", "s1");
    FakeSubscriber laptop = new FakeSubscriber("bob", "laptop", "s2");
    FakeSubscriber tablet = new FakeSubscriber("bob", "tablet", "s3");
    FakeSubscriber alice = new FakeSubscriber("alice", "phone", "s4");
    for (FakeSubscriber d : List.of(phone, laptop, tablet, alice)) {
      assertNull(hub.add(d));
    }
    assertEquals(4, hub.size());
    assertEquals(Set.of(phone, laptop, tablet, alice), new HashSet<>(hub.all()));
    assertSame(laptop, hub.find("bob", "laptop"));

    FakeSubscriber laptop2 = new FakeSubscriber("bob", "laptop", "s5");
    assertSame(laptop, hub.add(laptop2));
    assertSame(laptop2, hub.find("bob", "laptop"));
    assertSame(phone, hub.find("bob", "phone"));
    assertSame(tablet, hub.find("bob", "tablet"));
    assertFalse(hub.remove(laptop));
    assertEquals(4, hub.size());

    assertTrue(hub.remove(phone));
    assertNull(hub.find("bob", "phone"));
    assertSame(laptop2, hub.find("bob", "laptop"));
    assertTrue(hub.remove(laptop2));
    assertSame(tablet, hub.find("bob", "tablet"), "the last one left");
    assertTrue(hub.remove(tablet));
    assertFalse(hub.remove(tablet));
    assertEquals(List.of(alice), hub.all());
  }

  /**
   * Threads of several event loops register and leave devices of the same eids at once: what
   * stays registered is exactly each device's last session, and nothing is lost or duplicated.
   */
  @Test
  void concurrentArrivalsAndDeparturesLoseNothing() throws Exception {
    LocalHub hub = new LocalHub();
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<FakeSubscriber>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          FakeSubscriber[] current = new FakeSubscriber[4]; // this thread's resources: r<thread>-0..3 of eid e<k>
          for (int i = 0; i < 20_000; i++) {
            int k = random.nextInt(current.length);
            if (current[k] != null && random.nextBoolean()) {
              assertTrue(hub.remove(current[k]));
              current[k] = null;
            } else {
              FakeSubscriber d = new FakeSubscriber("e" + k, "r" + thread + "-" + k, thread + "." + i);
              assertSame(current[k], hub.add(d));
              current[k] = d;
            }
          }
          List<FakeSubscriber> left = new ArrayList<>();
          for (FakeSubscriber d : current) {
            if (d != null) {
              left.add(d);
            }
          }
          return left;
        }));
      }
      Set<Subscriber> expected = new HashSet<>();
      for (Future<List<FakeSubscriber>> f : results) {
        expected.addAll(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(expected, new HashSet<>(hub.all()));
      assertEquals(expected.size(), hub.size());
      for (Subscriber s : expected) {
        assertSame(s, hub.find(s.identity().getEid(), s.identity().getConnectionResourceId()));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}

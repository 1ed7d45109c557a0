package io.phoenix.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The generator's own collections, counted in the measured window only. */
class OwnPausesTest {
  @Test
  void aCollectionInTheWindowIsCountedAndOneBeforeItIsNot() throws Exception {
    OwnPauses own = OwnPauses.listen();
    try {
      System.gc(); // before the window: not counted
      Thread.sleep(500); // notifications arrive on a JMX thread, after the collection
      assertEquals(0, own.pauses());

      own.open();
      System.gc();
      long until = System.nanoTime() + 10_000_000_000L;
      while (own.pauses() == 0 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertTrue(own.pauses() >= 1, "the collection in the window was counted");
      assertTrue(own.longestMs() <= own.totalMs(), own.longestMs() + " > " + own.totalMs());
    } finally {
      own.close();
    }
    long counted = own.pauses();
    System.gc(); // after close: neither counted nor listened to
    Thread.sleep(500);
    assertEquals(counted, own.pauses());
  }

  @Test
  void concurrentCyclesAreNotPauses() {
    for (String pause : new String[] {"PS Scavenge", "PS MarkSweep", "G1 Young Generation",
        "G1 Old Generation", "Copy", "MarkSweepCompact", "ZGC Pauses", "Shenandoah Pauses"}) {
      assertTrue(OwnPauses.stopsTheWorld(pause), pause);
    }
    for (String cycle : new String[] {"ZGC Cycles", "Shenandoah Cycles", "G1 Concurrent GC",
        "ZGC Major Cycles", "ZGC Minor Cycles"}) {
      assertFalse(OwnPauses.stopsTheWorld(cycle), cycle);
    }
  }
}

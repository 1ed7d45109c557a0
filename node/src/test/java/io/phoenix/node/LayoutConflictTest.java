package io.phoenix.node;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What a node says of a member whose cluster memory is laid out differently. */
class LayoutConflictTest {
  @Test
  void theSameLayoutIsNoConflict() {
    assertNull(HazelcastCluster.layoutConflict(HazelcastCluster.LAYOUT, "m"));
  }

  @Test
  void aMemberWithoutTheAttributeIsAnOlderBuild() {
    String s = HazelcastCluster.layoutConflict(null, "127.0.0.1:5701 (node-1)");
    assertTrue(s.contains("127.0.0.1:5701 (node-1) in layout 1 (an older Phoenix)"), s);
    assertTrue(s.contains("stop every member"), s);
  }

  @Test
  void aHigherLayoutIsANewerBuildAndGarbageIsAnother() {
    assertTrue(HazelcastCluster.layoutConflict("99", "m").contains("(a newer Phoenix)"));
    assertTrue(HazelcastCluster.layoutConflict("x", "m").contains("(another Phoenix)"));
  }
}

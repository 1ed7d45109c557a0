package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How recipients spread over the buckets, for the kinds of eids deployments use. */
class StreamBucketTest {
  private static final int EIDS = 64_000;

  private static IntFunction<String> kind(String kind) {
    return switch (kind) {
      case "sequential" -> i -> "user-" + i;
      case "prefixed" -> i -> "bench-1-idle-" + i;
      case "uuid" -> i -> new UUID(i * 0x9E3779B97F4A7C15L, ~i * 0xC2B2AE3D27D4EB4FL).toString();
      default -> throw new IllegalArgumentException(kind);
    };
  }

  @ParameterizedTest(name = "{0} eids")
  @ValueSource(strings = {"sequential", "prefixed", "uuid"})
  void everyBucketGetsItsShare(String kind) {
    IntFunction<String> eid = kind(kind);
    int[] count = new int[StreamBucket.BUCKETS];
    for (int i = 0; i < EIDS; i++) {
      int b = StreamBucket.of(eid.apply(i));
      assertTrue(b >= 0 && b < StreamBucket.BUCKETS, "bucket " + b);
      count[b]++;
    }
    int share = EIDS / StreamBucket.BUCKETS;
    for (int b = 0; b < count.length; b++) {
      assertTrue(Math.abs(count[b] - share) < share / 5,
          "bucket " + b + " holds " + count[b] + " of " + EIDS + " eids, a fair share is " + share);
    }
  }

  /**
   * The eids of one bucket are keys of that bucket's own hash maps, which index by the low bits
   * of the hash: those must not be the same for all of them.
   */
  @ParameterizedTest(name = "{0} eids")
  @ValueSource(strings = {"sequential", "prefixed", "uuid"})
  void theEidsOfOneBucketDoNotShareTheirLowHashBits(String kind) {
    IntFunction<String> eid = kind(kind);
    Set<Integer> lowBits = new HashSet<>();
    int inBucket = 0;
    for (int i = 0; i < EIDS; i++) {
      String e = eid.apply(i);
      if (StreamBucket.of(e) == 5) {
        inBucket++;
        int h = e.hashCode();
        lowBits.add((h ^ (h >>> 16)) & 63); // HashMap's index in a table of 64
      }
    }
    assertTrue(inBucket > 0);
    assertTrue(lowBits.size() > 48, () -> "the eids of bucket 5 fall into " + lowBits.size()
        + " of a 64-slot table's bins");
  }

  @ParameterizedTest(name = "eid \"{0}\"")
  @ValueSource(strings = {"bob", "alice", ""})
  void aRecipientAlwaysHasTheSameBucket(String eid) {
    assertEquals(StreamBucket.of(eid), StreamBucket.of(new String(eid.toCharArray())));
  }
}

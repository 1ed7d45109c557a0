package io.phoenix.stream;

import com.hazelcast.core.HazelcastInstance;
import java.util.concurrent.TimeUnit;

/** What tests read of the streams a Hazelcast member holds. */
final class StreamProbe {
  private StreamProbe() {}

  /** Waits (up to 10 s) until the cluster holds alice->bob with this head. */
  static void awaitAliceHead(HazelcastInstance hz, long head) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      StreamBucket b = (StreamBucket) hz.getMap(StreamPipeline.MAP_NAME)
          .get(StreamBucket.of("bob"));
      StreamState s = b == null ? null : b.get("alice", "bob");
      if (s != null && s.head == head) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("alice->bob never reached head " + head);
  }
}

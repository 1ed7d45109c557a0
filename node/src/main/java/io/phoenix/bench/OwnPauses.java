package io.phoenix.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The generator's own stop-the-world collections in the measured window: the bench runs on the
 * same machine as the node, and a pause of its JVM delays every send and every arrival it
 * times, so a latency run says how long the generator itself stood still.
 *
 * <p>Counted from the JVM's collection notifications (delivered on a JMX thread), for the
 * collectors that stop the application: not the concurrent cycles of ZGC or Shenandoah, nor G1's
 * concurrent marking.
 */
final class OwnPauses implements NotificationListener {
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private volatile boolean counting;
  private long pauses;
  private long totalMs;
  private long longestMs;

  /** Listens to this JVM's collectors from now on; {@link #open} starts the count. */
  static OwnPauses listen() {
    OwnPauses p = new OwnPauses();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter e && stopsTheWorld(gc.getName())) {
        e.addNotificationListener(p, null, null);
        p.emitters.add(e);
      }
    }
    return p;
  }

  /**
   * Whether the collector of that name pauses the application for its whole run. ZGC's and
   * Shenandoah's "... Cycles" and G1's "G1 Concurrent GC" (JDK 20 and later) run beside the
   * application; ZGC's and Shenandoah's pauses have collectors of their own ("... Pauses").
   */
  static boolean stopsTheWorld(String collector) {
    return !collector.endsWith(" Cycles") && !collector.contains("Concurrent");
  }

  /** Starts counting (the measured window opens). */
  void open() {
    counting = true;
  }

  /** Stops counting and listening. */
  void close() {
    counting = false;
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(this);
      } catch (ListenerNotFoundException ignored) {
        // not listening: nothing to remove
      }
    }
    emitters.clear();
  }

  @Override
  public void handleNotification(Notification n, Object handback) {
    if (!counting
        || !GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    long ms = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData())
        .getGcInfo().getDuration();
    synchronized (this) {
      pauses++;
      totalMs += ms;
      longestMs = Math.max(longestMs, ms);
    }
  }

  synchronized long pauses() {
    return pauses;
  }

  synchronized long totalMs() {
    return totalMs;
  }

  synchronized long longestMs() {
    return longestMs;
  }
}

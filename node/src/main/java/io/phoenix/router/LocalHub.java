package io.phoenix.router;

import io.phoenix.protocol.EncodedFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions connected to this node, by eid and connection_resource_id. The router delivers
 * to local devices through it; frames from other nodes arrive here too.
 *
 * <p>Thread-safe (sessions of every event loop register here).
 */
public final class LocalHub {
  private final Map<String, Map<String, Subscriber>> byEid = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** Refuses new sessions from now on (the node is stopping). */
  public void close() {
    closed = true;
  }

  /** True once {@link #close()} was called: new sessions must be turned away. */
  public boolean isClosed() {
    return closed;
  }

  /** Adds a session; returns the session it replaced (same eid and resource), or null. */
  public Subscriber add(Subscriber s) {
    return byEid.computeIfAbsent(s.identity().getEid(), k -> new ConcurrentHashMap<>())
        .put(s.identity().getConnectionResourceId(), s);
  }

  /** Removes a session if it is still the one registered for its eid and resource. */
  public boolean remove(Subscriber s) {
    boolean[] removed = {false};
    byEid.computeIfPresent(s.identity().getEid(), (eid, devices) -> {
      removed[0] = devices.remove(s.identity().getConnectionResourceId(), s);
      return devices.isEmpty() ? null : devices;
    });
    return removed[0];
  }

  /** The session of a device, or null. */
  public Subscriber find(String eid, String resource) {
    Map<String, Subscriber> devices = byEid.get(eid);
    return devices == null ? null : devices.get(resource);
  }

  /** Pushes a frame to one device if it is connected here (see {@link Subscriber#push}). */
  public void push(String eid, String resource, EncodedFrame frame, Subscriber.PushKind kind,
      StreamId stream, long offset, long delivered) {
    Subscriber s = find(eid, resource);
    if (s != null) {
      s.push(frame, kind, stream, offset, delivered);
    }
  }

  /** Closes one session if it is still the named one (a replaced session on this node). */
  public void kick(String eid, String resource, String sessionId, int status, String reason) {
    Subscriber s = find(eid, resource);
    if (s != null && s.sessionId().equals(sessionId)) {
      s.close(status, reason);
    }
  }

  /** A snapshot of every local session. */
  public List<Subscriber> all() {
    List<Subscriber> out = new ArrayList<>();
    byEid.values().forEach(devices -> out.addAll(devices.values()));
    return out;
  }

  public int size() {
    int n = 0;
    for (Map<String, Subscriber> devices : byEid.values()) {
      n += devices.size();
    }
    return n;
  }
}

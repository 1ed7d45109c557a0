package io.phoenix.router;

import io.phoenix.cluster.Directory;
import io.phoenix.protocol.EncodedFrame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions connected to this node, by eid and connection_resource_id. The router delivers
 * to local devices through it; frames from other nodes arrive here too.
 *
 * <p>One map entry per eid. Its value is the eid's only session (the common case: no map of
 * its own, about 180 bytes less per session), or an array of its sessions when it has several;
 * values are never changed in place, only replaced, inside {@code compute} for their eid.
 *
 * <p>Thread-safe (sessions of every event loop register here).
 */
public final class LocalHub {
  /** eid → {@link Subscriber}, or {@code Subscriber[]} of two or more. */
  private final Map<String, Object> byEid = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** Refuses new sessions from now on (the node is stopping). */
  public void close() {
    closed = true;
  }

  /** True once {@link #close()} was called: new sessions must be turned away. */
  public boolean isClosed() {
    return closed;
  }

  private static String resourceOf(Subscriber s) {
    return s.identity().getConnectionResourceId();
  }

  /**
   * Adds a session; returns the session it replaced (same eid and resource), or null. When the
   * session there opened later ({@link Directory#openedAt}: the client connected again while
   * this one waited for its Hello to be checked), {@code s} is not added and that session is
   * returned: see {@link #supersedes}.
   */
  public Subscriber add(Subscriber s) {
    String resource = resourceOf(s);
    Subscriber[] replaced = {null};
    byEid.compute(s.identity().getEid(), (eid, v) -> {
      if (v == null) {
        return s;
      }
      if (v instanceof Subscriber one) {
        if (resourceOf(one).equals(resource)) {
          replaced[0] = one;
          return supersedes(one, s) ? one : s;
        }
        return new Subscriber[] {one, s};
      }
      Subscriber[] many = (Subscriber[]) v;
      int i = indexOf(many, resource);
      if (i >= 0 && supersedes(many[i], s)) {
        replaced[0] = many[i];
        return many;
      }
      Subscriber[] next = Arrays.copyOf(many, i < 0 ? many.length + 1 : many.length);
      if (i < 0) {
        next[many.length] = s;
      } else {
        replaced[0] = many[i];
        next[i] = s;
      }
      return next;
    });
    return replaced[0];
  }

  /** True when {@code held} is a session that opened after {@code s}, so {@code s} stays out. */
  public static boolean supersedes(Subscriber held, Subscriber s) {
    return held != s
        && Directory.openedAt(held.sessionId()) > Directory.openedAt(s.sessionId());
  }

  /** Removes a session if it is still the one registered for its eid and resource. */
  public boolean remove(Subscriber s) {
    boolean[] removed = {false};
    byEid.computeIfPresent(s.identity().getEid(), (eid, v) -> {
      if (v == s) {
        removed[0] = true;
        return null;
      }
      if (!(v instanceof Subscriber[] many)) {
        return v;
      }
      for (int i = 0; i < many.length; i++) {
        if (many[i] == s) {
          removed[0] = true;
          if (many.length == 2) {
            return many[1 - i];
          }
          Subscriber[] next = new Subscriber[many.length - 1];
          System.arraycopy(many, 0, next, 0, i);
          System.arraycopy(many, i + 1, next, i, many.length - i - 1);
          return next;
        }
      }
      return v;
    });
    return removed[0];
  }

  /** The session of a device, or null. */
  public Subscriber find(String eid, String resource) {
    Object v = byEid.get(eid);
    if (v instanceof Subscriber one) {
      return resourceOf(one).equals(resource) ? one : null;
    }
    if (v == null) {
      return null;
    }
    Subscriber[] many = (Subscriber[]) v;
    int i = indexOf(many, resource);
    return i < 0 ? null : many[i];
  }

  /** Where the session of {@code resource} is in {@code many}, or -1. */
  private static int indexOf(Subscriber[] many, String resource) {
    for (int i = 0; i < many.length; i++) {
      if (resourceOf(many[i]).equals(resource)) {
        return i;
      }
    }
    return -1;
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
    for (Object v : byEid.values()) {
      if (v instanceof Subscriber one) {
        out.add(one);
      } else {
        out.addAll(Arrays.asList((Subscriber[]) v));
      }
    }
    return out;
  }

  public int size() {
    int n = 0;
    for (Object v : byEid.values()) {
      n += v instanceof Subscriber ? 1 : ((Subscriber[]) v).length;
    }
    return n;
  }
}

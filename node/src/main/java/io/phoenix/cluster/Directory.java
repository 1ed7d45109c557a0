package io.phoenix.cluster;

import io.vertx.core.Future;
import java.util.List;
import java.util.Objects;

/**
 * The cluster-wide directory of online devices: {@code eid → resource → (node, session)}.
 *
 * <p>Rules every implementation MUST keep:
 * <ol>
 *   <li>{@link #register} replaces any entry with the same eid and resource and returns it, so
 *       the caller can close the session it replaced, unless that entry's session opened
 *       later ({@link #openedAt}): then nothing changes and the future fails with
 *       {@link Superseded} (a connection the client gave up on, registered late, must not
 *       replace the one it made next). A new device beyond an implementation's bound per eid
 *       fails with {@link TooManyDevices}, and nothing changes.</li>
 *   <li>{@link #unregister} removes an entry only while it still names the given session: a
 *       replaced session's late close never removes its successor.</li>
 *   <li>Once a register future has succeeded, every later {@link #lookup} sees the entry.</li>
 *   <li>Methods never block; futures complete on the caller's context.</li>
 * </ol>
 */
public interface Directory {

  /** One online device: which node holds its connection, and which session it is. */
  record Device(String eid, String resource, String node, String sessionId) {
    /** True if this is the device {@code resource} of {@code eid}, wherever it is connected. */
    public boolean is(String eid, String resource) {
      return Objects.equals(this.eid, eid) && Objects.equals(this.resource, resource);
    }
  }

  /**
   * Adds (or replaces) a device; returns the device it replaced, or null. Fails with
   * {@link Superseded} when the entry there is a session opened later.
   */
  Future<Device> register(Device device);

  /** A register that found a session of the same device opened after its own. */
  final class Superseded extends RuntimeException {
    public Superseded(Device current) {
      super("a later session of the device holds its entry: "
          + (current == null ? "?" : current.sessionId()), null, false, false);
    }
  }

  /**
   * A register of a new device for an eid that has as many devices online as a node allows
   * ({@code limits.devicesPerIdentity}); nothing changed. A device already registered may
   * always register again (a reconnection replaces its entry).
   */
  final class TooManyDevices extends RuntimeException {
    public TooManyDevices(int max) {
      super("more than " + max + " devices of this identity online (limits.devicesPerIdentity)",
          null, false, false);
    }
  }

  /** Removes a device if it is still the given session. */
  Future<Void> unregister(Device device);

  /** Every online device of {@code eid} (empty when none). */
  Future<List<Device>> lookup(String eid);

  /**
   * Removes every device held by one run of {@code node} (that run left the cluster or stops):
   * those whose session id starts with {@link #sessionPrefix} of {@code run} (see
   * {@link io.phoenix.session.SessionServices#run}); returns how many. A run of the same node
   * restarted meanwhile keeps its devices. {@code seenBy} is the Hazelcast member uuid of the
   * member that saw it leave: a part of the directory held by a cluster that member is not in
   * keeps its devices (that member was apart from the cluster, and the others never left it).
   */
  Future<Integer> removeNode(String node, String run, String seenBy);

  /**
   * The id of a new session of {@code run}: {@link #sessionPrefix}, the time it opened
   * ({@code openedAt}: milliseconds since the epoch by the cluster's clock, hexadecimal, ':')
   * and a random UUID. The cluster's clock, not the node's own: two sessions of one device
   * opened on two nodes are ordered by it (when they are further apart than it can err, {@link
   * #openedAfter}), and nodes' own clocks may disagree by more than the moment between the two.
   */
  static String newSessionId(String run, long openedAt) {
    return sessionPrefix(run) + Long.toHexString(openedAt) + ':' + java.util.UUID.randomUUID();
  }

  /**
   * When the session {@code sessionId} opened ({@link #newSessionId}), by the clock of the
   * node that holds it; 0 for an id that does not say.
   */
  static long openedAt(String sessionId) {
    int start = sessionId.indexOf(':') + 1;
    int end = sessionId.indexOf(':', start);
    if (start == 0 || end < 0 || end - start > 16) {
      return 0;
    }
    try {
      return Long.parseUnsignedLong(sessionId, start, end, 16);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * How far apart two members' cluster clocks may be. Hazelcast sets a member's cluster clock
   * from the master's time as an operation carries it there, so it lags the master's by that
   * operation's way: milliseconds, more on a busy machine (in a test run, a session opened on
   * one member was taken for older than one opened 9 ms before it on the master).
   */
  long CLOCK_MARGIN_MS = 1_000;

  /**
   * Whether the session {@code held}, on node {@code heldNode}, opened after {@code session} on
   * {@code node}: on one node, by their times; on two nodes, only when they are more than
   * {@link #CLOCK_MARGIN_MS} apart, since closer than that the two clocks cannot tell (the
   * register that comes last then keeps the entry).
   */
  static boolean openedAfter(String held, String heldNode, String session, String node) {
    long margin = Objects.equals(heldNode, node) ? 0 : CLOCK_MARGIN_MS;
    return openedAt(held) > openedAt(session) + margin;
  }

  /** What the id of every session of {@code run} begins with (see {@link #removeNode}). */
  static String sessionPrefix(String run) {
    return run + ':';
  }
}

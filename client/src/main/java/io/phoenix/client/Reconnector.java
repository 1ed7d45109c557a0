package io.phoenix.client;

import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Welcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Keeps one session open: tries the endpoints in turn, each attempt with a token fresh from
 * the supplier, waits a backoff delay (full jitter) after each loss, and reports every change
 * of state. A token that has not come within the hello timeout fails the attempt like a
 * connection that failed. The backoff starts over once a session has lasted
 * {@link #STABLE_MS}. Goodbye 401 to a Hello or 409, or a TLS certificate that does not
 * verify, stops it for good (FAILED), as does {@link #close()} (CLOSED); a 401 that ends a
 * session once welcomed (its token expired) is a loss like any other. It also remembers the
 * store epoch of the last Welcome, and tells when a new session's differs (PROTOCOL.md §9: the
 * offsets of the old store mean nothing in the new one).
 *
 * <p>Used on the client's context only, except {@link #state()} and {@link #identity()}, which
 * any thread may read.
 */
final class Reconnector implements ClientSession.Events {
  static final long STABLE_MS = 5_000;

  /** What the rest of the client hears. Called on the client's context. */
  interface Listener {
    /** A new session; {@code epochChanged}: its store is not the previous session's. */
    void connected(Identity identity, boolean epochChanged);

    void received(Frame frame);

    void disconnected();

    void stopped(String reason);
  }

  private final ClientSettings settings;
  private final Vertx vertx;
  private final Context context;
  private final Connector connector;
  private final Listener listener;
  private volatile ConnectionState state;
  private volatile Identity identity;
  private volatile String epoch;
  private ClientSession session;
  private boolean welcomed;
  private long welcomedAt;
  private int next;
  private int failures;
  private long retryTimer = -1;
  private long tokenTimer = -1;
  private Promise<Identity> firstWelcome;
  private boolean stopped;

  Reconnector(ClientSettings settings, Context context, Connector connector, Listener listener) {
    this.settings = settings;
    this.vertx = settings.vertx();
    this.context = context;
    this.connector = connector;
    this.listener = listener;
  }

  /** Starts connecting (once); completes at the first Welcome, fails when stopped first. */
  Future<Identity> start() {
    if (firstWelcome == null) {
      firstWelcome = Promise.promise();
      if (stopped) {
        firstWelcome.fail(new IllegalStateException("client is " + state));
      } else {
        attempt();
      }
    }
    return firstWelcome.future();
  }

  ConnectionState state() {
    return state;
  }

  Identity identity() {
    return identity;
  }

  /** The store epoch of the last Welcome that named one, or null. */
  String epoch() {
    return epoch;
  }

  boolean stopped() {
    return stopped;
  }

  /** The current session's max_frame_bytes, or 0 while there is no welcomed session. */
  int maxFrameBytes() {
    return session != null && welcomed ? session.maxFrameBytes() : 0;
  }

  /** Writes to the current session; false when there is no welcomed session. */
  boolean write(Frame frame) {
    return session != null && welcomed && session.write(frame);
  }

  /** Closes the current connection without warning (it is then reconnected). */
  void drop() {
    if (session != null) {
      session.drop();
    }
  }

  void close() {
    if (stopped) {
      return;
    }
    vertx.cancelTimer(retryTimer);
    vertx.cancelTimer(tokenTimer);
    ClientSession s = session;
    stop(ConnectionState.CLOSED, s == null ? null : s.endpoint(), "client closed");
    if (s != null) {
      s.end(0, "client closed");
    }
  }

  private void attempt() {
    retryTimer = -1;
    if (stopped) {
      return;
    }
    Endpoint endpoint = settings.endpoints().get(next);
    ClientSession s = new ClientSession(vertx, endpoint, this);
    session = s;
    change(ConnectionState.CONNECTING, endpoint, null, 0);
    Future<String> token;
    try {
      token = settings.tokens().get();
    } catch (Throwable e) {
      ClientSettings.rethrowIfFatal(e);
      token = Future.failedFuture(e);
    }
    // A supplier whose future never completes (an identity provider that does not answer)
    // must not hold the client here for good: the attempt fails, and the next one asks again.
    long timeout = settings.helloTimeoutMs();
    tokenTimer = vertx.setTimer(timeout, id -> {
      if (session == s) {
        s.end(0, "no token within " + timeout + " ms");
      }
    });
    token.onComplete(ar -> onContext(() -> {
      if (session != s) {
        return;
      }
      vertx.cancelTimer(tokenTimer);
      if (ar.failed()) {
        s.end(0, "no token: " + ar.cause().getMessage());
      } else {
        s.start(connector, ar.result(), settings.resourceId(), settings.helloTimeoutMs());
      }
    }));
  }

  @Override
  public void welcomed(ClientSession s, Welcome welcome) {
    if (s != session) {
      return;
    }
    welcomed = true;
    welcomedAt = System.nanoTime();
    identity = welcome.getIdentity();
    String now = welcome.getEpoch();
    // A node that names no epoch says nothing about its store: no evidence of a change.
    boolean changed = !now.isEmpty() && epoch != null && !epoch.equals(now);
    if (!now.isEmpty()) {
      epoch = now;
    }
    state = ConnectionState.CONNECTED;
    settings.notifyState(new StateChange(ConnectionState.CONNECTED, s.endpoint(), identity, null,
        0, now, changed));
    listener.connected(identity, changed);
    firstWelcome.tryComplete(identity);
  }

  @Override
  public void received(ClientSession s, Frame frame) {
    if (s == session) {
      listener.received(frame);
    }
  }

  @Override
  public void ended(ClientSession s, int status, String reason) {
    if (s != session) {
      return;
    }
    session = null;
    boolean wasWelcomed = welcomed;
    if (welcomed) {
      welcomed = false;
      if ((System.nanoTime() - welcomedAt) / 1_000_000 >= STABLE_MS) {
        failures = 0;
      }
      listener.disconnected();
    }
    // 401 at Hello: the token is refused, for good; 401 to a welcomed session: its token
    // expired, and the supplier is asked for a fresh one (if it has none, the next Hello fails)
    if ((status == Status.UNAUTHORIZED && !wasWelcomed) || status == Status.REPLACED
        || status == ClientSession.UNTRUSTED) {
      stop(ConnectionState.FAILED, s.endpoint(), reason);
      return;
    }
    next = (next + 1) % settings.endpoints().size();
    long delay = settings.backoff().delayMillis(failures++);
    change(ConnectionState.RECONNECTING, s.endpoint(), reason, delay);
    retryTimer = vertx.setTimer(delay, id -> attempt());
  }

  private void stop(ConnectionState finalState, Endpoint endpoint, String reason) {
    stopped = true;
    session = null;
    if (welcomed) {
      welcomed = false;
      listener.disconnected();
    }
    change(finalState, endpoint, finalState == ConnectionState.FAILED ? reason : null, 0);
    listener.stopped(finalState == ConnectionState.FAILED ? "client failed: " + reason
        : "client closed");
    if (firstWelcome != null) {
      firstWelcome.tryFail(new IllegalStateException(finalState == ConnectionState.FAILED
          ? "connection failed: " + reason : "client closed"));
    }
  }

  private void change(ConnectionState to, Endpoint endpoint, String reason, long retryIn) {
    state = to;
    settings.notifyState(new StateChange(to, endpoint, null, reason, retryIn));
  }

  private void onContext(Runnable task) {
    if (Vertx.currentContext() == context) {
      task.run();
    } else {
      context.runOnContext(v -> task.run());
    }
  }
}

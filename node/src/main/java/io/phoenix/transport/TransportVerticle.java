package io.phoenix.transport;

import io.phoenix.session.Connection;
import io.phoenix.session.Session;
import io.phoenix.session.SessionServices;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of the verticles that own client sockets: tracks the sessions of this instance and,
 * once a second, lets each enforce its Hello and heartbeat timeouts (one timer per event
 * loop, not one per connection).
 *
 * <p>Everything here runs on the verticle's event loop.
 */
public abstract class TransportVerticle extends VerticleBase {
  protected final SessionServices services;
  /** The sessions of this instance, each with its connection. */
  private final Map<Session, Connection> sessions = new HashMap<>();
  private long sweeper = -1;

  protected TransportVerticle(SessionServices services) {
    this.services = services;
  }

  @Override
  public Future<?> start() {
    sweeper = vertx.setPeriodic(1000, id -> {
      long now = System.nanoTime();
      for (Session s : sessions.keySet().toArray(new Session[0])) {
        s.checkTimeouts(now);
      }
    });
    return listen();
  }

  /** Binds the server socket. */
  protected abstract Future<?> listen();

  /** The bound port, once started (useful when configured as 0). */
  public abstract int actualPort();

  /** Starts a session for a new connection; call {@link #closed} when the socket closes. */
  protected Session open(Connection connection) {
    Session session = new Session(connection, services, context);
    sessions.put(session, connection);
    services.metrics().connectionOpened(connection.transport());
    return session;
  }

  protected void closed(Session session) {
    if (sessions.remove(session) != null) {
      services.metrics().connectionClosed(session.transport());
    }
    session.onClosed();
  }

  /** The connections of this instance's sessions, a snapshot. */
  protected Collection<Connection> connections() {
    return List.copyOf(sessions.values());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweeper);
    return Future.succeededFuture();
  }
}

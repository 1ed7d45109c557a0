package io.phoenix.client;

/**
 * Where a {@link PhoenixClient} stands. The usual life is CONNECTING → CONNECTED, then on each
 * loss RECONNECTING → CONNECTING → CONNECTED, until CLOSED (by the application) or FAILED
 * (the node refused the token, or a newer session took over: reconnecting would not help).
 *
 * <p>Immutable; thread-safe.
 */
public enum ConnectionState {
  /** A connection to an endpoint is being opened, or Hello waits for its Welcome. */
  CONNECTING,
  /** Welcome received: sends go out, messages come in. */
  CONNECTED,
  /** The connection was lost; the next attempt waits for a backoff delay. */
  RECONNECTING,
  /** {@link PhoenixClient#close()} was called. */
  CLOSED,
  /**
   * Gave up for good: Goodbye 401 to a Hello (bad token) or 409 (replaced by a newer session),
   * or a TLS endpoint that cannot be trusted (see {@link UntrustedServerException}).
   */
  FAILED
}

package io.phoenix.client;

import io.phoenix.protocol.v1.Identity;

/**
 * One transition of a client's {@link ConnectionState}, as handed to the state listener.
 *
 * <p>Immutable; thread-safe.
 *
 * @param state the new state
 * @param endpoint the endpoint being tried (CONNECTING), held (CONNECTED) or just lost
 *     (RECONNECTING, FAILED); null for CLOSED
 * @param identity the session's identity from Welcome (CONNECTED only), else null
 * @param reason why the connection ended (RECONNECTING, FAILED), else null
 * @param retryInMillis the delay before the next attempt (RECONNECTING), else 0
 * @param epoch the store's epoch from Welcome (CONNECTED only; empty when the node sends none),
 *     else null
 * @param epochChanged true (CONNECTED only) when the node's store is not the one of the
 *     previous session: every offset starts over, and the client has forgotten its positions
 *     (an application that keeps offsets of its own must forget them too)
 */
public record StateChange(ConnectionState state, Endpoint endpoint, Identity identity,
    String reason, long retryInMillis, String epoch, boolean epochChanged) {

  /** A change without an epoch (every state but CONNECTED). */
  public StateChange(ConnectionState state, Endpoint endpoint, Identity identity, String reason,
      long retryInMillis) {
    this(state, endpoint, identity, reason, retryInMillis, null, false);
  }

  @Override
  public String toString() {
    return switch (state) {
      case CONNECTING -> "connecting to " + endpoint;
      case CONNECTED -> "connected to " + endpoint + " as " + identity.getEid() + "/"
          + identity.getConnectionResourceId() + " (node " + identity.getNode() + ")"
          + (epochChanged ? ", new store epoch " + epoch : "");
      case RECONNECTING -> "disconnected from " + endpoint + " (" + reason + "), reconnecting in "
          + retryInMillis + " ms";
      case CLOSED -> "closed";
      case FAILED -> "failed: " + reason;
    };
  }
}

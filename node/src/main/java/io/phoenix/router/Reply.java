package io.phoenix.router;

/**
 * A place in one session's reply order, taken when a request arrives
 * ({@link Subscriber#reserve()}): what the request causes — its answers to the session, and the
 * pushes, copies and forwards it sends to other devices — is handed to {@link #release} once
 * known, and runs only after everything the session's earlier requests caused. Whatever order
 * the store, the directory or the event bus complete in, a session's effects leave in the order
 * its requests arrived.
 *
 * <p>Thread-safe: {@link #release} may be called from any thread; the action runs on the
 * session's context. Release exactly once.
 */
public interface Reply {

  /**
   * Runs {@code action} on the session's context after the actions of every earlier reply of
   * the session. The action still runs when the session has closed in the meantime (its pushes
   * to other devices must not be lost); writes to the closed session itself are dropped.
   */
  void release(Runnable action);

  /**
   * Like {@link #release}, but the replies after this one wait until {@code action} has called
   * the {@code Runnable} it is given (once, on any thread): for an answer written a part at a
   * time as the connection drains, which later answers must not overtake. This default, for
   * orders that run everything at once, does not wait.
   */
  default void releaseUntilDone(java.util.function.Consumer<Runnable> action) {
    release(() -> action.accept(() -> { }));
  }
}

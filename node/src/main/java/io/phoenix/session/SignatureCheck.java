package io.phoenix.session;

import io.phoenix.auth.KeyBinding;
import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * The signature check of a session whose token binds a device key (PROTOCOL.md §10): every
 * inbound frame of the session passes through it, in arrival order. A Message with a non-empty
 * {@code signature} is verified on the node's verifier threads (an Ed25519 or P-256 verification
 * costs the JDK hundreds of microseconds: too long for an event loop); several verifications of
 * one session may run at once, but frames are released to the session strictly in the order
 * they arrived, each Message with its verdict ({@link #verified}). So a session's messages reach
 * the router in arrival order and their answers leave in that order.
 *
 * <p>The checks that come before the signature's (PROTOCOL.md §5, the rate limit, the size
 * bound) run as each Message arrives, in arrival order, and one they refuse is not verified:
 * a session sending faster than its rate limit allows costs the verifier threads nothing for
 * what it is refused ({@link #checked}).
 *
 * <p>While more than {@link #MAX_PENDING} frames wait, the connection is paused (and resumed
 * at half that, unless the session keeps it paused for its own reasons), so a fast signer
 * cannot queue without bound.
 *
 * <p>Confined to the session's context: {@link #submit} and the release run there; only the
 * verification itself runs on a worker.
 */
public final class SignatureCheck {
  /** Frames that may wait for their turn before the connection is paused. */
  static final int MAX_PENDING = 128;

  private final KeyBinding key;
  private final String eid;
  private final WorkerExecutor verifiers;
  private final Context context;
  private final ToIntFunction<Message> precheck;
  private final Consumer<Boolean> meter;
  private final Runnable pause;
  private final Runnable resume;
  private final ArrayDeque<Entry> pending = new ArrayDeque<>();
  private Consumer<Frame> release;
  private Message current;
  private int currentStatus;
  private boolean currentValid;
  private boolean paused;

  private static final class Entry {
    final Frame frame;
    int status = Status.OK;
    boolean done;
    boolean valid;

    Entry(Frame frame) {
      this.frame = frame;
    }
  }

  /**
   * {@code precheck} gives the status of the checks before the signature's for a Message as it
   * arrives ({@link Status#OK} to verify it); {@code meter} is told each verification's verdict.
   */
  SignatureCheck(KeyBinding key, String eid, WorkerExecutor verifiers, Context context,
      ToIntFunction<Message> precheck, Consumer<Boolean> meter, Runnable pause,
      Runnable resume) {
    this.key = key;
    this.eid = eid;
    this.verifiers = verifiers;
    this.context = context;
    this.precheck = precheck;
    this.meter = meter;
    this.pause = pause;
    this.resume = resume;
  }

  /**
   * Takes the next inbound frame; {@code then} gets it (now or later) once every earlier frame
   * has been released. Call on the session's context.
   */
  public void submit(Frame frame, Consumer<Frame> then) {
    release = then;
    Entry e = new Entry(frame);
    if (frame.getBodyCase() != Frame.BodyCase.MESSAGE) {
      e.done = true;
    } else if ((e.status = precheck.applyAsInt(frame.getMessage())) != Status.OK) {
      e.done = true; // refused before its signature counts: not verified
    } else if (frame.getMessage().getSignature().isEmpty()) {
      e.done = true; // no signature: refused, without asking a worker
    } else {
      Message m = frame.getMessage();
      verifiers.executeBlocking(() -> {
        boolean valid = key.verify(m, eid);
        meter.accept(valid);
        return valid;
      }, false).onComplete(ar -> {
        e.valid = ar.succeeded() && ar.result();
        e.done = true;
        drain();
      });
    }
    pending.add(e);
    if (pending.size() > MAX_PENDING) {
      paused = true;
      pause.run();
    }
    drain();
  }

  /**
   * Whether {@code m} is the Message being released right now and its signature verified with
   * the bound key. False for any other message: one that did not come through {@link #submit}
   * cannot pass.
   */
  public boolean verified(Message m) {
    return current == m && currentValid;
  }

  /**
   * The status the checks before the signature's gave {@code m} as it arrived, if it is the
   * Message being released right now; {@link Status#UNAUTHORIZED} for any other message.
   */
  public int checked(Message m) {
    return current == m ? currentStatus : Status.UNAUTHORIZED;
  }

  /** The bound key. */
  public KeyBinding key() {
    return key;
  }

  private void drain() {
    if (context != null && io.vertx.core.Vertx.currentContext() != context) {
      context.runOnContext(v -> drain());
      return;
    }
    while (!pending.isEmpty() && pending.peek().done) {
      Entry e = pending.poll();
      boolean message = e.frame.getBodyCase() == Frame.BodyCase.MESSAGE;
      current = message ? e.frame.getMessage() : null;
      currentStatus = e.status;
      currentValid = e.valid;
      try {
        release.accept(e.frame);
      } finally {
        current = null;
        currentValid = false;
      }
    }
    if (paused && pending.size() <= MAX_PENDING / 2) {
      paused = false;
      resume.run();
    }
  }
}

package io.phoenix.session;

import io.phoenix.router.Reply;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's reply order: a queue of {@link Reply} places taken in the order requests
 * arrive, each released once what the request causes is known, and run strictly from the head:
 * a later request's effects never leave before an earlier one's, whatever order the store, the
 * directory or the event bus complete in.
 *
 * <p>Confined to the session's context ({@link Reply#release} hops onto it). The queue is
 * allocated on first use, so an idle session pays nothing for it.
 */
final class ReplyOrder {
  private static final Logger log = LoggerFactory.getLogger(ReplyOrder.class);

  /** Called when the number of waiting replies crosses the session's bound (see Session). */
  interface Backlog {
    void changed(int waiting);
  }

  private final Context context;
  private final Backlog backlog;
  private ArrayDeque<Place> places;
  private boolean draining;
  /** A reply released with {@link Reply#releaseUntilDone} that ran and is not done yet. */
  private Place holder;

  ReplyOrder(Context context, Backlog backlog) {
    this.context = context;
    this.backlog = backlog;
  }

  /** Takes the next place; call on the session's context. */
  Reply reserve() {
    if (places == null) {
      places = new ArrayDeque<>(8);
    }
    Place p = new Place();
    places.addLast(p);
    backlog.changed(places.size());
    return p;
  }

  /** Replies taken and not yet run. */
  int waiting() {
    return places == null ? 0 : places.size();
  }

  private void released(Place p, Runnable action) {
    if (p.action != null) {
      throw new IllegalStateException("a reply was released twice");
    }
    p.action = action;
    drain();
  }

  /** Runs the released replies from the head, up to one that is not released or not done. */
  private void drain() {
    if (draining || holder != null) {
      return; // the loop below picks it up, or the held reply's end does
    }
    draining = true;
    try {
      while (holder == null && !places.isEmpty() && places.peekFirst().action != null) {
        Place next = places.pollFirst();
        if (next.untilDone) {
          holder = next;
        }
        try {
          next.action.run();
        } catch (RuntimeException e) {
          if (holder == next) {
            holder = null;
          }
          log.error("a reply failed; the session's later replies go on", e);
        }
      }
    } finally {
      draining = false;
    }
    backlog.changed(places.size());
  }

  /** {@code p} is done: if it held the order, the replies after it go on. */
  private void done(Place p) {
    if (holder == p) {
      holder = null;
      drain();
    }
  }

  private final class Place implements Reply {
    private Runnable action;
    private boolean untilDone;

    @Override
    public void releaseUntilDone(java.util.function.Consumer<Runnable> action) {
      Runnable done = () -> {
        if (Vertx.currentContext() == context) {
          done(this);
        } else {
          context.runOnContext(v -> done(this));
        }
      };
      untilDone = true;
      release(() -> action.accept(done));
    }

    @Override
    public void release(Runnable action) {
      if (Vertx.currentContext() == context) {
        released(this, action);
      } else {
        context.runOnContext(v -> released(this, action));
      }
    }
  }
}

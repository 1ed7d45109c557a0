package io.phoenix.session;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.router.StreamId;
import io.phoenix.router.Subscriber.PushKind;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The receiving side of PROTOCOL.md §5's "per stream, a device receives pushed messages in
 * increasing offset order": for each stream a session is pushed, the last offset passed on, and
 * the pushes that arrived ahead of a missing offset.
 *
 * <ul>
 *   <li>The offset after the last one passed on goes out at once, followed by any waiting ones it
 *       makes contiguous.</li>
 *   <li>A push ahead of a missing offset waits up to {@link #GAP_WAIT_MS} for it (another
 *       device of the sender, on another node, may be a little behind). When the gap is not
 *       filled in time — or more than {@link #MAX_WAITING} pushes wait on the stream, or
 *       {@link #MAX_WAITING_TOTAL} on all the session's streams — the session sends the
 *       device a SYNC hint for the stream and passes the waiting pushes on: the device pulls
 *       what it lacks (PROTOCOL.md §5, "a client that sees a gap fills it").</li>
 *   <li>A push at or below the last offset passed on (it arrived after a later one) is not
 *       passed on, but never silently: the device gets a SYNC hint so it pulls it (one hint per
 *       stream covers every late push until the stream moves on or {@link #GAP_WAIT_MS}
 *       passed).</li>
 *   <li>A hint (PULL mode) naming a head beyond the last offset passes on and moves the last
 *       offset there, with whatever waited below it; an older hint is superseded and dropped.</li>
 *   <li>The first push of a stream that the session has not seen passes on as it comes: what
 *       came before the session existed is the client's to fetch (SYNC after Welcome).</li>
 * </ul>
 *
 * At most {@link #MAX_STREAMS} streams are followed per session (least recently pushed
 * forgotten first, after flushing what waits). Confined to the session's context; allocates
 * nothing until the first stream push.
 */
final class PushOrder {
  static final int MAX_STREAMS = 1024;
  /** Pushes that may wait for a missing offset, per stream and in all the session's streams. */
  static final int MAX_WAITING = 1024;
  static final int MAX_WAITING_TOTAL = 4096;
  static final long GAP_WAIT_MS = 1000;

  /** Where frames go: the session's writer, and the hint it builds for a stream. */
  interface Out {
    void write(EncodedFrame frame);

    void hint(StreamId stream, long head, long delivered);
  }

  private final Vertx vertx;
  private final Out out;
  private Map<StreamId, Followed> streams;
  private int waitingTotal;

  PushOrder(Vertx vertx, Out out) {
    this.vertx = vertx;
    this.out = out;
  }

  void push(EncodedFrame frame, PushKind kind, StreamId stream, long offset, long delivered) {
    if (kind == PushKind.UNORDERED || stream == null) {
      out.write(frame);
      return;
    }
    Followed f = followed(stream);
    f.delivered = Math.max(f.delivered, delivered);
    if (kind == PushKind.HINT) {
      if (offset > f.last) {
        out.write(frame);
        f.last = offset;
        f.flushWaiting(false);
      }
      return;
    }
    if (f.last == 0 || offset == f.last + 1) {
      out.write(frame);
      f.last = offset;
      f.passContiguous();
    } else if (offset <= f.last) {
      f.late(); // the device pulls it
    } else {
      f.await(offset, frame);
    }
  }

  /** Stops every gap timer (the session closed). */
  void close() {
    if (streams != null) {
      streams.values().forEach(Followed::cancelTimer);
      streams = null;
    }
  }

  private Followed followed(StreamId stream) {
    if (streams == null) {
      streams = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<StreamId, Followed> eldest) {
          if (size() <= MAX_STREAMS) {
            return false;
          }
          eldest.getValue().flushWaiting(true);
          return true;
        }
      };
    }
    Followed f = streams.get(stream);
    if (f == null) {
      f = new Followed(stream);
      streams.put(stream, f);
    }
    return f;
  }

  /** One stream as this session follows it. */
  private final class Followed {
    final StreamId stream;
    long last;
    long delivered;
    TreeMap<Long, EncodedFrame> waiting;
    long timer = -1;
    /** The head and time of the last hint sent for late pushes (they are coalesced). */
    long hintedHead;
    long hintedAtNanos;

    Followed(StreamId stream) {
      this.stream = stream;
    }

    void late() {
      long now = System.nanoTime();
      if (hintedHead == last && now - hintedAtNanos < GAP_WAIT_MS * 1_000_000L) {
        return; // the hint already sent covers this push too
      }
      hintedHead = last;
      hintedAtNanos = now;
      out.hint(stream, last, delivered);
    }

    void await(long offset, EncodedFrame frame) {
      if (waiting == null) {
        waiting = new TreeMap<>();
      }
      if (waiting.put(offset, frame) == null) {
        waitingTotal++;
      }
      if (waiting.size() > MAX_WAITING || waitingTotal > MAX_WAITING_TOTAL) {
        flushWaiting(true);
      } else if (timer < 0) {
        timer = vertx.setTimer(GAP_WAIT_MS, id -> {
          timer = -1;
          flushWaiting(true);
        });
      }
    }

    /** Passes on the waiting pushes that follow the last offset without a gap. */
    void passContiguous() {
      if (waiting == null) {
        return;
      }
      for (Iterator<Map.Entry<Long, EncodedFrame>> it = waiting.entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<Long, EncodedFrame> e = it.next();
        if (e.getKey() <= last) {
          it.remove(); // superseded by a hint
          waitingTotal--;
        } else if (e.getKey() == last + 1) {
          out.write(e.getValue());
          last = e.getKey();
          it.remove();
          waitingTotal--;
        } else {
          return; // still a gap: the timer keeps running
        }
      }
      cancelTimer();
      waiting = null;
    }

    /**
     * Gives up waiting: a hint for the stream's head (when {@code hint}) so the device pulls
     * the gap, then everything that waited, in offset order.
     */
    void flushWaiting(boolean hint) {
      cancelTimer();
      if (waiting == null || waiting.isEmpty()) {
        waiting = null;
        return;
      }
      List<Map.Entry<Long, EncodedFrame>> pass = new ArrayList<>(waiting.entrySet());
      waitingTotal -= pass.size();
      waiting = null;
      long head = Math.max(last, pass.get(pass.size() - 1).getKey());
      if (hint) {
        out.hint(stream, head, delivered);
      }
      for (Map.Entry<Long, EncodedFrame> e : pass) {
        if (e.getKey() > last) {
          out.write(e.getValue());
          last = e.getKey();
        }
      }
    }

    void cancelTimer() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }
}

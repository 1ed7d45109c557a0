package io.phoenix.cli;

import io.phoenix.client.StateChange;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * What {@code phoenix chat --as me --to peer} prints: the conversation me⇄peer only. Own
 * messages show their offset and a tick that moves from ✓ (accepted, stored) to ✓✓ (delivered
 * to a device of the recipient) to "read"; the peer's show their offset, in offset order;
 * other people's messages only as a notice; copies of my messages to others not at all:
 *
 * <pre>
 * * last 2 messages with bob:
 * [#3 ✓✓] you: see you at 6
 * [#2] bob: ok
 * [#4 ✓] you: hello
 * [#4 ✓✓] you: hello
 * [#4 read] you: hello
 * [#3] bob: hi alice
 * * 2 new from carol
 * * reconnecting… (lost tcp://127.0.0.1:4100: Goodbye 503 node shutting down)
 * </pre>
 *
 * <p>Until the conversation's history is shown ({@link #history}), what arrives live is held
 * back, then shown unless the history showed it already. The lines of one reason for being
 * disconnected are printed once, however many attempts fail for it.
 *
 * <p>Thread-safe: every call hands its work to one printing thread, in call order, so the
 * client's event loop never waits for the terminal. That thread owns all the view's state.
 */
final class ChatView implements AutoCloseable {
  private static final int REMEMBERED = 1_000;
  private static final long NOTICE_DELAY_MS = 300;

  private final PrintStream out;
  private final String me;
  private final String peer;
  private final String accepted;
  private final String delivered;
  private final ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "chat-output");
        t.setDaemon(true);
        return t;
      });
  /** My recent messages to the peer by offset: their text and the tick last printed (1–3). */
  private final TreeMap<Long, Own> mine = new TreeMap<>();
  /** Live events held back until the history is shown; null once it is. */
  private List<Runnable> early = new ArrayList<>();
  /** Highest offsets shown of peer→me and of me→peer (messages at or below were shown). */
  private long shownIn;
  private long shownOut;
  private final Map<String, Integer> notices = new LinkedHashMap<>();
  private boolean connectingShown;
  private boolean connectedOnce;
  private String lastLoss;

  private static final class Own {
    final String text;
    int tick;

    Own(String text, int tick) {
      this.text = text;
      this.tick = tick;
    }
  }

  ChatView(PrintStream out, String me, String peer, boolean unicode) {
    this.out = out;
    this.me = me;
    this.peer = peer;
    this.accepted = unicode ? "✓" : "v";
    this.delivered = unicode ? "✓✓" : "vv";
  }

  void info(String line) {
    printer.execute(() -> out.println("* " + line));
  }

  /**
   * Prints a connection state change: the first attempt, each connection, and a loss only when
   * its reason differs from the last one printed (not every attempt against a node that is
   * down). A node back with a new store (a new epoch) resets what is known of offsets. FAILED
   * goes to {@code failed} with its reason and whether a session was ever welcomed.
   */
  void state(StateChange s, BiConsumer<String, Boolean> failed) {
    printer.execute(() -> {
      switch (s.state()) {
        case CONNECTING -> {
          if (!connectingShown) {
            connectingShown = true;
            out.println("* connecting to " + s.endpoint() + "…");
          }
        }
        case CONNECTED -> {
          lastLoss = null;
          connectedOnce = true;
          out.println("* connected to " + s.endpoint() + " as " + s.identity().getEid()
              + " (node " + s.identity().getNode() + ")");
          if (s.epochChanged()) {
            live(() -> {
              mine.clear();
              shownIn = 0;
              shownOut = 0;
              out.println("* the node's store is new (it kept nothing): earlier messages are "
                  + "gone and offsets start again at #1");
            });
          }
        }
        case RECONNECTING -> {
          String kind = ChatMessages.reasonKind(s.reason());
          if (!kind.equals(lastLoss)) {
            lastLoss = kind;
            out.println("* " + ChatMessages.lost(s));
          }
        }
        case CLOSED -> out.println("* closed");
        case FAILED -> failed.accept(s.reason(), connectedOnce);
      }
    });
  }

  /**
   * One of my messages was accepted; not printed again when the history, fetched after it was
   * sent, showed it already.
   */
  void sent(MessagePeerAckSignal ack, String text) {
    live(() -> {
      long offset = ack.getPeer().getOffset();
      if (mine.containsKey(offset)) {
        return;
      }
      remember(offset, text, 1);
      shownOut = Math.max(shownOut, offset);
      out.println("[#" + offset + " " + accepted + "] you: " + text);
    });
  }

  /** A line the node did not take; {@code cause} null when it was told already. */
  void notSent(String text, Throwable cause) {
    printer.execute(() -> out.println("* not sent" + (cause == null ? "" : " ("
        + cause.getMessage() + ")") + ": " + text));
  }

  /**
   * An incoming message: shown (then {@code read} runs) when it belongs to this conversation
   * and was not shown yet; counted for a notice when it comes from someone else.
   */
  void received(Message m, Runnable read) {
    live(() -> {
      String from = m.getFrom().getEid();
      if (!m.hasPeer()) {
        if (from.equals(peer)) {
          out.println("[-] " + peer + ": " + m.getPayload().toStringUtf8()); // DEVICE
        }
        return;
      }
      long offset = m.getPeer().getOffset();
      boolean incoming = m.getPeer().getTo().equals(me);
      if (incoming && m.getPeer().getFrom().equals(peer)) {
        if (offset > shownIn) {
          shownIn = offset;
          out.println(line(m));
          read.run();
        }
      } else if (m.getPeer().getFrom().equals(me) && m.getPeer().getTo().equals(peer)) {
        if (offset > shownOut) { // a copy of my message, sent from another of my devices
          shownOut = offset;
          remember(offset, m.getPayload().toStringUtf8(), 1);
          out.println("[#" + offset + "] you (other device): " + m.getPayload().toStringUtf8());
        }
      } else if (incoming) {
        notice(m.getPeer().getFrom());
      }
    });
  }

  /**
   * The conversation's last messages when the chat starts: shown oldest first, then what was
   * held back; at most {@code limit} of both directions (0: none, only the held-back events
   * are let through); {@code readNewest} gets the newest message of the peer shown, if any.
   */
  void history(List<Message> mineThen, List<Message> theirs, int limit,
      Consumer<Message> readNewest) {
    printer.execute(() -> {
      List<Message> shown = limit > 0 ? printHistory(mineThen, theirs, limit, true) : List.of();
      mineThen.forEach(m -> shownOut = Math.max(shownOut, m.getPeer().getOffset()));
      theirs.forEach(m -> shownIn = Math.max(shownIn, m.getPeer().getOffset()));
      shown.stream().filter(m -> !m.getPeer().getFrom().equals(me))
          .reduce((older, newer) -> newer).ifPresent(readNewest);
      openGate();
    });
  }

  /** The history could not be fetched: say so, and show what was held back. */
  void historyFailed(String reason) {
    printer.execute(() -> {
      out.println("* earlier messages are not available: " + reason);
      openGate();
    });
  }

  /** {@code /history N}: shows the last messages again (nothing else changes). */
  void showHistory(List<Message> mineThen, List<Message> theirs, int limit) {
    printer.execute(() -> printHistory(mineThen, theirs, limit, false));
  }

  /** A forwarded DELIVERED or READ: moves the ticks of my messages up to its offset. */
  void ack(MessagePeerAckSignal signal) {
    if (!signal.getPeer().getFrom().equals(me) || !signal.getPeer().getTo().equals(peer)) {
      return; // not about my messages to the peer (e.g. my other device read something)
    }
    int tick = signal.getMethod() == AckMethod.READ_VALUE ? 3 : 2;
    live(() -> {
      for (Map.Entry<Long, Own> e : mine.headMap(signal.getPeer().getOffset(), true).entrySet()) {
        Own own = e.getValue();
        if (own.tick < tick) {
          own.tick = tick;
          out.println("[#" + e.getKey() + " " + (tick == 3 ? "read" : delivered) + "] you: "
              + own.text);
        }
      }
    });
  }

  /** Prints what is queued, then stops the printing thread. */
  @Override
  public void close() {
    printer.execute(this::flushNotices);
    printer.shutdown();
    try {
      printer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    out.flush();
  }

  /**
   * Prints both directions merged by the time they were sent, the last {@code limit} of them;
   * returns those.
   */
  private List<Message> printHistory(List<Message> mineThen, List<Message> theirs, int limit,
      boolean remember) {
    List<Message> merged = new ArrayList<>(mineThen);
    merged.addAll(theirs);
    if (merged.isEmpty()) {
      out.println("* no earlier messages with " + peer);
      return merged;
    }
    merged.sort(Comparator.comparingLong(Message::getTimestamp)
        .thenComparingLong(m -> m.getPeer().getOffset()));
    List<Message> all = merged.subList(Math.max(0, merged.size() - limit), merged.size());
    out.println("* last " + all.size() + " message" + (all.size() == 1 ? "" : "s") + " with "
        + peer + ":");
    for (Message m : all) {
      if (m.getPeer().getFrom().equals(me) && !me.equals(peer)) {
        long offset = m.getPeer().getOffset();
        int tick = offset <= m.getPeer().getPeerOffset() ? 2 : 1;
        if (remember) {
          remember(offset, m.getPayload().toStringUtf8(), tick);
        }
        out.println("[#" + offset + " " + (tick == 2 ? delivered : accepted) + "] you: "
            + m.getPayload().toStringUtf8());
      } else {
        out.println(line(m));
      }
    }
    return all;
  }

  private String line(Message m) {
    return "[#" + m.getPeer().getOffset() + "] " + m.getFrom().getEid() + ": "
        + m.getPayload().toStringUtf8();
  }

  /** Runs {@code task} on the printing thread once the history is shown. */
  private void live(Runnable task) {
    printer.execute(() -> {
      if (early != null) {
        early.add(task);
      } else {
        task.run();
      }
    });
  }

  private void openGate() {
    List<Runnable> held = early;
    early = null;
    if (held != null) {
      held.forEach(Runnable::run);
    }
  }

  private void notice(String from) {
    if (notices.isEmpty()) {
      printer.schedule(this::flushNotices, NOTICE_DELAY_MS, TimeUnit.MILLISECONDS);
    }
    notices.merge(from, 1, Integer::sum);
  }

  private void flushNotices() {
    notices.forEach((from, n) -> out.println("* " + n + " new from " + from));
    notices.clear();
  }

  private void remember(long offset, String text, int tick) {
    mine.tailMap(offset, true).clear(); // offsets only grow, unless the stream started over
    mine.put(offset, new Own(text, tick));
    if (mine.size() > REMEMBERED) {
      mine.pollFirstEntry();
    }
  }
}

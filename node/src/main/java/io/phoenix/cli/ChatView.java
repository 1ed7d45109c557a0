package io.phoenix.cli;

import io.phoenix.client.ConnectionState;
import io.phoenix.client.StateChange;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * What {@code phoenix chat} prints. Own messages show their offset and a tick that moves from
 * ✓ (accepted, stored) to ✓✓ (delivered to a device of the recipient) to "read":
 *
 * <pre>
 * [#3 ✓] you: hello
 * [#3 ✓✓] you: hello
 * [#3 read] you: hello
 * [#1] bob: hi alice
 * * reconnecting… (lost tcp://127.0.0.1:4100: Goodbye 503 node shutting down)
 * </pre>
 *
 * <p>Thread-safe: every call hands its work to one printing thread, in call order, so the
 * client's event loop never waits for the terminal. That thread owns all the view's state.
 */
final class ChatView implements AutoCloseable {
  private static final int REMEMBERED = 1_000;

  private final PrintStream out;
  private final String me;
  private final String peer;
  private final String accepted;
  private final String delivered;
  private final ExecutorService printer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "chat-output");
    t.setDaemon(true);
    return t;
  });
  /** My recent messages by offset: their text and the tick last printed (1, 2 or 3). */
  private final TreeMap<Long, Own> mine = new TreeMap<>();
  private boolean connectedOnce;
  private String lastLoss;

  private static final class Own {
    final String text;
    int tick = 1;

    Own(String text) {
      this.text = text;
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
   * Prints a connection state change. While reconnecting, only a new reason is printed (not
   * every attempt against a node that is down).
   */
  void state(StateChange s) {
    printer.execute(() -> {
      String line = switch (s.state()) {
        case CONNECTING -> connectedOnce ? null : "* connecting to " + s.endpoint() + "…";
        case CONNECTED -> "* connected to " + s.endpoint() + " as " + s.identity().getEid()
            + " (node " + s.identity().getNode() + ")";
        case RECONNECTING -> s.reason().equals(lastLoss) ? null
            : "* reconnecting… (lost " + s.endpoint() + ": " + s.reason() + ")";
        case CLOSED -> "* closed";
        case FAILED -> "* stopped: " + s.reason() + " (press Ctrl-D to leave)";
      };
      connectedOnce |= s.state() == ConnectionState.CONNECTED;
      if (s.state() == ConnectionState.RECONNECTING) {
        lastLoss = s.reason();
      } else if (s.state() == ConnectionState.CONNECTED) {
        lastLoss = null;
      }
      if (line != null) {
        out.println(line);
      }
    });
  }

  /** One of my messages was accepted. */
  void sent(MessagePeerAckSignal ack, String text) {
    printer.execute(() -> {
      long offset = ack.getPeer().getOffset();
      remember(offset, text);
      out.println("[#" + offset + " " + accepted + "] you: " + text);
    });
  }

  private void remember(long offset, String text) {
    mine.tailMap(offset, true).clear(); // offsets only grow, unless the node started over
    mine.put(offset, new Own(text));
    if (mine.size() > REMEMBERED) {
      mine.pollFirstEntry();
    }
  }

  void notSent(String text, Throwable cause) {
    printer.execute(() -> out.println("* not sent (" + cause.getMessage() + "): " + text));
  }

  /** An incoming message; {@code printed} runs once its line is out. */
  void received(Message m, Runnable printed) {
    printer.execute(() -> {
      String text = m.getPayload().toStringUtf8();
      String who = m.getFrom().getEid();
      if (who.equals(me) && m.hasPeer() && m.getPeer().getTo().equals(peer)) {
        who = "you (other device)";
        remember(m.getPeer().getOffset(), text);
      }
      String offset = m.hasPeer() ? "#" + m.getPeer().getOffset() : "-";
      out.println("[" + offset + "] " + who + ": " + text);
      printed.run();
    });
  }

  /** A forwarded DELIVERED or READ: moves the ticks of my messages up to its offset. */
  void ack(MessagePeerAckSignal signal) {
    if (!signal.getPeer().getFrom().equals(me) || !signal.getPeer().getTo().equals(peer)) {
      return; // not about my messages to the peer (e.g. my other device read something)
    }
    int tick = signal.getMethod() == AckMethod.READ_VALUE ? 3 : 2;
    printer.execute(() -> {
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
    printer.shutdown();
    try {
      printer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    out.flush();
  }
}

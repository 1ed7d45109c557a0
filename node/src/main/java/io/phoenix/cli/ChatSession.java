package io.phoenix.cli;

import io.phoenix.client.ConnectionState;
import io.phoenix.client.PhoenixClient;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The main loop of {@code phoenix chat}: connects, shows the conversation's last messages,
 * then handles what is typed. A line is sent to the peer; {@code //text} sends {@code /text};
 * {@code /help}, {@code /quit} and {@code /history N} are commands, and any other
 * {@code /word} is refused as an unknown command rather than sent.
 *
 * <p>Runs on the calling thread.
 */
final class ChatSession {
  private static final long SEND_DRAIN_SECONDS = 10;
  private static final long STOP_LINE_MILLIS = 5_000;

  private final PhoenixClient client;
  private final ChatView view;
  private final ChatInput input;
  private final String me;
  private final String peer;
  private final int history;
  private final String logWhere;
  private final List<Future<?>> pending = new ArrayList<>();

  ChatSession(PhoenixClient client, ChatView view, ChatInput input, String me, String peer,
      int history, String logWhere) {
    this.client = client;
    this.view = view;
    this.input = input;
    this.me = me;
    this.peer = peer;
    this.history = history;
    this.logWhere = logWhere;
  }

  /** Runs until the end of input, /quit or a stop; returns the exit code. */
  int run() throws InterruptedException {
    view.info("chatting with " + peer + " as " + me
        + " (type a line and press Enter to send; /help for commands)");
    client.connect().onSuccess(identity -> {
      if (history == 0) {
        view.history(List.of(), List.of(), 0, m -> { });
      } else {
        ChatCommand.lastMessages(client, me, peer, history)
            .onSuccess(both -> view.history(both.get(0), both.get(1), history, client::read))
            .onFailure(e -> view.historyFailed(e.getMessage()));
      }
    }); // a failure to connect ends in a FAILED state change, which stops the loop
    while (true) {
      ChatInput.Event e = input.next();
      if (e.end()) {
        if (e.why() != null) {
          view.info(e.why());
        }
        if (e.exitCode() != 0) {
          return e.exitCode();
        }
        break;
      }
      String text = e.line().strip();
      if (text.startsWith("//")) {
        send(text.substring(1));
      } else if (text.startsWith("/")) {
        if (!command(text)) {
          break;
        }
      } else if (!text.isEmpty()) {
        send(text);
      }
    }
    try {
      // a failed send was told already: wait for the answers, not for successes
      Future.join(pending.stream().map(f -> f.otherwiseEmpty()).toList())
          .await(SEND_DRAIN_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      view.info("some messages are still unanswered after " + SEND_DRAIN_SECONDS + " s");
    }
    if (client.state() == ConnectionState.FAILED) {
      // the input ended first (a script), then the client gave up: say why, and fail
      ChatInput.Event stop = input.awaitStop(STOP_LINE_MILLIS);
      if (stop != null) {
        view.info(stop.why());
        return stop.exitCode();
      }
      return 1;
    }
    return 0;
  }

  /** Runs a command; false for /quit. */
  private boolean command(String text) {
    String[] words = text.split("\\s+");
    switch (words[0]) {
      case "/quit" -> {
        return false;
      }
      case "/help" -> ChatMessages.help(peer, logWhere).forEach(view::info);
      case "/history" -> {
        int n = words.length > 1 ? parse(words[1]) : 20;
        if (words.length > 2 || n < 1 || n > ChatCommand.MAX_HISTORY) {
          view.info("usage: /history N (N from 1 to " + ChatCommand.MAX_HISTORY + ")");
        } else {
          ChatCommand.lastMessages(client, me, peer, n)
              .onSuccess(both -> view.showHistory(both.get(0), both.get(1), n))
              .onFailure(e -> view.info("earlier messages are not available: "
                  + e.getMessage()));
        }
      }
      default -> view.info("unknown command " + words[0] + " (/help lists them; start a line "
          + "with // to send one that begins with /)");
    }
    return true;
  }

  private void send(String text) {
    pending.removeIf(Future::isComplete);
    pending.add(client.send(peer, text)
        .onSuccess(ack -> view.sent(ack, text))
        // a client that stopped for good says why in one line of its own
        .onFailure(e -> view.notSent(text, client.state() == ConnectionState.FAILED ? null : e)));
  }

  private static int parse(String n) {
    try {
      return Integer.parseInt(n);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}

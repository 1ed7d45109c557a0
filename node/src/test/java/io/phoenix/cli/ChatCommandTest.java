package io.phoenix.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.phoenix.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Two {@code phoenix chat} sessions in this JVM, their keyboards and screens piped to the
 * test, against a real node: lines typed on one appear on the other, ticks move from ✓ to ✓✓
 * to read, and a chat outlives a restart of its node.
 */
class ChatCommandTest {
  static final long TIMEOUT_SECONDS = 20;

  @TempDir
  Path dir;

  /** A chat session: what the test types goes to its stdin; its stdout lines are queued. */
  static final class Terminal {
    final BlockingQueue<String> screen = new LinkedBlockingQueue<>();
    final List<String> seen = new ArrayList<>();
    final PipedOutputStream keyboard = new PipedOutputStream();
    final Thread thread;
    volatile int exit = -1;

    Terminal(String... args) throws IOException {
      PipedInputStream stdin = new PipedInputStream(keyboard, 64 * 1024);
      PrintStream stdout = new PrintStream(new LineSink(screen), true, UTF_8);
      thread = new Thread(() -> exit = new CommandLine(new ChatCommand(stdin, stdout, UTF_8))
          .execute(args), "chat-" + args[1]);
      thread.start();
    }

    void type(String line) throws IOException {
      keyboard.write((line + "\n").getBytes(UTF_8));
      keyboard.flush();
    }

    /** Waits for a screen line equal to {@code line} (earlier lines are skipped). */
    String expect(String line) throws InterruptedException {
      return expectStarting(line, true);
    }

    String expectStarting(String prefix, boolean whole) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      while (true) {
        String l = screen.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (l == null) {
          fail("no line '" + prefix + "' on the screen within " + TIMEOUT_SECONDS + " s; saw "
              + seen);
        }
        seen.add(l);
        if (whole ? l.equals(prefix) : l.startsWith(prefix)) {
          return l;
        }
      }
    }

    /** Ends the input (Ctrl-D) and returns the exit code. */
    int endInput() throws IOException, InterruptedException {
      keyboard.close();
      thread.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      assertFalse(thread.isAlive(), "chat did not end");
      return exit;
    }
  }

  /** Splits what is printed into lines. */
  static final class LineSink extends OutputStream {
    private final BlockingQueue<String> lines;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineSink(BlockingQueue<String> lines) {
      this.lines = lines;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        lines.add(line.toString(UTF_8));
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  @Test
  void linesTypedOnOneChatAppearOnTheOtherWithTicks() throws Exception {
    try (TestNode node = TestNode.start()) {
      Path config = dir.resolve("node.json");
      Files.writeString(config, TestNode.config().encode()); // same secret and issuer
      Terminal alice = new Terminal("--as", "alice-chat", "--to", "bob-chat",
          "--server", "127.0.0.1:" + node.tcpPort(), "--token", node.token("alice-chat"));
      Terminal bob = new Terminal("--as", "bob-chat", "--to", "alice-chat", "--ws",
          "--server", "127.0.0.1:" + node.httpPort(), "--config", config.toString());
      alice.expectStarting("* connected to tcp://127.0.0.1:" + node.tcpPort() + " as alice-chat",
          false);
      bob.expectStarting("* connected to ws://127.0.0.1:" + node.httpPort() + "/socket as bob-chat",
          false);

      alice.type("hello bob");
      alice.expect("[#1 ✓] you: hello bob");
      bob.expect("[#1] alice-chat: hello bob");
      alice.expect("[#1 ✓✓] you: hello bob");
      alice.expect("[#1 read] you: hello bob");

      bob.type("hi alice, how are you?");
      bob.type("");
      bob.type("all good here");
      alice.expect("[#1] bob-chat: hi alice, how are you?");
      alice.expect("[#2] bob-chat: all good here");
      bob.expect("[#2 read] you: all good here");

      alice.type("/quit");
      alice.thread.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      assertEquals(0, alice.exit, "/quit ends the chat");
      assertEquals(0, bob.endInput(), "so does the end of input");
    }
  }

  @Test
  void chatsSurviveARestartOfTheirNode() throws Exception {
    JsonObject config = TestNode.config();
    config.getJsonObject("tcp").put("port", TestNode.freePort());
    TestNode first = TestNode.start(config);
    int port = first.tcpPort();
    Terminal alice = new Terminal("--as", "alice-restart", "--to", "bob-restart",
        "--server", "127.0.0.1:" + port, "--token", first.token("alice-restart"));
    Terminal bob = new Terminal("--as", "bob-restart", "--to", "alice-restart",
        "--server", "127.0.0.1:" + port, "--token", first.token("bob-restart"));
    alice.expectStarting("* connected to tcp://127.0.0.1:" + port, false);
    bob.expectStarting("* connected to tcp://127.0.0.1:" + port, false);
    alice.type("before");
    bob.expect("[#1] alice-restart: before");
    alice.expect("[#1 read] you: before");

    first.close();
    alice.expectStarting("* reconnecting… (lost tcp://127.0.0.1:" + port + ": Goodbye 503", false);
    bob.expectStarting("* reconnecting… (lost tcp://127.0.0.1:" + port + ": Goodbye 503", false);
    alice.type("still there?");
    try (TestNode second = TestNode.start(config)) {
      alice.expectStarting("* connected to tcp://127.0.0.1:" + port, false);
      // The restarted node kept the stream in its database: the offsets go on.
      alice.expect("[#2 ✓] you: still there?");
      bob.expect("[#2] alice-restart: still there?");
      alice.expect("[#2 read] you: still there?");
      assertEquals(0, alice.endInput());
      assertEquals(0, bob.endInput());
      assertEquals(second.tcpPort(), port);
    }
  }
}

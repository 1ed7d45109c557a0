package io.phoenix.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * {@code java -jar target/phoenix.jar chat ARGS} as its own process, used the way a person
 * would: lines typed on its standard input, its screen (standard output) read line by line.
 * Its stderr is kept too (it must stay empty: the log goes to a file). Java's temporary
 * directory is the given one, so the chat's default log file lands there. Every wait has a
 * deadline.
 */
public final class ChatProcess implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final OutputStream keyboard;
  private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
  private final List<String> screen = Collections.synchronizedList(new ArrayList<>());
  private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
  private final Thread outReader;
  private final Thread errReader;

  private ChatProcess(Process process) {
    this.process = process;
    this.keyboard = process.getOutputStream();
    outReader = reader(process.getInputStream(), line -> {
      synchronized (screen) {
        screen.add(line);
        screen.notifyAll();
      }
      pending.add(line);
    });
    errReader = reader(process.getErrorStream(), errors::add);
  }

  /** Starts {@code phoenix chat ARGS} with {@code tmp} as its temporary directory. */
  public static ChatProcess start(Path tmp, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.io.tmpdir=" + tmp, "-Dfile.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8"));
    command.addAll(ClassArchive.jarArgs());
    command.add("chat");
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile());
    pb.environment().keySet().removeIf(k -> k.toUpperCase(Locale.ROOT).startsWith("PHOENIX_")
        || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS")
        || k.equals("_JAVA_OPTIONS"));
    return new ChatProcess(pb.start());
  }

  private static Thread reader(InputStream in, Consumer<String> sink) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          sink.accept(line);
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "chat-process-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Types a line and presses Enter. */
  public void type(String line) throws IOException {
    keyboard.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    keyboard.flush();
  }

  /** Waits for a screen line equal to {@code line}; earlier lines are skipped. */
  public String expect(String line) throws InterruptedException {
    return expect(line::equals, "'" + line + "'");
  }

  /** Waits for a screen line starting with {@code prefix}; earlier lines are skipped. */
  public String expectStarting(String prefix) throws InterruptedException {
    return expect(l -> l.startsWith(prefix), "starting '" + prefix + "'");
  }

  /** Waits for a screen line that matches; earlier lines are skipped. */
  public String expect(Predicate<String> match, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      String l = pending.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (l == null) {
        return fail("no line " + what + " on the screen within " + TIMEOUT.toSeconds()
            + " s; screen:\n" + screen() + "\nstderr:\n" + stderr());
      }
      if (match.test(l)) {
        return l;
      }
    }
  }

  /** Waits until the whole screen so far satisfies {@code condition}, in any order. */
  public void awaitScreen(Predicate<List<String>> condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.test(screenLines())) {
      if (System.nanoTime() > deadline) {
        fail("the screen never showed " + what + " within " + TIMEOUT.toSeconds()
            + " s; screen:\n" + screen() + "\nstderr:\n" + stderr());
      }
      synchronized (screen) {
        screen.wait(100); // woken by the next line
      }
    }
  }

  /** Watches the screen for {@code window}; returns the lines printed meanwhile. */
  public List<String> watch(Duration window) throws InterruptedException {
    List<String> out = new ArrayList<>();
    long deadline = System.nanoTime() + window.toNanos();
    for (long left = window.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      String l = pending.poll(left, TimeUnit.NANOSECONDS);
      if (l != null) {
        out.add(l);
      }
    }
    return out;
  }

  /** The screen lines not taken by an expect yet (and removes them). */
  public List<String> drain() {
    List<String> out = new ArrayList<>();
    pending.drainTo(out);
    return out;
  }

  /** Ends the input (Ctrl-D) and waits for the exit code. */
  public int endInput() throws IOException, InterruptedException {
    keyboard.close();
    return awaitExit();
  }

  /** Waits for the process to exit by itself; returns its exit code. */
  public int awaitExit() throws InterruptedException {
    if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      fail("chat still running after " + TIMEOUT.toSeconds() + " s; screen:\n" + screen());
    }
    outReader.join(10_000);
    errReader.join(10_000);
    return process.exitValue();
  }

  public String screen() {
    synchronized (screen) {
      return String.join("\n", screen);
    }
  }

  public List<String> screenLines() {
    synchronized (screen) {
      return List.copyOf(screen);
    }
  }

  public String stderr() {
    synchronized (errors) {
      return String.join("\n", errors);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
      }
    }
  }
}

package io.phoenix.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * What the chat's main loop waits for: lines typed (read from the input on a daemon thread of
 * their own, so that the loop is never stuck in a read), the end of the input, or a stop asked
 * by the client's side (a refused token: going on is pointless).
 *
 * <p>Thread-safe: {@link #stop} may be called from any thread; {@link #next} from one.
 */
final class ChatInput {
  /** One thing for the main loop: a line, the end of input, or a stop with its exit code. */
  record Event(String line, boolean end, int exitCode, String why) {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

  ChatInput(InputStream in, Charset charset) {
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, charset))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          events.add(new Event(line, false, 0, null));
        }
      } catch (IOException e) {
        // the input is gone: same as its end
      }
      events.add(new Event(null, true, 0, null));
    }, "chat-input");
    reader.setDaemon(true);
    reader.start();
  }

  /** Makes the main loop end with {@code exitCode} after printing {@code why}. */
  void stop(int exitCode, String why) {
    events.add(new Event(null, true, exitCode, why));
  }

  Event next() throws InterruptedException {
    return events.take();
  }

  /** The next stop asked within {@code millis} (skipping lines and the end of input), or null. */
  Event awaitStop(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    for (long left = millis * 1_000_000; left > 0; left = deadline - System.nanoTime()) {
      Event e = events.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS);
      if (e != null && e.why() != null) {
        return e;
      }
    }
    return null;
  }
}

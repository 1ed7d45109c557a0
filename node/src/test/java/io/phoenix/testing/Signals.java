package io.phoenix.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Sends POSIX signals to processes with the system's {@code kill}, for tests that freeze them. */
public final class Signals {
  private Signals() {}

  /**
   * Sends {@code signal} ({@code STOP}, {@code CONT}, …) to every process of {@code pids} at
   * once; fails unless {@code kill} succeeds within 10 s.
   */
  public static void send(String signal, List<Long> pids) throws Exception {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    pids.forEach(p -> command.add(Long.toString(p)));
    Process kill = new ProcessBuilder(command).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("failed: " + String.join(" ", command));
    }
  }
}

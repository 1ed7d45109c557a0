package io.phoenix.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@code phoenix} command run as its users run it: the jar, in a JVM of its own. */
public final class JarCommand {
  private JarCommand() {
  }

  /** How a run ended: its exit code, and its stdout and stderr together, line by line. */
  public record Result(int exit, List<String> lines) {
    public String text() {
      return String.join("\n", lines);
    }
  }

  /**
   * Runs the jar with {@code args} and {@code input} on stdin, and waits for its end; the
   * process's temporary directory (a chat's log) is {@code dir}, which holds its input and
   * output files too. Not ended within {@code seconds}, it is killed and the run fails.
   */
  public static Result run(Path dir, String input, long seconds, String... args)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(NodeProcess.java(), "-Xmx256m",
        "-Djava.io.tmpdir=" + dir));
    command.addAll(ClassArchive.jarArgs());
    command.addAll(List.of(args));
    Path in = Files.writeString(Files.createTempFile(dir, "stdin", ".txt"), input);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Process p = new ProcessBuilder(command).redirectInput(in.toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("phoenix " + String.join(" ", args) + " did not end: "
          + Files.readString(out));
    }
    return new Result(p.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8));
  }
}

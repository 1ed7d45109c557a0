package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every command's --help renders cleanly: no picocli warning, exit code 0. */
class HelpTextTest {

  @Test
  void everyCommandsHelpRendersWithoutWarnings() {
    for (String[] args : new String[][] {{"--help"}, {"node", "--help"}, {"token", "--help"},
        {"chat", "--help"}, {"bench", "--help"}}) {
      PrintStream out = System.out;
      PrintStream err = System.err;
      ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
      ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
      int code;
      try {
        System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        code = PhoenixCommand.run(args);
      } finally {
        System.setOut(out);
        System.setErr(err);
      }
      String name = String.join(" ", args);
      String help = outBytes.toString(StandardCharsets.UTF_8);
      assertEquals(0, code, name);
      assertTrue(help.startsWith("Usage: phoenix"), name + ": " + help);
      assertEquals("", errBytes.toString(StandardCharsets.UTF_8), name + " wrote to stderr");
    }
  }
}

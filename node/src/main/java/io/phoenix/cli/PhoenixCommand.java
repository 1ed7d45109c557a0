package io.phoenix.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code phoenix} command line: {@code node} starts a node, {@code token} prints a token,
 * {@code chat} and {@code bench} are clients, {@code copy-store} copies a store into another.
 *
 * <p>Runs on the main thread.
 */
@Command(name = "phoenix", mixinStandardHelpOptions = true,
    version = "phoenix 0.1.0",
    description = "A clustered real-time messaging node.",
    subcommands = {NodeCommand.class, TokenCommand.class, ChatCommand.class,
        BenchCommand.class, CopyStoreCommand.class})
public final class PhoenixCommand implements Runnable {

  /** Parses and runs; returns the process exit code. */
  public static int run(String... args) {
    return new CommandLine(new PhoenixCommand()).execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}

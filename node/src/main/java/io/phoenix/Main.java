package io.phoenix;

import io.phoenix.cli.PhoenixCommand;

/** Entry point of {@code phoenix.jar}: hands the command line to picocli. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(PhoenixCommand.run(args));
  }
}

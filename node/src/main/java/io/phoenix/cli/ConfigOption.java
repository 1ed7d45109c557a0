package io.phoenix.cli;

import io.phoenix.config.ConfigException;
import io.phoenix.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The {@code --config FILE} option shared by the commands, and the one way they load
 * configuration (file or embedded default, then {@code PHOENIX_*} environment overrides).
 *
 * <p>Runs on the main thread.
 */
final class ConfigOption {
  private static final Logger log = LoggerFactory.getLogger(ConfigOption.class);

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "JSON configuration file (default: the embedded conf/node.json)")
  String file;

  /** Loads and validates; logs warnings (to stderr). Throws ConfigException with one line. */
  ConfigLoader.Loaded load() throws ConfigException {
    ConfigLoader.Loaded loaded = ConfigLoader.load(file, System.getenv());
    loaded.warnings().forEach(w -> log.warn("config warning: {}", w));
    return loaded;
  }
}

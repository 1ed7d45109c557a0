package io.phoenix.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Where {@code phoenix chat} logs: the terminal belongs to the user, so the log of the client
 * library (and of anything else in the process) goes to a file, or with {@code --verbose} to
 * stderr. Replaces the appenders of the root logger that conf/logback.xml set up; also routes
 * java.util.logging into it, so that nothing prints around it.
 *
 * <p>Called once, from the main thread, before the chat starts.
 */
final class ChatLog {
  private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n";

  private ChatLog() {}

  /** The default log file of a chat as {@code eid}, in the temporary directory. */
  static Path defaultFile(String eid) {
    String safe = eid.replaceAll("[^A-Za-z0-9._-]", "_");
    return Path.of(System.getProperty("java.io.tmpdir"), "phoenix-chat-" + safe + ".log");
  }

  /** Sends the log to {@code file} (appending), or to stderr when {@code file} is null. */
  static void redirect(Path file) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding: leave it as configured
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    Appender<ILoggingEvent> appender;
    if (file == null) {
      ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
      console.setTarget("System.err");
      console.setEncoder(encoder);
      appender = console;
    } else {
      FileAppender<ILoggingEvent> f = new FileAppender<>();
      f.setFile(file.toString());
      f.setAppend(true);
      f.setEncoder(encoder);
      appender = f;
    }
    appender.setContext(context);
    appender.setName("CHAT");
    appender.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
    if (file == null) {
      context.getLogger("io.phoenix.client").setLevel(Level.DEBUG);
    }
  }
}

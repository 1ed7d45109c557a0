package io.phoenix.util;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import java.util.Set;

/**
 * Logback conversion word for the throwable of a text log line ({@code %shortNetEx} in
 * conf/logback.xml): a network error that is part of normal life in a cluster (a connection
 * refused, reset or closed because a member died, a connect timeout) is written at the end of
 * its line, {@code (SocketException: Connection reset)}, instead of as a stack trace that tells
 * nothing more; any other throwable keeps its full stack trace on the lines that follow.
 *
 * <p>Logback creates and calls it; thread-safe like any Logback converter.
 */
public final class ShortNetworkErrors extends ThrowableProxyConverter {
  private static final Set<String> NETWORK = Set.of(
      "java.net.SocketException",
      "java.net.ConnectException",
      "java.net.NoRouteToHostException",
      "java.net.SocketTimeoutException",
      "java.nio.channels.ClosedChannelException",
      "io.netty.channel.ConnectTimeoutException",
      "io.netty.channel.StacklessClosedChannelException",
      "io.netty.channel.AbstractChannel$AnnotatedConnectException",
      "io.netty.channel.AbstractChannel$AnnotatedSocketException",
      "io.netty.channel.unix.Errors$NativeIoException",
      "io.netty.channel.unix.Errors$NativeConnectException");

  @Override
  public String convert(ILoggingEvent event) {
    IThrowableProxy t = event.getThrowableProxy();
    if (t == null) {
      return "";
    }
    if (isNetwork(t)) {
      String name = t.getClassName().substring(t.getClassName().lastIndexOf('.') + 1);
      return " (" + name + (t.getMessage() == null ? "" : ": " + t.getMessage()) + ")";
    }
    String trace = super.convert(event);
    return System.lineSeparator() + trace.stripTrailing();
  }

  private static boolean isNetwork(IThrowableProxy t) {
    for (IThrowableProxy c = t; c != null; c = c.getCause()) {
      String message = String.valueOf(c.getMessage());
      if (NETWORK.contains(c.getClassName())
          || (c.getClassName().equals("java.io.IOException") && (message.contains("Connection")
              || message.contains("Broken pipe")))) {
        return true;
      }
    }
    return false;
  }
}

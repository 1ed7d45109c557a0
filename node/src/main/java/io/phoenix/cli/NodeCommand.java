package io.phoenix.cli;

import io.phoenix.config.ConfigException;
import io.phoenix.config.ConfigLoader;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.node.PhoenixNode;
import io.phoenix.node.PortCheck;
import io.phoenix.node.VertxFileCache;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code phoenix node [--config FILE]}: starts a node, prints
 * {@code READY node=<id> tcp=<port> http=<port>} once clients can connect (and logs the
 * dashboard's address), and on SIGTERM or SIGINT closes every session with Goodbye 503, leaves
 * the cluster and exits 0. A port that cannot be bound stops it before anything starts, with
 * one line naming the port's key, and exit code 1.
 *
 * <p>Runs on the main thread, which waits for the stop signal. The signal arrives through a JVM
 * shutdown hook (SIGTERM, SIGINT, or {@code System.exit}): the hook wakes the main thread, waits
 * for it to stop the node, and then ends the process with the stop's exit code (0 when it was
 * clean) instead of the signal's.
 */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Start a Phoenix node.")
final class NodeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);
  private static final long STOP_TIMEOUT_SECONDS = 30;
  /** How long the shutdown hook waits for Vert.x to remove its file cache before it halts. */
  private static final long CACHE_REMOVAL_MS = 3_000;

  @Mixin
  ConfigOption config;

  @Override
  public Integer call() throws InterruptedException {
    ConfigLoader.Loaded loaded;
    try {
      loaded = config.load();
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    PhoenixConfig c = loaded.config();
    String ports = PortCheck.firstProblem(c);
    if (ports != null) {
      System.err.println("node failed to start: " + ports);
      return 1;
    }
    log.info("starting node {} from {}", c.node().id(), loaded.source());
    int leftovers = VertxFileCache.removeLeftovers();
    if (leftovers > 0) {
      log.info("removed {} file cache directories left in {} by nodes that were killed",
          leftovers, System.getProperty("java.io.tmpdir"));
    }
    if (c.auth().devTokens()) {
      log.warn("*** auth.devTokens is ON: the dashboard signs in ANYONE as ANY eid without a "
          + "password. Development only: never enable it on a reachable address. ***");
    }

    PhoenixNode node = new PhoenixNode(c);
    CountDownLatch stop = new CountDownLatch(1);
    CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      int code = awaitExitCode(exitCode);
      // Vert.x's own hook may still be removing its file cache: halt would cut it short
      VertxFileCache.awaitRemoved(CACHE_REMOVAL_MS);
      Runtime.getRuntime().halt(code);
    }, "phoenix-shutdown"));
    int code = 1;
    try {
      code = run(node, c, stop);
    } finally {
      exitCode.complete(code);
    }
    return code;
  }

  /** Starts the node, prints READY, waits for {@code stop}, stops it; returns the exit code. */
  private static int run(PhoenixNode node, PhoenixConfig c, CountDownLatch stop)
      throws InterruptedException {
    try {
      node.start().await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      try {
        node.stop(Duration.ofSeconds(STOP_TIMEOUT_SECONDS));
      } catch (Exception ignored) {
        // exiting anyway
      }
      // a port taken between the check and the bind: name it rather than the library's words.
      // Only then: after another failure, a port may still be held by this node's own cluster
      // member, whose stop timed out, and would be reported as taken instead of the cause.
      String taken = bindFailure(e) ? PortCheck.firstProblem(c) : null;
      System.err.println("node failed to start: " + (taken != null ? taken : rootMessage(e)));
      return 1;
    }
    System.out.println("READY node=" + c.node().id() + " tcp=" + node.tcpPort()
        + " http=" + node.httpPort());
    System.out.flush();
    log.info("dashboard: {}", dashboardUrl(c, node.httpPort()));

    stop.await();
    log.info("stopping node {}", c.node().id());
    try {
      node.stop(Duration.ofSeconds(STOP_TIMEOUT_SECONDS));
    } catch (Exception e) {
      log.warn("clean stop did not finish: {}", rootMessage(e));
      return 1;
    }
    log.info("node {} stopped", c.node().id());
    return 0;
  }

  /**
   * In the shutdown hook: the main thread's exit code once it has stopped the node (it may still
   * be starting it), or 1 when that takes longer than a start and a stop may.
   */
  private static int awaitExitCode(CompletableFuture<Integer> exitCode) {
    try {
      return exitCode.get(120 + STOP_TIMEOUT_SECONDS + 10, TimeUnit.SECONDS);
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /** The page's address as a browser on this machine reaches it. */
  static String dashboardUrl(PhoenixConfig c, int port) {
    return (c.tls().http() ? "https://" : "http://") + LocalAddress.inUrl(c.http().host()) + ":"
        + port + "/";
  }

  /** @return whether {@code e} or one of its causes is a failure to bind a socket */
  static boolean bindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}

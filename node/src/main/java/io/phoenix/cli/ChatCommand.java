package io.phoenix.cli;

import io.phoenix.client.Backoff;
import io.phoenix.client.ClientBuilder;
import io.phoenix.client.Endpoint;
import io.phoenix.client.PhoenixClient;
import io.phoenix.config.ConfigException;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.v1.Message;
import io.phoenix.session.Authenticator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phoenix chat --as EID --to EID}: an interactive chat on {@link PhoenixClient}, one
 * conversation per window. Each line typed is sent to the peer; the peer's messages are
 * printed with their offsets and acknowledged (DELIVERED on receipt, READ once printed); other
 * conversations show as a notice and are never marked read; the last messages of this one are
 * shown at the start. See {@link ChatView} for the output and {@link ChatInput} for commands.
 * Without {@code --server} it talks to the node of the configuration (by default the embedded
 * one on 127.0.0.1); without {@code --token} it signs tokens with the configuration's secret,
 * a fresh one for every connection. {@code tls://} and {@code wss://} servers are verified
 * against {@code --ca FILE} (else the JVM's trust store); with {@code --key FILE} every message
 * is signed with that device key, and the tokens it signs bind the key (PROTOCOL.md §10). Its
 * log goes to a file (stderr with {@code --verbose}).
 *
 * <p>Runs on the calling thread, which handles the input until end of input, {@code /quit},
 * or a refusal that makes going on pointless (exit code 1).
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "Chat with another eid from the terminal (type a line to send it).")
final class ChatCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ChatCommand.class);
  static final int MAX_HISTORY = 1_000;
  /** Reconnect delays a person can follow: 1 s doubling to 30 s. */
  static final Backoff BACKOFF = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), false);
  private static final long HISTORY_TIMEOUT_SECONDS = 20;

  @Mixin
  ConfigOption config;

  @Option(names = "--as", required = true, paramLabel = "EID", description = "Who you are")
  String me;

  @Option(names = "--to", required = true, paramLabel = "EID", description = "Who you chat with")
  String peer;

  @Option(names = "--server", paramLabel = "HOST:PORT",
      description = "Node to connect to; repeat for fail-over (default: the configured node "
          + "on 127.0.0.1). A full endpoint (tcp://…, tls://…, ws://…/socket or "
          + "wss://…/socket) is taken as it is.")
  List<String> servers = new ArrayList<>();

  @Option(names = "--ws", description = "Connect over WebSocket instead of TCP")
  boolean ws;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "Token to send in Hello (default: signed with the configured secret)")
  String token;

  @Option(names = "--ca", paramLabel = "FILE",
      description = "PEM file of the CA that tls:// and wss:// servers' certificates must chain "
          + "to (default: the JVM's trust store)")
  Path ca;

  @Option(names = "--key", paramLabel = "FILE",
      description = "Sign every message with this device key (PKCS#8 PEM, Ed25519 or P-256); "
          + "the tokens chat signs bind it")
  Path key;

  @Option(names = "--resource", paramLabel = "ID",
      description = "connection_resource_id of this device (default: a random one)")
  String resource;

  @Option(names = "--history", paramLabel = "N", defaultValue = "20",
      description = "Messages of this conversation to show at the start (default: 20)")
  int history;

  @Option(names = "--log", paramLabel = "FILE",
      description = "Log file (default: phoenix-chat-EID.log in the temporary directory)")
  Path logFile;

  @Option(names = "--verbose", description = "Log to stderr instead of a file")
  boolean verbose;

  private final InputStream in;
  private final PrintStream out;
  private final Charset charset;
  /** True for the real command: it owns the process's logging (not so inside tests). */
  private final boolean ownsProcess;

  ChatCommand() {
    this(System.in, System.out, consoleCharset(), true);
  }

  ChatCommand(InputStream in, PrintStream out, Charset charset) {
    this(in, out, charset, false);
  }

  private ChatCommand(InputStream in, PrintStream out, Charset charset, boolean ownsProcess) {
    this.in = in;
    this.out = out;
    this.charset = charset;
    this.ownsProcess = ownsProcess;
  }

  @Override
  public Integer call() throws Exception {
    if (me.isEmpty() || peer.isEmpty()) {
      System.err.println("--as and --to must not be empty");
      return 2;
    }
    if (history < 0 || history > MAX_HISTORY) {
      System.err.println("--history must be between 0 and " + MAX_HISTORY);
      return 2;
    }
    if (token != null) {
      String subject = ChatMessages.tokenSubject(token);
      if (subject != null && !subject.equals(me)) {
        System.err.println(ChatMessages.tokenForAnother(subject, me));
        return 2;
      }
    }
    Path log = logFile != null ? logFile : ChatLog.defaultFile(me);
    if (ownsProcess) {
      ChatLog.redirect(verbose ? null : log);
    }
    PhoenixConfig c = null;
    if (servers.isEmpty() || token == null) {
      try {
        c = config.load().config();
      } catch (ConfigException e) {
        System.err.println(e.getMessage());
        return 2;
      }
    }
    List<Endpoint> endpoints;
    try {
      endpoints = endpoints(c);
    } catch (IllegalArgumentException e) {
      System.err.println("--server: " + e.getMessage());
      return 2;
    }
    DeviceKey deviceKey = null;
    if (key != null) {
      try {
        deviceKey = DeviceKey.read(key);
      } catch (IllegalArgumentException e) {
        System.err.println("--key: " + e.getMessage());
        return 2;
      }
    }
    Vertx vertx = Vertx.vertx();
    try (ChatView view = new ChatView(out, me, peer, charset.newEncoder().canEncode("✓✓"))) {
      ChatInput input = new ChatInput(in, charset);
      PhoenixClient client;
      try {
        client = client(vertx, endpoints, c, view, input, deviceKey);
      } catch (IllegalArgumentException e) {
        System.err.println(e.getMessage());
        return 2;
      }
      String where = verbose ? "the log goes to stderr (--verbose)" : "log: " + log;
      int code = new ChatSession(client, view, input, me, peer, history, where).run();
      try {
        client.close().await(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        view.info("close did not finish: " + e.getMessage());
      }
      return code;
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The client; throws IllegalArgumentException (one line) for a bad --ca or --resource. */
  private PhoenixClient client(Vertx vertx, List<Endpoint> endpoints, PhoenixConfig c,
      ChatView view, ChatInput input, DeviceKey deviceKey) {
    PhoenixClient[] client = new PhoenixClient[1];
    ClientBuilder builder = PhoenixClient.builder(vertx).endpoints(endpoints)
        .backoff(BACKOFF)
        .onStateChange(s -> {
          log.info("{}", s);
          if (s.identity() != null && !s.identity().getEid().equals(me)) {
            input.stop(2, "the node says this token is for " + s.identity().getEid()
                + ", not for " + me + ": leaving");
          }
          view.state(s, (reason, connectedBefore) -> input.stop(1,
              ChatMessages.failed(reason, me, token != null, connectedBefore)));
        })
        .onAck(view::ack)
        .onMessage(m -> {
          client[0].delivered(m);
          view.received(m, () -> client[0].read(m));
        });
    if (ca != null) {
      try {
        builder.trustedCa(ca);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--ca: " + e.getMessage(), e);
      }
    }
    if (deviceKey != null) {
      builder.signingKey(deviceKey.privateKey());
    }
    if (token != null) {
      builder.token(token);
    } else {
      Authenticator signer = new Authenticator(vertx, c.auth());
      io.vertx.core.json.JsonObject cnf = deviceKey == null ? null : deviceKey.jwk();
      builder.token(() -> Future.succeededFuture(signer.issue(me, c.auth().tokenTtlSeconds(),
          cnf)));
    }
    if (resource != null) {
      try {
        builder.resourceId(resource);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--resource: " + e.getMessage(), e);
      }
    }
    client[0] = builder.build();
    return client[0];
  }

  /** Fetches the last {@code n} messages of both directions; fails after a bound. */
  static Future<List<List<Message>>> lastMessages(PhoenixClient client, String me, String peer,
      int n) {
    Future<List<Message>> mine = client.history(me, peer, n);
    Future<List<Message>> theirs = client.history(peer, me, n);
    return Future.all(mine, theirs).map(v -> List.of(mine.result(), theirs.result()))
        .timeout(HISTORY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private List<Endpoint> endpoints(PhoenixConfig c) {
    List<Endpoint> list = new ArrayList<>();
    String path = c == null ? Endpoint.DEFAULT_WS_PATH : c.http().webSocketPath();
    List<String> targets = new ArrayList<>(servers);
    boolean tls = false;
    if (targets.isEmpty()) {
      String host = ws ? c.http().host() : c.tcp().host();
      targets.add(LocalAddress.inUrl(host) + ":" + (ws ? c.http().port() : c.tcp().port()));
      tls = ws ? c.tls().http() : c.tls().tcp();
    }
    String scheme = ws ? (tls ? "wss://" : "ws://") : (tls ? "tls://" : "tcp://");
    for (String s : targets) {
      if (s.contains("://")) {
        list.add(Endpoint.parse(s));
      } else {
        list.add(Endpoint.parse(scheme + s + (ws ? path : "")));
      }
    }
    return list;
  }

  /** The terminal's encoding, where Java tells it; else the platform default. */
  private static Charset consoleCharset() {
    String name = System.getProperty("sun.stdout.encoding");
    try {
      return name != null ? Charset.forName(name) : Charset.defaultCharset();
    } catch (IllegalArgumentException e) {
      return Charset.defaultCharset();
    }
  }
}

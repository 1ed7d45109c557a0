package io.phoenix.cli;

import io.phoenix.client.ClientBuilder;
import io.phoenix.client.ConnectionState;
import io.phoenix.client.Endpoint;
import io.phoenix.client.PhoenixClient;
import io.phoenix.config.ConfigException;
import io.phoenix.config.PhoenixConfig;
import io.phoenix.protocol.DeviceKey;
import io.phoenix.session.Authenticator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phoenix chat --as EID --to EID}: an interactive chat on {@link PhoenixClient}. Each
 * line typed is sent to the peer; incoming messages are printed with their offsets and
 * acknowledged (DELIVERED on receipt, READ once printed); see {@link ChatView} for the output.
 * Without {@code --server} it talks to the node of the configuration (by default the embedded
 * one on 127.0.0.1); without {@code --token} it signs tokens with the configuration's secret,
 * a fresh one for every connection. {@code tls://} and {@code wss://} servers are verified
 * against {@code --ca FILE} (else the JVM's trust store); with {@code --key FILE} every message
 * is signed with that device key, and the tokens it signs bind the key (PROTOCOL.md §10).
 *
 * <p>Runs on the calling thread, which reads the input until end of input or {@code /quit}.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "Chat with another eid from the terminal (type a line to send it).")
final class ChatCommand implements Callable<Integer> {
  private static final long SEND_DRAIN_SECONDS = 10;

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

  private final InputStream in;
  private final PrintStream out;
  private final Charset charset;

  ChatCommand() {
    this(System.in, System.out, consoleCharset());
  }

  ChatCommand(InputStream in, PrintStream out, Charset charset) {
    this.in = in;
    this.out = out;
    this.charset = charset;
  }

  @Override
  public Integer call() throws Exception {
    if (me.isEmpty() || peer.isEmpty()) {
      System.err.println("--as and --to must not be empty");
      return 2;
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
      return chat(vertx, endpoints, c, view, deviceKey);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private int chat(Vertx vertx, List<Endpoint> endpoints, PhoenixConfig c, ChatView view,
      DeviceKey deviceKey) throws IOException {
    PhoenixClient[] client = new PhoenixClient[1];
    boolean[] connected = new boolean[1];
    ClientBuilder builder = PhoenixClient.builder(vertx).endpoints(endpoints)
        .onStateChange(s -> {
          // a failure before the first Welcome is told once, by the "could not connect" line
          connected[0] |= s.state() == ConnectionState.CONNECTED;
          if (connected[0] || s.state() != ConnectionState.FAILED) {
            view.state(s);
          }
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
        System.err.println("--ca: " + e.getMessage());
        return 2;
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
      builder.resourceId(resource);
    }
    client[0] = builder.build();
    view.info("chatting with " + peer + " as " + me
        + " (type a line and press Enter to send; /quit or Ctrl-D to leave)");
    try {
      client[0].connect().await();
    } catch (Exception e) {
      view.info("could not connect: " + e.getMessage());
      return 1;
    }
    readLines(client[0], view);
    try {
      client[0].close().await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      view.info("close did not finish: " + e.getMessage());
    }
    return 0;
  }

  /** Sends each typed line; at the end, waits (a little) for the answers still due. */
  private void readLines(PhoenixClient client, ChatView view) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, charset));
    List<Future<?>> pending = new ArrayList<>();
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      String text = line.strip();
      if (text.equals("/quit")) {
        break;
      }
      if (!text.isEmpty()) {
        pending.removeIf(Future::isComplete);
        pending.add(client.send(peer, text)
            .onSuccess(ack -> view.sent(ack, text))
            .onFailure(e -> view.notSent(text, e)));
      }
    }
    try {
      Future.join(new ArrayList<>(pending)).await(SEND_DRAIN_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      view.info("some messages are still unanswered: " + e.getMessage());
    }
  }

  private List<Endpoint> endpoints(PhoenixConfig c) {
    List<Endpoint> list = new ArrayList<>();
    String path = c == null ? Endpoint.DEFAULT_WS_PATH : c.http().webSocketPath();
    List<String> targets = new ArrayList<>(servers);
    boolean tls = false;
    if (targets.isEmpty()) {
      String host = ws ? c.http().host() : c.tcp().host();
      targets.add(loopbackIfWildcard(host) + ":" + (ws ? c.http().port() : c.tcp().port()));
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

  private static String loopbackIfWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.isEmpty() ? "127.0.0.1"
        : host.contains(":") ? "[" + host + "]" : host;
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

package io.phoenix.client;

import io.phoenix.protocol.DeviceKey;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Builds a {@link PhoenixClient}. Endpoints and a token are required; everything else has a
 * default.
 *
 * <pre>{@code
 * PhoenixClient client = PhoenixClient.builder(vertx)
 *     .endpoints("tcp://127.0.0.1:4100", "ws://127.0.0.1:4000/socket")
 *     .token(() -> Future.succeededFuture(freshToken()))
 *     .onMessage(m -> System.out.println(m.getPayload().toStringUtf8()))
 *     .build();
 * }</pre>
 *
 * <p>Not thread-safe: build on one thread. {@link #build()} takes the calling thread's Vert.x
 * context (or creates an event-loop context) for the client.
 */
public final class ClientBuilder {
  private final Vertx vertx;
  private final List<Endpoint> endpoints = new ArrayList<>();
  private Supplier<Future<String>> tokens;
  private String resourceId = UUID.randomUUID().toString();
  private Backoff backoff = Backoff.DEFAULT;
  private Duration helloTimeout = Duration.ofSeconds(10);
  private int maxSendAttempts = 8;
  private int maxPendingSends = 10_000;
  private long maxPendingBytes = 16L << 20; // 16 MiB
  private Consumer<Message> onMessage = m -> { };
  private Consumer<MessagePeerAckSignal> onAck = a -> { };
  private Consumer<StateChange> onStateChange = s -> { };
  private TrustOptions trust;
  private DeviceKey signingKey;

  ClientBuilder(Vertx vertx) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
  }

  /**
   * Adds endpoints ({@code tcp://HOST:PORT}, {@code ws://HOST:PORT/PATH}, and over TLS
   * {@code tls://HOST:PORT}, {@code wss://HOST:PORT/PATH}), tried in turn.
   */
  public ClientBuilder endpoints(String... endpoints) {
    for (String e : endpoints) {
      this.endpoints.add(Endpoint.parse(e));
    }
    return this;
  }

  /** Adds endpoints, tried in turn. */
  public ClientBuilder endpoints(List<Endpoint> endpoints) {
    this.endpoints.addAll(endpoints);
    return this;
  }

  /** A fixed token, sent in every Hello. */
  public ClientBuilder token(String token) {
    Objects.requireNonNull(token, "token");
    return token(() -> Future.succeededFuture(token));
  }

  /**
   * Where tokens come from: asked once per connection attempt (on the client's context, so it
   * must not block), which lets a reconnect use a fresh token. A future that has not completed
   * within the hello timeout fails the attempt; the next attempt asks again.
   */
  public ClientBuilder token(Supplier<Future<String>> tokens) {
    this.tokens = Objects.requireNonNull(tokens, "tokens");
    return this;
  }

  /** The connection_resource_id used on every connection (default: a random UUID). */
  public ClientBuilder resourceId(String resourceId) {
    if (resourceId == null || resourceId.isEmpty()) {
      throw new IllegalArgumentException("resourceId must not be empty");
    }
    this.resourceId = resourceId;
    return this;
  }

  /** Delays between reconnects and send retries (default 100 ms doubling up to 5 s). */
  public ClientBuilder backoff(Backoff backoff) {
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    return this;
  }

  /**
   * How long to wait for a token from the supplier, and then for Welcome (counted from the
   * start of the connection: TCP connect, TLS handshake and WebSocket upgrade included), before
   * the attempt counts as failed (default 10 s).
   */
  public ClientBuilder helloTimeout(Duration timeout) {
    this.helloTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * When the node answers 429 or 503: attempts in a row, without one message to the same
   * recipient getting through, before the refused sends to it fail (default 8).
   */
  public ClientBuilder maxSendAttempts(int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("maxSendAttempts must be at least 1");
    }
    this.maxSendAttempts = attempts;
    return this;
  }

  /** Sends that may wait for an answer at once; more fail at once (default 10,000). */
  public ClientBuilder maxPendingSends(int sends) {
    if (sends < 1) {
      throw new IllegalArgumentException("maxPendingSends must be at least 1");
    }
    this.maxPendingSends = sends;
    return this;
  }

  /**
   * Bytes of messages (their serialized size) that may wait for an answer at once; a send that
   * would pass it fails at once (default 16 MiB: 256 messages of 64 KiB, or the 10,000 sends of
   * {@link #maxPendingSends} at 1.6 KiB each). A message larger than this bound always fails.
   */
  public ClientBuilder maxPendingBytes(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("maxPendingBytes must be at least 1");
    }
    this.maxPendingBytes = bytes;
    return this;
  }

  /** Receives every incoming message once, in offset order per stream. */
  public ClientBuilder onMessage(Consumer<Message> listener) {
    this.onMessage = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** Receives the DELIVERED and READ signals the node forwards (delivery ticks). */
  public ClientBuilder onAck(Consumer<MessagePeerAckSignal> listener) {
    this.onAck = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** Receives every change of the connection state. */
  public ClientBuilder onStateChange(Consumer<StateChange> listener) {
    this.onStateChange = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * TLS endpoints must present a certificate chaining to one of the CA certificates in this PEM
   * file (instead of the JVM's trust store). The host name is verified either way.
   *
   * @throws IllegalArgumentException when the file cannot be read or holds no certificate
   */
  public ClientBuilder trustedCa(Path pemFile) {
    String text;
    try {
      text = Files.readString(pemFile, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("CA file " + pemFile + " cannot be read: "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
    }
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException("CA file " + pemFile
          + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return trust(new PemTrustOptions().addCertPath(pemFile.toString()));
  }

  /**
   * What TLS endpoints' certificates must chain to (default: the JVM's trust store). Host names
   * are verified whatever the trust; there is no way to trust every certificate.
   */
  public ClientBuilder trust(TrustOptions trust) {
    this.trust = Objects.requireNonNull(trust, "trust").copy();
    return this;
  }

  /**
   * Signs every message sent with this device key (PROTOCOL.md §10): Ed25519 or P-256, from a
   * PKCS#8 PEM file. The token must bind the matching public key in its {@code cnf} claim.
   *
   * @throws IllegalArgumentException when the file holds no such key (one line, naming it)
   */
  public ClientBuilder signingKey(Path pkcs8PemFile) {
    this.signingKey = DeviceKey.read(pkcs8PemFile);
    return this;
  }

  /** Signs every message sent with this Ed25519 or P-256 private key (PROTOCOL.md §10). */
  public ClientBuilder signingKey(PrivateKey key) {
    this.signingKey = DeviceKey.of(Objects.requireNonNull(key, "key"));
    return this;
  }

  /** @throws IllegalStateException without endpoints or token */
  public PhoenixClient build() {
    if (endpoints.isEmpty()) {
      throw new IllegalStateException("a client needs at least one endpoint");
    }
    if (tokens == null) {
      throw new IllegalStateException("a client needs a token");
    }
    return new PhoenixClient(new ClientSettings(vertx, endpoints, tokens, resourceId, backoff,
        Math.max(1, helloTimeout.toMillis()), maxSendAttempts, maxPendingSends, maxPendingBytes,
        onMessage, onAck, onStateChange, trust, signingKey));
  }
}

package io.phoenix.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.protocol.v1.Hello;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.phoenix.protocol.v1.Welcome;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The one test client of the end-to-end tests: a real TCP or WebSocket connection to a node,
 * speaking the protocol frame by frame. Received frames are queued; the test thread takes them
 * with timeouts (never sleeps). Raw bytes can be sent to test bad input.
 *
 * <p>Blocking methods are for the test thread, never an event loop.
 */
public final class TestClient implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final Transport transport;
  private final BlockingQueue<Frame> inbox = new LinkedBlockingQueue<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final List<Throwable> decodeErrors = new ArrayList<>();
  private NetClient netClient;
  private WebSocketClient wsClient;
  private NetSocket socket;
  private WebSocket ws;
  private Welcome welcome;

  private TestClient(Transport transport) {
    this.transport = transport;
  }

  /** Opens a connection (no Hello yet). */
  public static TestClient connect(Vertx vertx, Transport transport, TestNode node) {
    return connect(vertx, transport, "127.0.0.1", node.tcpPort(), node.httpPort(), "/socket");
  }

  public static TestClient connect(Vertx vertx, Transport transport, String host, int tcpPort,
      int httpPort, String path) {
    return connect(vertx, transport, host, tcpPort, httpPort, path, null);
  }

  /**
   * Opens a connection over TLS (TLS on TCP, WSS) when {@code tls} is not null: the server's
   * certificate must be trusted by {@code tls}; host names are not checked.
   */
  public static TestClient connect(Vertx vertx, Transport transport, String host, int tcpPort,
      int httpPort, String path, TrustOptions tls) {
    TestClient c = new TestClient(transport);
    try {
      if (transport == Transport.TCP) {
        c.netClient = vertx.createNetClient(tls == null ? new NetClientOptions()
            : new NetClientOptions().setSsl(true).setTrustOptions(tls)
                .setHostnameVerificationAlgorithm(""));
        c.socket = c.netClient.connect(tcpPort, host).await(10, TimeUnit.SECONDS);
        VarintFrameDecoder decoder = new VarintFrameDecoder(Integer.MAX_VALUE, c::received);
        c.socket.handler(decoder::feed);
        c.socket.closeHandler(v -> c.closed.countDown());
      } else {
        c.openWebSocket(vertx, tls == null ? new WebSocketClientOptions()
            : new WebSocketClientOptions().setSsl(true).setTrustOptions(tls).setVerifyHost(false),
            host, httpPort, path);
      }
    } catch (Exception e) {
      throw new AssertionError("could not connect over " + transport, e);
    }
    return c;
  }

  /** Opens a WebSocket connection with {@code options} (compression, say); no Hello yet. */
  public static TestClient connectWebSocket(Vertx vertx, TestNode node,
      WebSocketClientOptions options) {
    TestClient c = new TestClient(Transport.WS);
    try {
      c.openWebSocket(vertx, options, "127.0.0.1", node.httpPort(), "/socket");
    } catch (Exception e) {
      throw new AssertionError("could not connect over WS", e);
    }
    return c;
  }

  private void openWebSocket(Vertx vertx, WebSocketClientOptions options, String host, int port,
      String path) throws Exception {
    wsClient = vertx.createWebSocketClient(options);
    ws = wsClient.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(path))
        .await(10, TimeUnit.SECONDS);
    ws.binaryMessageHandler(this::received);
    ws.closeHandler(v -> closed.countDown());
  }

  /** Authenticates a connection opened by {@link #connectWebSocket}; asserts the Welcome. */
  public TestClient login(TestNode node, String eid, String resource) {
    return login(this, node.token(eid), resource);
  }

  /** The WebSocket handshake's response headers (null over TCP). */
  public io.vertx.core.MultiMap handshakeHeaders() {
    return ws == null ? null : ws.headers();
  }

  /** Connects and authenticates; asserts the Welcome. */
  public static TestClient login(Vertx vertx, Transport transport, TestNode node, String eid,
      String resource) {
    return login(connect(vertx, transport, node), node.token(eid), resource);
  }

  /** Connects to a node process and authenticates with a token signed by {@link TestNode#SECRET}. */
  public static TestClient login(Vertx vertx, Transport transport, NodeProcess node, String eid,
      String resource) {
    TestClient c = connect(vertx, transport, "127.0.0.1", node.tcpPort(), node.httpPort(),
        "/socket");
    String token = Jwt.hs256(TestNode.SECRET, new io.vertx.core.json.JsonObject().put("sub", eid)
        .put("iss", "phoenix").put("exp", Jwt.nowSeconds() + 3600));
    return login(c, token, resource);
  }

  private static TestClient login(TestClient c, String token, String resource) {
    c.hello(token, resource);
    Frame f = c.next();
    assertEquals(Frame.BodyCase.WELCOME, f.getBodyCase(), () -> "expected Welcome, got " + f);
    c.welcome = f.getWelcome();
    return c;
  }

  private void received(Buffer body) {
    try {
      inbox.add(Frame.parseFrom(body.getBytes()));
    } catch (InvalidProtocolBufferException e) {
      decodeErrors.add(e);
    }
  }

  /**
   * Stops reading from the socket: the node's writes to this client pile up in the socket
   * buffers and then in the node, as for a client that stopped reading.
   */
  public void pauseReading() {
    if (socket != null) {
      socket.pause();
    } else {
      ws.pause();
    }
  }

  public void resumeReading() {
    if (socket != null) {
      socket.resume();
    } else {
      ws.resume();
    }
  }

  public Welcome welcome() {
    return welcome;
  }

  public Identity identity() {
    return welcome.getIdentity();
  }

  public Transport transport() {
    return transport;
  }

  public void hello(String token, String resource) {
    Hello.Builder h = Hello.newBuilder().setToken(token);
    if (resource != null) {
      h.setConnectionResourceId(resource);
    }
    send(Frame.newBuilder().setHello(h).build());
  }

  /** Sends one frame, framed as the transport requires. */
  public void send(Frame frame) {
    byte[] body = frame.toByteArray();
    if (transport == Transport.TCP) {
      sendRaw(delimited(body));
    } else {
      sendRaw(body);
    }
  }

  public void send(Message m) {
    send(Frame.newBuilder().setMessage(m).build());
  }

  public void send(MessagePeerAckSignal a) {
    send(Frame.newBuilder().setAck(a).build());
  }

  /** Raw bytes: on TCP as they are, on WebSocket as one binary message. */
  public void sendRaw(byte[] bytes) {
    if (transport == Transport.TCP) {
      socket.write(Buffer.buffer(bytes));
    } else {
      ws.writeBinaryMessage(Buffer.buffer(bytes));
    }
  }

  /** WebSocket only: a text message. */
  public void sendText(String text) {
    ws.writeTextMessage(text);
  }

  public static byte[] delimited(byte[] body) {
    int prefix = CodedOutputStream.computeUInt32SizeNoTag(body.length);
    byte[] out = new byte[prefix + body.length];
    try {
      CodedOutputStream cos = CodedOutputStream.newInstance(out);
      cos.writeUInt32NoTag(body.length);
      cos.writeRawBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** The next frame, or a failed assertion after {@link #TIMEOUT}. */
  public Frame next() {
    return next(TIMEOUT);
  }

  public Frame next(Duration timeout) {
    try {
      Frame f = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (f == null) {
        fail(transport + " client " + who() + ": no frame within " + timeout);
      }
      return f;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next frame within {@code timeout}, or null (no failure). */
  public Frame poll(Duration timeout) {
    try {
      return inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Skips frames until one matches (skipped frames are dropped). */
  public Frame nextMatching(Predicate<Frame> p) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail(who() + ": no matching frame within " + TIMEOUT);
      }
      Frame f = next(Duration.ofNanos(left));
      if (p.test(f)) {
        return f;
      }
    }
  }

  public Message nextMessage() {
    Frame f = next();
    assertEquals(Frame.BodyCase.MESSAGE, f.getBodyCase(), () -> who() + " expected Message, got " + f);
    return f.getMessage();
  }

  public MessagePeerAckSignal nextAck() {
    Frame f = next();
    assertEquals(Frame.BodyCase.ACK, f.getBodyCase(), () -> who() + " expected ack, got " + f);
    return f.getAck();
  }

  /** Waits for Goodbye and for the server to close the connection; returns the Goodbye. */
  public Goodbye expectGoodbye() {
    Frame f = next();
    assertEquals(Frame.BodyCase.GOODBYE, f.getBodyCase(), () -> who() + " expected Goodbye, got " + f);
    awaitClosed();
    return f.getGoodbye();
  }

  public void awaitClosed() {
    try {
      assertTrue(closed.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
          who() + ": server did not close the connection");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public boolean isClosed() {
    return closed.getCount() == 0;
  }

  /** Frames received and not yet taken. */
  public List<Frame> drain() {
    List<Frame> out = new ArrayList<>();
    inbox.drainTo(out);
    return out;
  }

  /**
   * A round trip through the server (Ping → Pong with a fresh timestamp): everything the
   * server wrote to this connection before answering has arrived once this returns, and the
   * frames before the Pong are returned.
   */
  public List<Frame> barrier() {
    long stamp = System.nanoTime();
    send(Frame.newBuilder().setPing(io.phoenix.protocol.v1.Ping.newBuilder().setTimestamp(stamp))
        .build());
    List<Frame> before = new ArrayList<>();
    while (true) {
      Frame f = next();
      if (f.getBodyCase() == Frame.BodyCase.PONG && f.getPong().getTimestamp() == stamp) {
        return before;
      }
      before.add(f);
    }
  }

  // ------------------------------------------------------------- message builders

  public static Message.Builder message(String id, String to) {
    return Message.newBuilder().setMessageId(id)
        .setTo(Identity.newBuilder().setEid(to))
        .setTimestamp(System.currentTimeMillis())
        .setType(1)
        .setTransmissionMode(2)
        .setPayload(com.google.protobuf.ByteString.copyFromUtf8("hello " + id));
  }

  public static MessagePeerAckSignal.Builder ack(AckMethod method, String id, String from,
      String to, long offset) {
    return MessagePeerAckSignal.newBuilder().setMethod(method.getNumber()).setMessageId(id)
        .setPeer(Peer.newBuilder().setFrom(from).setTo(to).setOffset(offset));
  }

  /** Sends SYNC and returns the listed streams (status 200), checking the 204 terminator. */
  public List<MessagePeerAckSignal> sync(String id) {
    send(MessagePeerAckSignal.newBuilder().setMethod(AckMethod.SYNC_VALUE).setMessageId(id)
        .build());
    List<MessagePeerAckSignal> entries = new ArrayList<>();
    while (true) {
      MessagePeerAckSignal s = nextAck();
      assertEquals(AckMethod.SYNC_VALUE, s.getMethod(), s::toString);
      assertEquals(id, s.getMessageId());
      if (s.getStatusCode() == 204) {
        assertTrue(!s.hasPeer(), "the SYNC terminator carries no peer");
        return entries;
      }
      assertEquals(200, s.getStatusCode(), s::toString);
      entries.add(s);
    }
  }

  /** Sends a message and returns the ACCEPTED answer (skipping nothing: it must come next). */
  public MessagePeerAckSignal sendAndAwaitAccepted(Message m) {
    send(m);
    Frame f = nextMatching(fr -> fr.getBodyCase() == Frame.BodyCase.ACK
        && fr.getAck().getMethod() == AckMethod.ACCEPTED_VALUE
        && fr.getAck().getMessageId().equals(m.getMessageId()));
    return f.getAck();
  }

  private String who() {
    return welcome == null ? "(no session)" : identity().getEid() + "/"
        + identity().getConnectionResourceId();
  }

  @Override
  public void close() {
    if (socket != null) {
      socket.close();
    }
    if (ws != null && !ws.isClosed()) {
      ws.close();
    }
    if (netClient != null) {
      netClient.close();
    }
    if (wsClient != null) {
      wsClient.close();
    }
  }
}

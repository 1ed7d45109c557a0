package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.VarintFrameDecoder;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Welcome;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's side of the session life cycle against a scripted node on a real socket: a
 * node that stops answering Pings is left and the client reconnects; Goodbye 503 is followed
 * by a reconnect with the same connection_resource_id and a fresh token; Goodbye 409 stops.
 */
class HeartbeatTest {
  Vertx vertx;
  NetServer server;
  final BlockingQueue<Frame> hellos = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  /** A node on a free port: answers each Hello with Welcome, then lets {@code script} act. */
  private int scriptedNode(BiConsumer<NetSocket, Integer> script) {
    int[] connections = {0};
    server = vertx.createNetServer().connectHandler(socket -> {
      int n = ++connections[0];
      VarintFrameDecoder decoder = new VarintFrameDecoder(65_536, body -> {
        Frame f = FrameCodec.decode(body);
        if (f.hasHello()) {
          hellos.add(f);
          socket.write(FrameCodec.encode(Frame.newBuilder().setWelcome(Welcome.newBuilder()
              .setIdentity(Identity.newBuilder().setEid("eve").setNode("fake")
                  .setConnectionResourceId(f.getHello().getConnectionResourceId()))
              .setHeartbeatSeconds(1).setMaxFrameBytes(65_536)).build()).delimited());
          script.accept(socket, n);
        }
        // Pings are never answered.
      });
      socket.handler(decoder::feed);
    });
    return server.listen(0, "127.0.0.1").await().actualPort();
  }

  private PhoenixClient client(int port, Recorder r) {
    int[] issued = {0};
    return PhoenixClient.builder(vertx).endpoints("tcp://127.0.0.1:" + port)
        .token(() -> io.vertx.core.Future.succeededFuture("token-" + ++issued[0]))
        .backoff(new Backoff(Duration.ofMillis(10), Duration.ofMillis(50)))
        .onStateChange(r.states::add)
        .build();
  }

  @Test
  void aNodeThatStopsAnsweringPingsIsLeftAndTheClientReconnects() {
    int port = scriptedNode((socket, n) -> { });
    Recorder r = new Recorder();
    PhoenixClient c = client(port, r);
    await(c.connect());
    StateChange lost = r.nextState(ConnectionState.RECONNECTING);
    assertEquals("missed Pong", lost.reason());
    r.nextState(ConnectionState.CONNECTED);
    Frame first = Recorder.take(hellos, "hello");
    Frame second = Recorder.take(hellos, "hello");
    assertEquals("token-1", first.getHello().getToken());
    assertEquals("token-2", second.getHello().getToken(), "a fresh token for each connection");
    assertEquals(first.getHello().getConnectionResourceId(),
        second.getHello().getConnectionResourceId(), "the same resource across reconnects");
    await(c.close());
  }

  @Test
  void goodbye503ReconnectsAndGoodbye409Stops() {
    int port = scriptedNode((socket, n) -> {
      int status = n == 1 ? 503 : 409;
      socket.write(FrameCodec.encode(Frame.newBuilder().setGoodbye(Goodbye.newBuilder()
          .setStatusCode(status).setReason("scripted")).build()).delimited());
      socket.close();
    });
    Recorder r = new Recorder();
    PhoenixClient c = client(port, r);
    await(c.connect());
    StateChange lost = r.nextState(s -> s.state() == ConnectionState.RECONNECTING);
    assertTrue(lost.reason().contains("503"), lost.reason());
    StateChange failed = r.nextState(s -> s.state() == ConnectionState.FAILED
        || s.state() == ConnectionState.RECONNECTING);
    assertEquals(ConnectionState.FAILED, failed.state());
    assertTrue(failed.reason().contains("409"), failed.reason());
    await(c.close());
  }
}

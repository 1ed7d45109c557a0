package io.phoenix.client;

import static io.phoenix.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.Nodes;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Listeners (and the token supplier) that throw an Error, not only a RuntimeException: it is
 * logged, and the client goes on connecting, sending and delivering.
 */
class ClientListenerErrorTest {
  @RegisterExtension
  static final Nodes nodes = new Nodes();
  static TestNode node;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    node = nodes.start();
    vertx = nodes.vertx();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void errorsThrownByListenersAreLoggedAndTheClientGoesOn(Transport t) {
    String a = "alice-error-" + t;
    String b = "bob-error-" + t;
    NodeRecorder alice = new NodeRecorder();
    NodeRecorder bob = new NodeRecorder();
    PhoenixClient ac = alice.builder(vertx, t, a, node)
        .onStateChange(change -> {
          alice.states.add(change);
          throw new AssertionError("a state listener's bug");
        })
        .onAck(tick -> {
          alice.acks.add(tick);
          throw new StackOverflowError("an ack listener's bug");
        })
        .build();
    PhoenixClient bc = bob.builder(vertx, t, b, node)
        .onMessage(m -> {
          bob.messages.add(m);
          throw new AssertionError("a message listener's bug");
        })
        .build();
    Future<MessagePeerAckSignal> early = ac.send(b, "early");
    await(ac.connect());
    assertEquals(1, await(early).getPeer().getOffset(), "waiting sends went out at Welcome");
    await(bc.connect());
    bob.nextMessage("early", 1); // recovered by SYNC and PULL_REQUEST
    for (int i = 2; i <= 5; i++) {
      assertEquals(i, await(ac.send(b, "m" + i)).getPeer().getOffset());
    }
    Message last = null;
    for (int i = 2; i <= 5; i++) {
      last = bob.nextMessage("m" + i, i);
    }
    bc.read(last);
    MessagePeerAckSignal tick = alice.nextAck();
    assertEquals(AckMethod.READ_VALUE, tick.getMethod());
    assertEquals(6, await(ac.send(b, "after")).getPeer().getOffset());
    bob.nextMessage("after", 6);
    await(Future.join(ac.close(), bc.close()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aTokenSupplierThatThrowsAnErrorIsAskedAgainAtTheNextAttempt(Transport t) {
    String a = "alice-token-error-" + t;
    NodeRecorder alice = new NodeRecorder();
    AtomicInteger asked = new AtomicInteger();
    PhoenixClient ac = alice.builder(vertx, t, a, node)
        .token(() -> {
          if (asked.incrementAndGet() == 1) {
            throw new AssertionError("a token supplier's bug");
          }
          return Future.succeededFuture(node.token(a));
        })
        .build();
    assertEquals(a, await(ac.connect()).getEid());
    StateChange lost = alice.nextState(ConnectionState.RECONNECTING);
    assertEquals("no token: a token supplier's bug", lost.reason());
    assertEquals(2, asked.get());
    await(ac.close());
  }
}

package io.phoenix.client;

import io.phoenix.testing.TestNode;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;

/** A {@link Recorder} that builds its clients against test nodes. */
class NodeRecorder extends Recorder {

  /** A builder for {@code eid} on {@code nodes} (tried in turn), its listeners wired to this. */
  ClientBuilder builder(Vertx vertx, Transport t, String eid, TestNode... nodes) {
    String[] endpoints = new String[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      endpoints[i] = endpoint(t, nodes[i]);
    }
    return builder(vertx, nodes[0].token(eid), endpoints);
  }

  /** A connected client. */
  PhoenixClient connect(Vertx vertx, Transport t, String eid, TestNode... nodes) {
    PhoenixClient c = builder(vertx, t, eid, nodes).build();
    await(c.connect());
    return c;
  }

  static String endpoint(Transport t, TestNode n) {
    return t == Transport.TCP ? "tcp://127.0.0.1:" + n.tcpPort()
        : "ws://127.0.0.1:" + n.httpPort() + "/socket";
  }
}

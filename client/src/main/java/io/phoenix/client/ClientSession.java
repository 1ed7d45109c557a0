package io.phoenix.client;

import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Hello;
import io.phoenix.protocol.v1.Ping;
import io.phoenix.protocol.v1.Pong;
import io.phoenix.protocol.v1.Welcome;
import io.vertx.core.Vertx;

/**
 * One attempt at a session with one endpoint: opens the link, says Hello, waits for Welcome
 * (at most the hello timeout, counted from the start of the opening), then keeps a heartbeat
 * (a Ping every {@code heartbeat_seconds / 2}; a Ping still unanswered when the next is due
 * ends the session). Messages and ack signals are passed on; Goodbye, a close, a missed Pong
 * or {@link #end} end the session exactly once.
 *
 * <p>Used on the client's context only.
 */
final class ClientSession implements Link.Handler {
  /** What a session reports to its client. Called on the client's context. */
  interface Events {
    void welcomed(ClientSession session, Welcome welcome);

    /** A Message or ack signal frame. */
    void received(ClientSession session, Frame frame);

    /** The session is over; {@code status} is the Goodbye's status, or 0 without one. */
    void ended(ClientSession session, int status, String reason);
  }

  private static final int DEFAULT_HEARTBEAT_SECONDS = 30;
  /** The protocol's max_frame_bytes when a Welcome names none. */
  static final int DEFAULT_MAX_FRAME_BYTES = 65_536;
  /** {@link Events#ended} status of a TLS endpoint whose certificate was refused. */
  static final int UNTRUSTED = -1;

  private final Vertx vertx;
  private final Endpoint endpoint;
  private final Events events;
  private Link link;
  private boolean ended;
  private boolean welcomed;
  private boolean pingOutstanding;
  private int maxFrameBytes;
  private long helloTimer = -1;
  private long heartbeatTimer = -1;

  ClientSession(Vertx vertx, Endpoint endpoint, Events events) {
    this.vertx = vertx;
    this.endpoint = endpoint;
    this.events = events;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  /**
   * Opens the link and sends Hello; a failure to connect ends the session, and so does a
   * Welcome that has not come within {@code helloTimeoutMs} of the start, however far the
   * opening got (a host that takes the connection and never answers a WebSocket upgrade, or a
   * TLS handshake, must not hold the client).
   */
  void start(Connector connector, String token, String resourceId, long helloTimeoutMs) {
    helloTimer = vertx.setTimer(helloTimeoutMs, id -> end(0, "no Welcome within "
        + helloTimeoutMs + " ms"));
    connector.open(endpoint, this, helloTimeoutMs).onComplete(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof UntrustedServerException e) {
          end(UNTRUSTED, e.getMessage());
        } else {
          end(0, "cannot connect: " + ar.cause().getMessage());
        }
        return;
      }
      link = ar.result();
      if (ended) {
        link.close();
        return;
      }
      link.write(Frame.newBuilder().setHello(Hello.newBuilder().setToken(token)
          .setConnectionResourceId(resourceId)).build());
    });
  }

  /**
   * The largest frame the node takes (Welcome's max_frame_bytes), or 0 before Welcome. A larger
   * frame would make the node end the session (Goodbye 413).
   */
  int maxFrameBytes() {
    return welcomed ? maxFrameBytes : 0;
  }

  /** Writes a frame; false when the session is not (or no longer) welcomed. */
  boolean write(Frame frame) {
    if (!welcomed || ended) {
      return false;
    }
    link.write(frame);
    return true;
  }

  /** Closes the connection at once (for tests: a connection lost without warning). */
  void drop() {
    if (link != null) {
      link.close();
    }
  }

  /** Ends the session (once): stops the timers, closes the link, reports. */
  void end(int status, String reason) {
    if (ended) {
      return;
    }
    ended = true;
    vertx.cancelTimer(helloTimer);
    vertx.cancelTimer(heartbeatTimer);
    if (link != null) {
      link.close();
    }
    events.ended(this, status, reason);
  }

  @Override
  public void frame(Frame frame) {
    if (ended) {
      return;
    }
    switch (frame.getBodyCase()) {
      case WELCOME -> welcome(frame.getWelcome());
      case PING -> link.write(Frame.newBuilder()
          .setPong(Pong.newBuilder().setTimestamp(frame.getPing().getTimestamp())).build());
      case PONG -> pingOutstanding = false;
      case GOODBYE -> end(frame.getGoodbye().getStatusCode(),
          "Goodbye " + frame.getGoodbye().getStatusCode() + " " + frame.getGoodbye().getReason());
      case MESSAGE, ACK -> {
        if (welcomed) {
          events.received(this, frame);
        }
      }
      default -> end(0, "unexpected " + frame.getBodyCase() + " frame from the node");
    }
  }

  @Override
  public void closed(String reason) {
    end(0, reason);
  }

  private void welcome(Welcome welcome) {
    if (welcomed) {
      end(0, "a second Welcome from the node");
      return;
    }
    welcomed = true;
    vertx.cancelTimer(helloTimer);
    maxFrameBytes = welcome.getMaxFrameBytes() > 0 ? welcome.getMaxFrameBytes()
        : DEFAULT_MAX_FRAME_BYTES;
    int seconds = welcome.getHeartbeatSeconds() > 0 ? welcome.getHeartbeatSeconds()
        : DEFAULT_HEARTBEAT_SECONDS;
    heartbeatTimer = vertx.setPeriodic(Math.max(250, seconds * 500L), id -> heartbeat());
    events.welcomed(this, welcome);
  }

  private void heartbeat() {
    if (pingOutstanding) {
      end(0, "missed Pong");
      return;
    }
    pingOutstanding = true;
    link.write(Frame.newBuilder()
        .setPing(Ping.newBuilder().setTimestamp(System.currentTimeMillis())).build());
  }
}

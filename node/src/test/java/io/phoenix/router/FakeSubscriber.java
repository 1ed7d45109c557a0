package io.phoenix.router;

import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.v1.Identity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A session for tests of the router's tables and fanout: notes what reaches it. */
class FakeSubscriber implements Subscriber {
  final Identity identity;
  final String sessionId;
  /** What reached it, in order: "eid offset" per push, "eid closed status" once closed. */
  final List<String> log;
  int pushed;
  String closed;

  /** A device on node n1 with a log of its own. */
  FakeSubscriber(String eid, String resource, String sessionId) {
    this(eid, resource, "n1", sessionId, Collections.synchronizedList(new ArrayList<>()));
  }

  /** A device on {@code node} writing to {@code log} (which several may share). */
  FakeSubscriber(String eid, String resource, String node, String sessionId, List<String> log) {
    identity = Identity.newBuilder().setEid(eid).setConnectionResourceId(resource)
        .setNode(node).build();
    this.sessionId = sessionId;
    this.log = log;
  }

  @Override
  public Identity identity() {
    return identity;
  }

  @Override
  public String sessionId() {
    return sessionId;
  }

  @Override
  public void push(EncodedFrame frame, PushKind kind, StreamId stream, long offset,
      long delivered) {
    pushed++;
    log.add(identity.getEid() + " " + offset);
  }

  @Override
  public void send(EncodedFrame frame) {}

  @Override
  public Reply reserve() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close(int status, String reason) {
    closed = status + " " + reason;
    log.add(identity.getEid() + " closed " + status);
  }
}

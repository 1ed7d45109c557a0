package io.phoenix.session;

import io.phoenix.cluster.Directory;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.protocol.EncodedFrame;
import io.phoenix.protocol.FrameCodec;
import io.phoenix.protocol.MessageRules;
import io.phoenix.protocol.ProtocolException;
import io.phoenix.protocol.Status;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Goodbye;
import io.phoenix.protocol.v1.Hello;
import io.phoenix.protocol.v1.Identity;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.protocol.v1.Peer;
import io.phoenix.protocol.v1.Pong;
import io.phoenix.protocol.v1.Welcome;
import io.phoenix.router.LocalHub;
import io.phoenix.router.Reply;
import io.phoenix.router.StreamId;
import io.phoenix.router.Subscriber;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client session over one {@link Connection}: the life cycle of PROTOCOL.md §3 (Hello,
 * Welcome, heartbeat, replacement, Goodbye), the checks of §5 that belong to a session (rules
 * and rate limit), and the outbound side: the order of what its requests cause
 * ({@link ReplyOrder}), the per-stream order of what it is pushed ({@link PushOrder}), write
 * accounting and slow consumers. Routing decisions are the {@link io.phoenix.router.Router}'s.
 *
 * <p>Confined to its connection's context; the {@link Subscriber} methods may be called from
 * any thread and hop onto that context.
 */
public final class Session implements Subscriber {
  private static final Logger log = LoggerFactory.getLogger(Session.class);
  private static final int MAX_QUEUED_FRAMES = 256;
  /**
   * Requests whose effects may wait for earlier ones at once; beyond it the session stops
   * reading from its client until half of them have left (backpressure, bounded memory).
   */
  static final int MAX_WAITING_REPLIES = 1024;

  enum State { AWAITING_HELLO, AUTHENTICATING, ACTIVE, CLOSED }

  private record EarlyPush(EncodedFrame frame, PushKind kind, StreamId stream, long offset,
      long delivered) {}

  private final Connection connection;
  private final SessionServices services;
  private final Context context;
  private final String sessionId;
  private final long openedAtNanos;
  /** Frames that arrived between Hello and Welcome (allocated only when that happens). */
  private ArrayDeque<Frame> queued;
  /** Pushes that arrived between registration and Welcome (allocated only when that happens). */
  private ArrayDeque<EarlyPush> early;
  private final ReplyOrder replies;
  private final PushOrder pushes;
  private boolean pausedForBacklog;
  /** Reading held back while too many frames wait for their signature check. */
  private boolean pausedForSignatures;
  /** Reading held back to keep the client's ack signals within {@code limits.signalsPerSecond}. */
  private boolean pausedForSignals;
  /** The timer that ends {@link #pausedForSignals}, or -1. */
  private long signalsTimer = -1;
  /**
   * Whether the node holds reading back for its own reasons (backlog, signatures, a protocol
   * error's Goodbye waiting, signals to pace), and since when: the client cannot be heard
   * meanwhile.
   */
  private boolean held;
  private long heldSinceNanos;
  /** When reading last went on after such a hold: the client's silence counts from there. */
  private long releasedAtNanos;
  private State state = State.AWAITING_HELLO;
  private Identity identity;
  private RateLimiter rateLimiter;
  /** Made at the first ack signal: an idle session holds none. */
  private RateLimiter signalLimiter;
  private long lastInboundNanos;
  /** When the session's token expires (epoch ms, the clock skew included); MAX_VALUE: never. */
  private long validUntilMillis = Long.MAX_VALUE;
  private long pendingBytes;
  /** Counted for each frame waiting to be written besides its own bytes. */
  static final int FRAME_OVERHEAD_BYTES = 128;
  private String closeReason = "connection closed by peer";
  /** Set when the token binds a device key (PROTOCOL.md §10): every frame passes through it. */
  private SignatureCheck signatures;
  /** The end of a list being written as the connection drains ({@link #sendAll}), or null. */
  private Runnable pacedDone;
  /**
   * The Goodbye of a client's protocol error, waiting for what its earlier requests cause
   * ({@link #refuse}); nothing more is read or handled meanwhile. Null when there is none.
   */
  private Runnable refusal;
  /** Marks a refusal's place among frames waiting for their signature check. */
  private static final Frame REFUSAL = Frame.getDefaultInstance();
  /** The refusal has its place in the reply order: frames handled after it are dropped. */
  private boolean refused;

  public Session(Connection connection, SessionServices services, Context context) {
    this.connection = connection;
    this.services = services;
    this.sessionId = Directory.newSessionId(services.run(), services.clusterTime().getAsLong());
    this.context = context;
    this.openedAtNanos = System.nanoTime();
    this.lastInboundNanos = openedAtNanos;
    this.releasedAtNanos = openedAtNanos;
    this.replies = new ReplyOrder(context, this::backlogChanged);
    this.pushes = new PushOrder(context.owner(), new PushOrder.Out() {
      @Override
      public void write(EncodedFrame frame) {
        Session.this.write(frame);
      }

      @Override
      public void hint(StreamId stream, long head, long delivered) {
        services.metrics().gapHint();
        Session.this.write(syncHint(stream, head, delivered));
      }
    });
  }

  // ---------------------------------------------------------------- inbound (transport calls)

  /** A decoded frame from the client. */
  public void onFrame(Frame frame) {
    lastInboundNanos = System.nanoTime();
    services.metrics().frameIn(connection.transport());
    switch (state) {
      case AWAITING_HELLO -> {
        if (frame.getBodyCase() != Frame.BodyCase.HELLO) {
          close(Status.UNAUTHORIZED, "the first frame must be Hello");
        } else {
          hello(frame.getHello());
        }
      }
      case AUTHENTICATING -> {
        if (queued == null) {
          queued = new ArrayDeque<>(4);
        }
        if (queued.size() >= MAX_QUEUED_FRAMES) {
          close(Status.RATE_LIMITED, "too many frames before Welcome");
        } else {
          queued.add(frame);
        }
      }
      case ACTIVE -> {
        if (refusal == null) {
          inbound(frame);
        }
      }
      case CLOSED -> { }
    }
  }

  /** The transport could not read a frame (malformed, oversized). */
  public void onProtocolError(ProtocolException e) {
    if (state != State.ACTIVE) {
      close(e.status(), e.getMessage());
    } else if (refusal == null) {
      refuse(e.status(), e.getMessage());
      inbound(REFUSAL); // after the frames read before it
    }
  }

  /**
   * True while the Goodbye of a protocol error waits for the answers to the client's earlier
   * requests: the session closes the connection itself once it is sent.
   */
  public boolean closesLater() {
    return state == State.ACTIVE && refusal != null;
  }

  /**
   * An active session's client broke the protocol: {@code Goodbye{status, reason}} and the
   * close leave after everything its earlier requests cause (docs/protocol.md item 20), so
   * that, say, the ACCEPTED of a message read before a malformed frame is not lost. Nothing
   * more is read from the connection or handled meanwhile.
   */
  private void refuse(int status, String reason) {
    refusal = () -> close(status, reason);
    readingChanged();
  }

  /**
   * Pauses or resumes reading as the node's own reasons say: too many replies waiting, too
   * many frames waiting for their signature check, a protocol error's Goodbye waiting, ack
   * signals coming faster than the session may send them.
   */
  private void readingChanged() {
    boolean hold = holdsAgainstSilence() || pausedForSignals;
    if (hold && !held) {
      held = true;
      heldSinceNanos = System.nanoTime();
      connection.pause();
    } else if (!hold && held) {
      held = false;
      releasedAtNanos = System.nanoTime();
      if (state == State.ACTIVE) {
        connection.resume();
      }
    }
  }

  /** The connection is gone: leave the hub and the directory. */
  public void onClosed() {
    if (state == State.CLOSED) {
      return;
    }
    State was = state;
    state = State.CLOSED;
    pushes.close();
    endPaced();
    if (signalsTimer != -1) {
      context.owner().cancelTimer(signalsTimer);
      signalsTimer = -1;
    }
    if (was == State.ACTIVE) {
      services.metrics().sessionClosed();
    }
    if (was == State.ACTIVE || was == State.AUTHENTICATING) {
      if (identity != null) {
        services.hub().remove(this);
        services.directory().unregister(device()).onFailure(e ->
            log.warn("could not remove {} from the directory: {}", identity, e.toString()));
      }
    }
    if (identity != null) {
      log.info("session closed eid={} resource={} transport={} reason=\"{}\"", identity.getEid(),
          identity.getConnectionResourceId(), connection.transport(), closeReason);
    }
  }

  /**
   * Called about once a second: enforces the Hello timeout, the heartbeat and the token's
   * {@code exp}.
   */
  public void checkTimeouts(long nowNanos) {
    if (state == State.AWAITING_HELLO
        && nowNanos - openedAtNanos > services.limits().helloTimeoutMs() * 1_000_000L) {
      close(Status.TIMEOUT, "no Hello within " + services.limits().helloTimeoutMs() + " ms");
    } else if (state == State.AUTHENTICATING
        && nowNanos - lastInboundNanos > services.limits().helloTimeoutMs() * 1_000_000L) {
      // the token's check never answered (an identity provider that does not respond)
      close(Status.UNAVAILABLE, "the token could not be checked within "
          + services.limits().helloTimeoutMs() + " ms");
    } else if (state == State.ACTIVE) {
      if (validUntilMillis != Long.MAX_VALUE && System.currentTimeMillis() >= validUntilMillis) {
        // the token's exp is honoured for the session's whole life: the client connects again
        // with a fresh token (one the identity provider may refuse to issue)
        close(Status.UNAUTHORIZED, "token expired");
        return;
      }
      if (held && !holdsAgainstSilence()) {
        return; // held only to pace the client's signals: it is talking, and the hold ends
      }
      // the client's silence counts only while the node reads; a hold counts from its start
      long since = held ? heldSinceNanos : Math.max(lastInboundNanos, releasedAtNanos);
      if (nowNanos - since <= services.limits().heartbeatSeconds() * 3_000_000_000L) {
        return;
      }
      if (!held) {
        close(Status.TIMEOUT, "silent for 3 heartbeats");
      } else if (refusal != null) {
        refusal.run(); // the protocol error's Goodbye, without the answers it waited for
      } else {
        close(Status.UNAVAILABLE, "requests unanswered for "
            + services.limits().heartbeatSeconds() * 3 + " s");
      }
    }
  }

  private void hello(Hello hello) {
    String resource = hello.hasConnectionResourceId() ? hello.getConnectionResourceId()
        : UUID.randomUUID().toString();
    if (!MessageRules.validId(resource, MessageRules.MAX_ID_BYTES)) {
      close(Status.BAD_REQUEST, "connection_resource_id must be 1 to "
          + MessageRules.MAX_ID_BYTES + " bytes");
      return;
    }
    state = State.AUTHENTICATING;
    connection.pause();
    services.auth().authenticateHello(hello.getToken()).onComplete(ar -> {
      if (state != State.AUTHENTICATING) {
        return;
      }
      if (ar.failed()) {
        close(Status.UNAUTHORIZED, ar.cause().getMessage());
        return;
      }
      String eid = ar.result().eid();
      validUntilMillis = ar.result().validUntilMillis();
      if (!MessageRules.validId(eid, MessageRules.MAX_ID_BYTES)) {
        close(Status.UNAUTHORIZED, "token sub must be 1 to " + MessageRules.MAX_ID_BYTES
            + " bytes");
        return;
      }
      if (ar.result().binding() != null) {
        signatures = services.auth().signatureCheck(ar.result().binding(), eid, context,
            this::precheck, services.metrics()::signatureVerified, () -> {
              pausedForSignatures = true;
              readingChanged();
            }, () -> {
              pausedForSignatures = false;
              readingChanged();
            });
      }
      identity = Identity.newBuilder().setEid(eid).setConnectionResourceId(resource)
          .setNode(services.nodeId()).build();
      register();
    });
  }

  private void register() {
    Subscriber replaced = services.hub().add(this);
    if (replaced != null && LocalHub.supersedes(replaced, this)) {
      close(Status.REPLACED, "replaced"); // the client connected again meanwhile, here
      return;
    }
    if (services.hub().isClosed()) { // checked after adding: stop() closes all it then sees
      services.hub().remove(this);
      if (replaced != null && replaced != this) {
        replaced.close(Status.UNAVAILABLE, "node shutting down");
      }
      close(Status.UNAVAILABLE, "node shutting down");
      return;
    }
    if (replaced != null && replaced != this) {
      replaced.close(Status.REPLACED, "replaced");
    }
    services.directory().register(device()).onComplete(ar -> {
      if (ar.failed()) {
        services.hub().remove(this);
        if (ar.cause() instanceof Directory.Superseded) {
          // the client connected again meanwhile, and that session registered first
          close(Status.REPLACED, "replaced");
        } else if (ar.cause() instanceof Directory.TooManyDevices) {
          close(Status.RATE_LIMITED, ar.cause().getMessage());
        } else {
          close(Status.UNAVAILABLE, "directory unavailable, retry");
        }
        return;
      }
      Device previous = ar.result();
      if (previous != null && !previous.sessionId().equals(sessionId)
          && !previous.node().equals(services.nodeId())) {
        services.fanout().kick(previous);
      }
      if (state != State.AUTHENTICATING) {
        return; // closed meanwhile: onClosed already unregistered
      }
      state = State.ACTIVE;
      services.metrics().sessionOpened();
      rateLimiter = new RateLimiter(services.limits().messagesPerSecond(), System.nanoTime());
      write(FrameCodec.encode(Frame.newBuilder().setWelcome(Welcome.newBuilder()
          .setIdentity(identity)
          .setServerTime(System.currentTimeMillis())
          .setHeartbeatSeconds(services.limits().heartbeatSeconds())
          .setMaxFrameBytes(services.limits().maxFrameBytes())
          .setEpoch(services.epoch())).build()));
      log.info("session opened eid={} resource={} transport={} remote={}", identity.getEid(),
          identity.getConnectionResourceId(), connection.transport(),
          connection.remoteAddress());
      connection.resume();
      while (state == State.ACTIVE && early != null && !early.isEmpty()) {
        EarlyPush p = early.poll();
        pushes.push(p.frame(), p.kind(), p.stream(), p.offset(), p.delivered());
      }
      early = null;
      while (state == State.ACTIVE && queued != null && !queued.isEmpty()) {
        inbound(queued.poll());
      }
      queued = null;
    });
  }

  /** A frame of an active session: through the signature check when a key is bound. */
  private void inbound(Frame frame) {
    if (signatures == null) {
      dispatch(frame);
    } else {
      signatures.submit(frame, f -> {
        if (state == State.ACTIVE) {
          dispatch(f);
        }
      });
    }
  }

  private void dispatch(Frame frame) {
    if (refused) {
      return; // read after a protocol error: dropped with the session
    }
    if (frame == REFUSAL) {
      refused = true;
      reserve().release(refusal);
      return;
    }
    switch (frame.getBodyCase()) {
      case MESSAGE -> message(frame.getMessage());
      case ACK -> {
        services.metrics().ack(frame.getAck().getMethod());
        services.router().acknowledge(this, frame.getAck(), reserve());
        paceSignals();
      }
      // answered at once, outside the reply order: a slow store must not fail the heartbeat
      case PING -> write(FrameCodec.encode(Frame.newBuilder()
          .setPong(Pong.newBuilder().setTimestamp(frame.getPing().getTimestamp())).build()));
      case PONG -> { }
      case GOODBYE -> {
        closeReason = "client said goodbye";
        connection.close();
      }
      case HELLO -> {
        refuse(Status.BAD_REQUEST, "Hello may be sent only once");
        dispatch(REFUSAL);
      }
      default -> {
        refuse(Status.BAD_REQUEST, "unexpected " + frame.getBodyCase() + " frame");
        dispatch(REFUSAL);
      }
    }
  }

  /**
   * The checks of a message before its signature's: PROTOCOL.md §5, the rate limit (a token
   * taken), the size bound. With a bound key they run as the message arrives, before it is
   * verified ({@link SignatureCheck}); otherwise as it is handled.
   */
  private int precheck(Message m) {
    int status = MessageRules.check(m, identity.getEid());
    if (status == Status.OK && !rateLimiter.tryAcquire(System.nanoTime())) {
      status = Status.RATE_LIMITED;
    }
    if (status == Status.OK
        && MessageRules.deliveredSizeBound(m, identity) > services.limits().maxFrameBytes()) {
      status = Status.TOO_LARGE; // its delivered form would exceed max_frame_bytes
    }
    return status;
  }

  private void message(Message m) {
    Reply reply = reserve();
    int status = signatures == null ? precheck(m) : signatures.checked(m);
    if (status == Status.OK && signatures != null && !signatures.verified(m)) {
      status = Status.UNAUTHORIZED; // a bound key and no valid signature (PROTOCOL.md §10)
    }
    if (status != Status.OK) {
      services.metrics().refused(status);
      MessagePeerAckSignal.Builder ack = MessagePeerAckSignal.newBuilder()
          .setTo(identity)
          .setMessageId(m.getMessageId())
          .setMethod(AckMethod.ACCEPTED_VALUE)
          .setTimestamp(System.currentTimeMillis())
          .setStatusCode(status);
      if (m.hasTo()) {
        ack.setFrom(m.getTo());
      }
      EncodedFrame refusal = FrameCodec.encode(Frame.newBuilder().setAck(ack).build());
      reply.release(() -> send(refusal));
      return;
    }
    services.router().send(this, m, reply, lastInboundNanos);
  }

  /**
   * Takes a token for an ack signal just handled. A client over {@code limits.signalsPerSecond}
   * is not refused anything: its reading is held until the bucket holds a tenth of a second's
   * worth again, so that it is read, on average, no faster than the limit. Frames read before
   * the hold took effect are still handled, and owe their tokens.
   */
  private void paceSignals() {
    if (state != State.ACTIVE) {
      return;
    }
    long now = System.nanoTime();
    if (signalLimiter == null) {
      signalLimiter = new RateLimiter(services.limits().signalsPerSecond(), now);
    }
    long waitNanos = signalLimiter.take(now);
    if (waitNanos == 0 || pausedForSignals) {
      return;
    }
    pausedForSignals = true;
    services.metrics().signalsPaced();
    readingChanged();
    holdForSignals(waitNanos);
  }

  /** Ends the signals' hold after {@code nanos}, or later if signals handled meanwhile owe. */
  private void holdForSignals(long nanos) {
    signalsTimer = context.owner().setTimer(Math.max(1, (nanos + 999_999) / 1_000_000), id -> {
      signalsTimer = -1;
      if (state == State.CLOSED) {
        return;
      }
      long owed = signalLimiter.stillOwed(System.nanoTime());
      if (owed > 0) {
        holdForSignals(owed);
        return;
      }
      pausedForSignals = false;
      readingChanged();
    });
  }

  /**
   * Whether reading is held for a reason during which the client's silence still counts from
   * the hold's start (backlog, signatures, a Goodbye waiting); a hold to pace signals does not
   * count: the client is talking.
   */
  private boolean holdsAgainstSilence() {
    return pausedForBacklog || pausedForSignatures || refusal != null;
  }

  /** Pauses reading while too many replies wait, resumes once half of them have left. */
  private void backlogChanged(int waiting) {
    if (!pausedForBacklog && waiting > MAX_WAITING_REPLIES) {
      pausedForBacklog = true;
      readingChanged();
    } else if (pausedForBacklog && waiting <= MAX_WAITING_REPLIES / 2) {
      pausedForBacklog = false;
      readingChanged();
    }
  }

  /** A SYNC hint for {@code stream} (PROTOCOL.md §5): the device should pull up to head. */
  private EncodedFrame syncHint(StreamId stream, long head, long delivered) {
    return FrameCodec.encode(Frame.newBuilder().setAck(MessagePeerAckSignal.newBuilder()
        .setTo(Identity.newBuilder().setEid(stream.to()))
        .setFrom(Identity.newBuilder().setEid(stream.from()))
        .setMethod(AckMethod.SYNC_VALUE)
        .setTimestamp(System.currentTimeMillis())
        .setStatusCode(Status.OK)
        .setPeer(Peer.newBuilder().setFrom(stream.from()).setTo(stream.to()).setOffset(head)
            .setPeerOffset(delivered))).build());
  }

  private Device device() {
    return new Device(identity.getEid(), identity.getConnectionResourceId(), services.nodeId(),
        sessionId);
  }

  // ---------------------------------------------------------------- outbound

  /** Writes a frame; returns when it has been written, or null when it was not written. */
  private io.vertx.core.Future<Void> write(EncodedFrame frame) {
    if (state == State.CLOSED) {
      return null;
    }
    // what a frame waiting to be written holds besides its bytes (its write's promise and
    // listener, buffers' headers) counts too: 4 MiB of 10-byte pongs would otherwise hold ten
    // times that
    int size = frame.delimitedLength() + FRAME_OVERHEAD_BYTES;
    if (pendingBytes + size > services.limits().maxOutboundBytes()) {
      close(Status.UNAVAILABLE, "slow consumer: more than "
          + services.limits().maxOutboundBytes() + " bytes waiting to be written");
      return null;
    }
    pendingBytes += size;
    services.metrics().frameOut(connection.transport());
    return connection.write(frame).onComplete(ar -> pendingBytes -= size);
  }

  /**
   * Writes {@code frames[from..]} while what waits to be written stays within half of
   * {@code limits.maxOutboundBytes} (at least one frame at a time), and goes on once the last
   * of them is written: a long answer (a SYNC listing of many streams) reaches a client that
   * reads it, instead of making it a slow consumer. The other half is for what else the
   * session is sent meanwhile (pushes, pongs).
   */
  private void pace(java.util.List<EncodedFrame> frames, int from) {
    long budget = services.limits().maxOutboundBytes() / 2;
    int i = from;
    io.vertx.core.Future<Void> last = null;
    while (state == State.ACTIVE && i < frames.size()) {
      EncodedFrame f = frames.get(i);
      if (last != null && pendingBytes + f.delimitedLength() + FRAME_OVERHEAD_BYTES > budget) {
        break;
      }
      last = write(f);
      if (last == null) {
        break;
      }
      i++;
    }
    if (state != State.ACTIVE || i == frames.size() || last == null) {
      endPaced();
      return;
    }
    int next = i;
    last.onComplete(ar -> onContext(() -> pace(frames, next)));
  }

  /** The list being paced is written, or will not be: the replies after it go on. */
  private void endPaced() {
    Runnable done = pacedDone;
    pacedDone = null;
    if (done != null) {
      done.run();
    }
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  /** The transport of this session's connection ("tcp" or "ws"). */
  public String transport() {
    return connection.transport();
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
    onContext(() -> {
      if (kind != PushKind.UNORDERED) {
        services.metrics().delivered();
      }
      if (state == State.ACTIVE) {
        pushes.push(frame, kind, stream, offset, delivered);
      } else if (state == State.AUTHENTICATING) {
        // found in the directory before its Welcome went out: passed on right after it
        if (early == null) {
          early = new ArrayDeque<>(4);
        }
        if (early.size() >= MAX_QUEUED_FRAMES) {
          close(Status.UNAVAILABLE, "too many pushes before Welcome, reconnect");
        } else {
          early.add(new EarlyPush(frame, kind, stream, offset, delivered));
        }
      }
    });
  }

  @Override
  public void send(EncodedFrame frame) {
    onContext(() -> {
      if (state == State.ACTIVE) {
        write(frame);
      }
    });
  }

  @Override
  public void sendAll(java.util.List<EncodedFrame> frames, Runnable done) {
    onContext(() -> {
      if (state != State.ACTIVE || pacedDone != null) {
        // closed (nothing to write), or not called from a held reply (cannot happen): at once
        if (state == State.ACTIVE) {
          frames.forEach(this::write);
        }
        done.run();
        return;
      }
      pacedDone = done;
      pace(frames, 0);
    });
  }

  @Override
  public Reply reserve() {
    return replies.reserve();
  }

  @Override
  public void close(int status, String reason) {
    onContext(() -> {
      if (state == State.CLOSED) {
        return;
      }
      closeReason = status + " " + reason;
      // a session replaced by a newer one, or closed because the node stops, was not refused
      boolean stopping = status == Status.UNAVAILABLE && services.hub().isClosed();
      if (status >= 400 && status != Status.REPLACED && !stopping) {
        services.metrics().refused(status);
      }
      EncodedFrame goodbye = FrameCodec.encode(Frame.newBuilder().setGoodbye(
          Goodbye.newBuilder().setStatusCode(status).setReason(reason)).build());
      pendingBytes = 0; // the goodbye goes out even to a slow consumer
      write(goodbye);
      if (identity == null) {
        log.debug("connection from {} closed before a session: {}", connection.remoteAddress(),
            closeReason);
      }
      onClosed();
      connection.close();
    });
  }
}

package io.phoenix.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.phoenix.cluster.v1.NodeEnvelope;
import io.phoenix.metrics.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node-to-node messages over the clustered Vert.x event bus: each node consumes at the address
 * derived from its {@code node.id} ({@code phoenix.node.<id>}) and sends to another node's
 * address.
 *
 * <p>Every message is answered by the node that takes it, so that none is lost without a word.
 * The event bus drops a message sent to an address that the cluster holds no registration for
 * and tells only a sender that waits for an answer; a node whose registration the cluster lost
 * while it lived (a member's clean-up after a merge) would otherwise miss every push sent to it
 * until the registration is back. A message that was not taken, and the ones sent to that node
 * after it, are held and sent again in their order, at growing intervals, while the node is a
 * member of the cluster, for at most {@link #retryFor} (past the time the cluster takes to drop
 * a silent member, so that a dead node's pushes are given up as its departure). What is given
 * up (the node left, stayed unreachable, more than {@link #HELD_BYTES} waited for it, or it
 * refused the message) is counted and logged: the clients then find those messages by SYNC and
 * PULL_REQUEST. A message that was taken but
 * whose answer was lost is sent again too; the receiving sessions pass a stream's message on
 * once, in offset order, and answer a late copy with a SYNC hint.
 *
 * <p>A node of a build before the answers takes messages without answering: its silence is
 * counted as unconfirmed and nothing is sent again, until it has answered once.
 *
 * <p>Thread-safe; the handler runs on the context that called {@link #start}.
 */
public final class NodeBus {
  private static final Logger log = LoggerFactory.getLogger(NodeBus.class);
  private static final String PREFIX = "phoenix.node.";
  /** How long a node has to answer a message before it counts as not taken. */
  static final long ANSWER_TIMEOUT_MS = 5_000;
  /** The waits before each new attempt; the last one repeats. */
  static final long[] BACKOFF_MS = {250, 500, 1_000, 2_000};
  /** The least time messages are held for a node that does not take them. */
  public static final long MIN_RETRY_FOR_MS = 20_000;
  /** The most bytes held for one node; the oldest are given up beyond it. */
  static final long HELD_BYTES = 16L << 20;
  private static final DeliveryOptions ANSWERED =
      new DeliveryOptions().setSendTimeout(ANSWER_TIMEOUT_MS);

  private final Vertx vertx;
  private final String self;
  private final NodeMetrics metrics;
  private final Predicate<String> isMember;
  /** How long messages are held for a node that does not take them, from the first failure. */
  private final long retryForMs;
  /** Orders the messages to every node, so that what is sent again keeps its place. */
  private final AtomicLong sequence = new AtomicLong();
  /** Nodes that answered a message since this node started (they are of this build or later). */
  private final Set<String> answering = ConcurrentHashMap.newKeySet();
  /** The nodes that did not take a message lately, with what waits for them. */
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  private Handler<NodeEnvelope> handler;
  private volatile MessageConsumer<Buffer> consumer;
  private volatile boolean stopped;

  /**
   * @param isMember whether a {@code node.id} belongs to a member of the cluster (asked before
   *     each new attempt: what waits for a node that left is given up)
   * @param retryForMs how long messages are held for a node that does not take them (see
   *     {@link #retryFor})
   */
  public NodeBus(Vertx vertx, String self, NodeMetrics metrics, Predicate<String> isMember,
      long retryForMs) {
    this.vertx = vertx;
    this.self = self;
    this.metrics = metrics;
    this.isMember = isMember;
    this.retryForMs = retryForMs;
  }

  /**
   * How long to hold messages for a node that does not take them: 20 s, or 5 s past
   * {@code cluster.memberTimeoutSeconds} when that is longer, so that a node that died is
   * dropped from the cluster before its messages are given up as unreachable.
   */
  public static long retryFor(int memberTimeoutSeconds) {
    return Math.max(MIN_RETRY_FOR_MS, (memberTimeoutSeconds + 5) * 1000L);
  }

  /** The event-bus address of a node. */
  public static String address(String node) {
    return PREFIX + node;
  }

  /** Starts consuming this node's address; completes once the registration is cluster-wide. */
  public Future<Void> start(Handler<NodeEnvelope> handler) {
    this.handler = handler;
    consumer = consume();
    return consumer.completion();
  }

  /**
   * Registers this node's address again: a new consumer first (its registration cluster-wide),
   * then the old one goes, so that no moment is without one. For when the cluster lost the
   * registration while the consumer lived (see {@code PhoenixNode}'s address watch).
   */
  public Future<Void> renew() {
    MessageConsumer<Buffer> old = consumer;
    MessageConsumer<Buffer> fresh = consume();
    return fresh.completion().compose(v -> {
      consumer = fresh;
      return old == null ? Future.succeededFuture() : old.unregister();
    });
  }

  private MessageConsumer<Buffer> consume() {
    return vertx.eventBus().consumer(address(self), msg -> {
      NodeEnvelope envelope;
      try {
        envelope = NodeEnvelope.parseFrom(msg.body().getBytes());
      } catch (InvalidProtocolBufferException e) {
        log.warn("dropping unparseable node envelope: {}", e.getMessage());
        msg.fail(400, "unparseable node envelope");
        return;
      }
      try {
        handler.handle(envelope);
      } catch (RuntimeException e) {
        // a bug here: the sender counts it as refused rather than sending it again
        log.error("applying a node envelope failed", e);
        msg.fail(500, "applying the envelope failed: " + e);
        return;
      }
      msg.reply(null);
    });
  }

  /**
   * Sends an envelope to another node (serialized once): at once, or behind the messages held
   * for that node when some are.
   */
  public void send(String node, NodeEnvelope envelope) {
    Entry entry = new Entry(sequence.incrementAndGet(), envelope);
    Held h = held.get(node);
    if (h == null || !h.join(entry)) {
      request(node, entry, null);
    }
  }

  private void request(String node, Entry entry, Held retrying) {
    Buffer body = Buffer.buffer(entry.envelope.toByteArray());
    vertx.eventBus().request(address(node), body, ANSWERED).onComplete(ar -> {
      if (ar.succeeded()) {
        if (!answering.contains(node)) { // a read on every answer, a write on the first only
          answering.add(node);
        }
        if (retrying != null) {
          retrying.taken();
        }
      } else {
        failed(node, entry, ar.cause(), retrying);
      }
    });
  }

  private void failed(String node, Entry entry, Throwable cause, Held retrying) {
    if (stopped) {
      return; // this node is stopping: nothing is sent again (the answer may be what was lost)
    }
    ReplyFailure type = cause instanceof ReplyException r ? r.failureType() : ReplyFailure.ERROR;
    boolean refused = type == ReplyFailure.RECIPIENT_FAILURE;
    if (refused || (type == ReplyFailure.TIMEOUT && !answering.contains(node))) {
      if (refused) {
        giveUp(node, List.of(entry), "refused", cause.getMessage());
      } else {
        metrics.busUnconfirmed(); // a node of an older build: takes messages without answering
      }
      if (retrying != null) {
        retrying.taken(); // done with: not sent again
      }
      return;
    }
    if (retrying != null) {
      retrying.notTaken(entry);
      return;
    }
    while (true) {
      Held h = held.computeIfAbsent(node, n -> new Held(n, type));
      if (h.join(entry)) {
        return;
      }
      held.remove(node, h); // it finished meanwhile: a new episode
    }
  }

  private void giveUp(String node, List<Entry> entries, String reason, String detail) {
    long pushes = 0;
    for (Entry e : entries) {
      pushes += pushesIn(e.envelope);
    }
    metrics.busUndelivered(reason, pushes);
    logGivenUp(node, pushes, reason, detail);
  }

  private static void logGivenUp(String node, long pushes, String reason, String detail) {
    String why = switch (reason) {
      case "left" -> "it left the cluster (its clients find them by SYNC when they connect again)";
      case "unreachable" -> "it did not take them while they were held";
      case "overflow" -> "more than " + (HELD_BYTES >> 20) + " MB waited for it";
      default -> "it refused them: " + detail;
    };
    if (reason.equals("left")) {
      log.info("cluster: gave up {} {} to node {}: {}", pushes, pushes == 1 ? "push" : "pushes",
          node, why);
    } else {
      log.warn("cluster: gave up {} {} to node {}: {}; its clients find them by SYNC and "
          + "PULL_REQUEST", pushes, pushes == 1 ? "push" : "pushes", node, why);
    }
  }

  /** The pushes (frames for devices) an envelope carries, batches included. */
  private static long pushesIn(NodeEnvelope envelope) {
    return switch (envelope.getBodyCase()) {
      case BATCH -> envelope.getBatch().getEnvelopesList().stream()
          .mapToLong(NodeBus::pushesIn).sum();
      case DELIVERY -> 1;
      default -> 0;
    };
  }

  public Future<Void> stop() {
    stopped = true;
    held.values().forEach(Held::cancel);
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** An envelope with its place in the order of what this node sent. */
  private record Entry(long seq, NodeEnvelope envelope) {
    long bytes() {
      return envelope.getSerializedSize();
    }
  }

  /**
   * What waits for one node that did not take a message: sent again in sequence order once a
   * wait has passed, everything sent to the node meanwhile joining behind; finished (and new
   * messages sent directly again) once every message of an attempt was taken and nothing else
   * waits.
   */
  private final class Held {
    final String node;
    final long since = System.nanoTime();
    /** What waits for the next attempt, by sequence. */
    TreeMap<Long, Entry> waiting = new TreeMap<>();
    long bytes;
    int attempts;
    /** Messages of the current attempt not answered yet; 0 between attempts. */
    int inFlight;
    /** Messages of the current attempt that were not taken, to be tried again. */
    List<Entry> notTaken = new ArrayList<>();
    long timer = -1;
    long resent;
    /** Pushes given up for room since the last attempt. */
    long overflowed;
    boolean finished;

    Held(String node, ReplyFailure first) {
      this.node = node;
      if (isMember.test(node)) { // of one that left, only what is given up is said
        log.info("cluster: node {} did not take a message ({}): holding what is sent to it and "
            + "trying again for up to {} s", node, first, retryForMs / 1000);
      }
      schedule();
    }

    /** Adds a message to those waiting; false when this episode is over. */
    synchronized boolean join(Entry entry) {
      if (finished) {
        return false;
      }
      hold(entry);
      long pushes = 0;
      while (bytes > HELD_BYTES && !waiting.isEmpty()) {
        Entry oldest = waiting.pollFirstEntry().getValue();
        bytes -= oldest.bytes();
        pushes += pushesIn(oldest.envelope);
      }
      if (pushes > 0) {
        metrics.busUndelivered("overflow", pushes);
        overflowed += pushes; // logged once per attempt, not once per message
      }
      return true;
    }

    /** Adds a message to those waiting for the next attempt. Call holding the lock. */
    private void hold(Entry entry) {
      if (waiting.put(entry.seq(), entry) == null) {
        bytes += entry.bytes();
      }
    }

    /** Logs what was given up for room since the last attempt. Call holding the lock. */
    private void logOverflow() {
      if (overflowed > 0) {
        logGivenUp(node, overflowed, "overflow", null);
        overflowed = 0;
      }
    }

    private void schedule() {
      long wait = BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)];
      timer = vertx.setTimer(wait, id -> attempt());
    }

    /**
     * Tries again: the oldest message alone first, so that a node that takes messages again
     * mid-attempt cannot take later ones before earlier ones; once it is taken the rest follow
     * at once, in order ({@link #landed}).
     */
    private void attempt() {
      List<Entry> givenUp = null;
      Entry probe = null;
      String reason = null;
      synchronized (this) {
        timer = -1;
        if (finished) {
          return;
        }
        logOverflow();
        if (!isMember.test(node)) {
          reason = "left";
        } else if (System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(retryForMs)) {
          reason = "unreachable";
        }
        if (reason != null) {
          givenUp = new ArrayList<>(waiting.values());
          waiting = new TreeMap<>();
          bytes = 0;
          finished = true;
          held.remove(node, this);
        } else if (!waiting.isEmpty()) {
          probe = waiting.pollFirstEntry().getValue();
          bytes -= probe.bytes();
          attempts++;
          inFlight = 1;
          resent++;
        }
      }
      if (reason != null) {
        giveUp(node, givenUp, reason, null);
      } else if (probe == null) {
        landed();
      } else {
        send(List.of(probe));
      }
    }

    /** Sends one attempt's messages, in sequence order. */
    private void send(List<Entry> sending) {
      metrics.busHeldSent(sending.size());
      for (Entry e : sending) {
        request(node, e, this);
      }
    }

    /** A message of the current attempt was answered (or is done with). */
    void taken() {
      synchronized (this) {
        if (--inFlight > 0) {
          return;
        }
      }
      landed();
    }

    void notTaken(Entry entry) {
      synchronized (this) {
        notTaken.add(entry);
        if (--inFlight > 0) {
          return;
        }
      }
      landed();
    }

    /** Every message of an attempt came back: done, on to the next, or wait again. */
    private void landed() {
      List<Entry> next;
      synchronized (this) {
        if (finished) {
          return;
        }
        if (!notTaken.isEmpty()) {
          // not taken again: before anything that joined meanwhile, and tried after a wait
          for (Entry e : notTaken) {
            hold(e);
          }
          notTaken = new ArrayList<>();
          schedule();
          return;
        }
        if (!waiting.isEmpty()) {
          // taken: what joined during the attempt follows at once, still in order
          next = new ArrayList<>(waiting.values());
          waiting = new TreeMap<>();
          bytes = 0;
          inFlight = next.size();
          resent += next.size();
        } else {
          finished = true;
          held.remove(node, this);
          next = null;
        }
        logOverflow();
      }
      if (next == null) {
        log.info("cluster: node {} takes messages again, {} s after the first it did not take; "
            + "{} sent again", node, String.format("%.1f",
                (System.nanoTime() - since) / 1e9), resent);
        return;
      }
      send(next);
    }

    synchronized void cancel() {
      finished = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
  }
}

package io.phoenix.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.stream.LongStream;

/**
 * Traffic through a cluster of node processes that are killed and restarted, and the audit of
 * what it left: for the failover tests that count every message.
 *
 * <p>Senders {@code s0..} write back to back to recipients {@code r0..}, keeping
 * {@link Shape#window} messages unanswered; a 503 or 429 is sent again with the same
 * message_id, and on a new connection a sender sends again what was not answered and also its
 * last {@link Shape#resentAnswered} messages that were (as a client does that lost their
 * answers): each of those must be answered 208 at the offset first answered. The even
 * recipients are online: they acknowledge DELIVERED for each push, check that a stream's pushes
 * on one connection come at increasing offsets and, with {@link Shape#pullEveryMs}, pull a
 * stream's recent messages now and then. The odd ones stay offline.
 *
 * <p>Everything shown — an ACCEPTED offset, a push, a pull — is noted per stream and offset;
 * {@link #audit} then pulls every stream from its start and lists in {@link #problems} each
 * message ACCEPTED and not stored at its offset, each offset shown with another message than
 * the one stored there, each gap and each message stored twice.
 */
public final class FailoverTraffic implements AutoCloseable {
  /** How the traffic looks. */
  public static final class Shape {
    int senders = 6;
    int recipients = 12;
    int window = 8;
    int resentAnswered = 8;
    int minBody = 100;
    int maxBody = 500;
    long pullEveryMs;
    Recipients to = (sender, n, random) -> "r" + random.nextInt(recipients);

    public Shape senders(int n) {
      senders = n;
      return this;
    }

    public Shape recipients(int n) {
      recipients = n;
      return this;
    }

    /** Messages a sender keeps unanswered. */
    public Shape window(int n) {
      window = n;
      return this;
    }

    /** Answered messages a sender sends again on a new connection. */
    public Shape resentAnswered(int n) {
      resentAnswered = n;
      return this;
    }

    /** Payload sizes, from {@code min} to below {@code max}. */
    public Shape bodies(int min, int max) {
      minBody = min;
      maxBody = max;
      return this;
    }

    /** Online recipients pull a stream's recent messages about this often (0: never). */
    public Shape pullEveryMs(long ms) {
      pullEveryMs = ms;
      return this;
    }

    /** Whom a sender writes to next (default: a recipient at random). */
    public Shape to(Recipients to) {
      this.to = to;
      return this;
    }
  }

  /** Chooses the recipient of a sender's {@code n}-th message. */
  @FunctionalInterface
  public interface Recipients {
    String next(int sender, long n, Random random);
  }

  private final Path dir;
  private final Shape shape;
  private final Vertx vertx = Vertx.vertx();
  private final List<NodeProcess> started = new CopyOnWriteArrayList<>();
  private final List<Thread> senders = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  /** The node serving each index now (replaced when restarted). */
  public final NodeProcess[] nodes;
  /** What the run found wrong, each beginning with its stream ({@code from->to:}). */
  public final List<String> problems = new CopyOnWriteArrayList<>();
  private volatile boolean sending = true;
  private volatile boolean stopped;
  private volatile String phase = "start";
  private final long began = System.nanoTime();
  private final StringBuilder timeline = new StringBuilder();

  /** stream → offset → message_id, as anything showed it (an offset seen twice must agree). */
  private final Map<String, Map<Long, String>> seen = new ConcurrentHashMap<>();
  /** stream → message_id → offset ACCEPTED. */
  private final Map<String, Map<String, Long>> accepted = new ConcurrentHashMap<>();
  /** message_id → how it was last ACCEPTED (status, offset, node, phase), for post-mortems. */
  private final Map<String, String> how = new ConcurrentHashMap<>();
  /** phase → ACCEPTED 200, 208, and refusals while in it, in the order the phases came. */
  private final Map<String, AtomicLong[]> answers = new ConcurrentHashMap<>();
  private final List<String> phases = new CopyOnWriteArrayList<>(List.of("start"));
  private final AtomicLong pushes = new AtomicLong();
  /** "phase recipient" → pushes that recipient had in that phase. */
  private final Map<String, AtomicLong> pushesByPhase = new ConcurrentHashMap<>();
  private final AtomicLong pulled = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();

  public FailoverTraffic(Path dir, int nodes, Shape shape) {
    this.dir = dir;
    this.nodes = new NodeProcess[nodes];
    this.shape = shape;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Notes what the run goes through from now on, for the figures and post-mortems. */
  public void phase(String p) {
    phase = p;
    phases.add(p);
    synchronized (timeline) {
      timeline.append(String.format("%n  %5.1f s %s", (System.nanoTime() - began) / 1e9, p));
    }
  }

  /** Starts the nodes of these indexes at once; each retried while the cluster lists a past run. */
  public void start(List<JsonObject> configs, int... indexes) throws Exception {
    start(configs, i -> List.of(), indexes);
  }

  /** Like {@link #start(List, int...)}, node {@code i} with the JVM options {@code jvm(i)}. */
  public void start(List<JsonObject> configs, IntFunction<List<String>> jvm, int... indexes)
      throws Exception {
    startWith(configs, i -> (d, config) -> NodeProcess.start(d, config, Map.of(), jvm.apply(i)),
        indexes);
  }

  /** How a node of the run is started: a process on {@code config}, its file in {@code dir}. */
  @FunctionalInterface
  public interface Launch {
    NodeProcess start(Path dir, JsonObject config) throws Exception;
  }

  /** Like {@link #start(List, int...)}, node {@code i} started by {@code launch(i)}. */
  public void startWith(List<JsonObject> configs, IntFunction<Launch> launch, int... indexes)
      throws Exception {
    List<CompletableFuture<NodeProcess>> starting = new ArrayList<>();
    for (int i : indexes) {
      JsonObject config = configs.get(i);
      Launch how = launch.apply(i);
      starting.add(CompletableFuture.supplyAsync(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
          try {
            NodeProcess n = how.start(dir, config);
            started.add(n);
            return n;
          } catch (Exception e) {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException(e);
            }
            sleep(300);
          }
        }
      }));
    }
    for (int k = 0; k < indexes.length; k++) {
      nodes[indexes[k]] = starting.get(k).get(120, TimeUnit.SECONDS);
    }
  }

  /** Kills these nodes with SIGKILL, at once. */
  public void kill(int... indexes) throws InterruptedException {
    List<NodeProcess> dying = new ArrayList<>();
    for (int i : indexes) {
      dying.add(nodes[i]);
    }
    NodeProcess.killAll(dying);
  }

  /**
   * Stops these nodes with SIGSTOP, at once: the process is frozen as by a long pause of its
   * JVM or virtual machine, its sockets open but silent. {@link #resume} lets it go on.
   */
  public void pause(int... indexes) throws Exception {
    signal("STOP", indexes);
  }

  /** SIGCONT: the paused nodes go on from where they stopped. */
  public void resume(int... indexes) throws Exception {
    signal("CONT", indexes);
  }

  private void signal(String signal, int... indexes) throws Exception {
    List<Long> pids = new ArrayList<>();
    for (int i : indexes) {
      pids.add(nodes[i].pid());
    }
    Signals.send(signal, pids);
  }

  /**
   * The configurations of {@code n} members of one cluster on the PostgreSQL database {@code
   * url}, with {@code minimumMembers} and no rate limit a run could reach.
   */
  public static List<JsonObject> onPostgres(int n, String url, int minimumMembers) {
    List<JsonObject> configs = TestNode.clusterConfigs(n);
    for (JsonObject c : configs) {
      c.put("storage", TestPostgres.storage(url));
      c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
      c.getJsonObject("cluster").put("minimumMembers", minimumMembers);
    }
    return configs;
  }

  /** Starts the senders and the online recipients. */
  public void startTraffic() {
    for (int i = 0; i < shape.senders; i++) {
      Thread t = new Thread(new Sender(i), "sender-" + i);
      senders.add(t);
      threads.add(t);
    }
    for (int i = 0; i < shape.recipients; i += 2) {
      threads.add(new Thread(new Recipient(i), "recipient-" + i));
    }
    for (Thread t : threads) {
      // a sender or recipient that dies of an exception would stop counting and checking
      // without a word (a dead sender also looks done to stopTraffic): it is a problem
      t.setUncaughtExceptionHandler((dead, e) -> problems.add(dead.getName() + " died: " + e));
      t.start();
    }
  }

  /**
   * Stops sending new messages, waits up to {@code settle} for every sender to have its
   * messages answered, then {@code lastPushes} for the pushes still on their way, and stops.
   */
  public void stopTraffic(Duration settle, Duration lastPushes) throws InterruptedException {
    sending = false;
    for (Thread t : senders) {
      t.join(settle.toMillis());
      assertTrue(!t.isAlive(), t.getName() + " still has messages unanswered");
    }
    Thread.sleep(lastPushes.toMillis());
    stopped = true;
    for (Thread t : threads) {
      t.join(10_000);
    }
  }

  /**
   * {@link #stopTraffic} with a second for the last pushes, the figures printed under {@code
   * test}'s name whatever happened, then checks that no node died.
   */
  public void stopOnLiveNodes(String test, Duration settle) throws InterruptedException {
    try {
      stopTraffic(settle, Duration.ofSeconds(1));
    } finally {
      System.out.printf("%s: %s%n", test, figures());
    }
    for (int i = 0; i < nodes.length; i++) {
      assertTrue(nodes[i].isAlive(), "node " + (i + 1) + " died: " + nodes[i].tail());
    }
  }

  /** A session on node {@code preferred}, or the next live one; null when none takes it. */
  public TestClient login(int preferred, String eid, String resource) {
    return login(preferred, eid, resource, () -> false);
  }

  private TestClient login(int preferred, String eid, String resource, BooleanSupplier giveUp) {
    for (int i = 0; i < nodes.length * 3 && !giveUp.getAsBoolean(); i++) {
      NodeProcess n = nodes[(preferred + i) % nodes.length];
      if (n == null || !n.isAlive()) {
        continue;
      }
      try {
        return TestClient.login(vertx, Transport.TCP, n, eid, resource);
      } catch (Throwable e) {
        sleep(100); // dying, or not serving yet: the next one
      }
    }
    return null;
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static String stream(String from, String to) {
    return from + "->" + to;
  }

  /** Counts an answer in the phase, and in the phase on the node that gave it. */
  private void count(int status, String node) {
    int i = status == 200 ? 0 : status == 208 ? 1 : 2;
    for (String key : new String[] {phase, onNode(phase, node)}) {
      answers.computeIfAbsent(key, k -> new AtomicLong[] {new AtomicLong(), new AtomicLong(),
          new AtomicLong()})[i].incrementAndGet();
    }
  }

  /** Notes that offset {@code offset} of {@code stream} showed {@code id}. */
  public void saw(String stream, long offset, String id, String how) {
    String before = seen.computeIfAbsent(stream, k -> new ConcurrentHashMap<>())
        .putIfAbsent(offset, id);
    if (before != null && !before.equals(id)) {
      problems.add(stream + ": " + how + " offset " + offset + " is " + id + ", earlier "
          + before);
    }
  }

  private void acceptedAt(String stream, String id, long offset, int status) {
    Long before = accepted.computeIfAbsent(stream, k -> new ConcurrentHashMap<>())
        .putIfAbsent(id, offset);
    if (before != null && before != offset) {
      problems.add(stream + ": ACCEPTED " + status + " " + id + " at " + offset
          + ", earlier at " + before);
    }
  }

  /** One sender: back to back, retrying until ACCEPTED. */
  private final class Sender implements Runnable {
    final int index;
    final String eid;
    final int home;
    final Random random;
    /** message_id → message, unanswered, in sending order. */
    final Map<String, Message> outstanding = new LinkedHashMap<>();
    final ArrayDeque<Message> resend = new ArrayDeque<>();
    /** The last messages answered, oldest first. */
    final ArrayDeque<Message> answered = new ArrayDeque<>();
    /** The message_ids sent again as if their answer was lost: each must be a 208. */
    final Map<String, Boolean> again = new HashMap<>();
    long next;
    String node = "";

    Sender(int i) {
      index = i;
      eid = "s" + i;
      home = i % nodes.length;
      random = new Random(i);
    }

    @Override
    public void run() {
      TestClient c = null;
      while (!stopped && (sending || !outstanding.isEmpty())) {
        if (c == null || c.isClosed()) {
          if (c != null) {
            c.close();
            reconnects.incrementAndGet();
          }
          c = login(home + (c == null ? 0 : 1 + random.nextInt(2)), eid, "phone",
              () -> stopped);
          if (c == null) {
            sleep(300);
            continue;
          }
          node = c.welcome().getIdentity().getNode();
          resend.clear();
          for (Message m : answered) {
            outstanding.put(m.getMessageId(), m);
            again.put(m.getMessageId(), true);
          }
          answered.clear();
          resend.addAll(outstanding.values()); // fate unknown: the same message_id again
        }
        while (!resend.isEmpty()) {
          retries.incrementAndGet();
          c.send(resend.poll());
        }
        while (sending && outstanding.size() < shape.window) {
          Message m = nextMessage();
          outstanding.put(m.getMessageId(), m);
          c.send(m);
        }
        Frame f = c.poll(Duration.ofMillis(50));
        if (f == null) {
          continue;
        }
        if (f.getBodyCase() == Frame.BodyCase.GOODBYE) {
          c.close(); // reconnects above
          continue;
        }
        if (f.getBodyCase() != Frame.BodyCase.ACK
            || f.getAck().getMethod() != AckMethod.ACCEPTED_VALUE) {
          continue; // forwarded DELIVERED
        }
        answer(f.getAck());
      }
      if (c != null) {
        c.close();
      }
    }

    private void answer(MessagePeerAckSignal a) {
      Message m = outstanding.get(a.getMessageId());
      if (m == null) {
        return; // answered on an earlier connection too
      }
      int status = a.getStatusCode();
      count(status, node);
      String s = stream(eid, m.getTo().getEid());
      long offset = a.getPeer().getOffset();
      if (status == 200 || status == 208) {
        outstanding.remove(a.getMessageId());
        if (again.remove(a.getMessageId()) != null && status != 208) {
          problems.add(s + ": " + a.getMessageId() + " answered before, sent again: " + status
              + " at " + offset + " (" + how.get(a.getMessageId()) + ")");
        }
        answered.addLast(m);
        if (answered.size() > shape.resentAnswered) {
          answered.removeFirst();
        }
        acceptedAt(s, m.getMessageId(), offset, status);
        how.put(m.getMessageId(), status + " at " + offset + " via " + node + " in " + phase);
        saw(s, offset, m.getMessageId(), "ACCEPTED " + status);
      } else if (status == 503 || status == 429) {
        sleep(20);
        resend.add(m);
      } else {
        outstanding.remove(a.getMessageId());
        problems.add(s + ": " + m.getMessageId() + " answered " + status);
      }
    }

    private Message nextMessage() {
      String to = shape.to.next(index, next, random);
      byte[] body = new byte[shape.minBody + random.nextInt(shape.maxBody - shape.minBody)];
      random.nextBytes(body);
      return TestClient.message(eid + "-" + (++next), to)
          .setPayload(com.google.protobuf.ByteString.copyFrom(body)).build();
    }
  }

  /** An online recipient. */
  private final class Recipient implements Runnable {
    final String eid;
    final int home;
    final Random random;

    Recipient(int i) {
      eid = "r" + i;
      home = (i / 2 + 1) % nodes.length;
      random = new Random(1000 + i);
    }

    @Override
    public void run() {
      TestClient c = null;
      Map<String, Long> lastPushed = new HashMap<>();
      long nextPull = System.currentTimeMillis() + shape.pullEveryMs;
      while (!stopped) {
        if (c == null || c.isClosed()) {
          if (c != null) {
            c.close();
            reconnects.incrementAndGet();
          }
          c = login(home + (c == null ? 0 : 1 + random.nextInt(2)), eid, "phone",
              () -> stopped);
          lastPushed.clear(); // a new session: its pushes start anywhere
          if (c == null) {
            sleep(300);
            continue;
          }
        }
        if (shape.pullEveryMs > 0 && System.currentTimeMillis() > nextPull
            && !lastPushed.isEmpty()) {
          nextPull = System.currentTimeMillis() + shape.pullEveryMs / 2
              + random.nextLong(shape.pullEveryMs);
          List<String> streams = new ArrayList<>(lastPushed.keySet());
          String s = streams.get(random.nextInt(streams.size()));
          String from = s.substring(0, s.indexOf("->"));
          long after = Math.max(0, lastPushed.get(s) - 20);
          c.send(TestClient.ack(AckMethod.PULL_REQUEST, "pull-" + after, from, eid, after)
              .build());
        }
        Frame f = c.poll(Duration.ofMillis(100));
        if (f == null) {
          continue;
        }
        if (f.getBodyCase() == Frame.BodyCase.GOODBYE) {
          c.close();
          continue;
        }
        if (f.getBodyCase() != Frame.BodyCase.MESSAGE) {
          continue; // pull answers, SYNC hints (the audit's pulls cover every gap)
        }
        Message m = f.getMessage();
        String from = m.getPeer().getFrom();
        String s = stream(from, eid);
        long offset = m.getPeer().getOffset();
        if (m.getTransmissionMode() == 1) {
          pulled.incrementAndGet();
          saw(s, offset, m.getMessageId(), "pulled while running");
          continue;
        }
        pushes.incrementAndGet();
        pushesByPhase.computeIfAbsent(phase + " " + eid, k -> new AtomicLong()).incrementAndGet();
        saw(s, offset, m.getMessageId(), "pushed");
        Long last = lastPushed.put(s, offset);
        if (last != null && offset <= last) {
          problems.add(s + ": " + eid + " pushed " + offset + " after " + last);
        }
        c.send(TestClient.ack(AckMethod.DELIVERED, m.getMessageId(), from, eid, offset)
            .build());
      }
      if (c != null) {
        c.close();
      }
    }
  }

  /**
   * Pulls every stream from its start, each recipient on a live node, and checks it against
   * what the run showed; returns how many messages the streams hold.
   */
  public int audit() {
    int total = 0;
    for (int r = 0; r < shape.recipients; r++) {
      String to = "r" + r;
      TestClient c = login(r % nodes.length, to, "audit");
      assertNotNull(c, "no live node for the audit");
      try {
        for (int s = 0; s < shape.senders; s++) {
          total += audit(c, "s" + s, to);
        }
      } finally {
        c.close();
      }
    }
    return total;
  }

  /** Pulls {@code from → to} from offset 0 and checks it; returns how many it holds. */
  private int audit(TestClient c, String from, String to) {
    String s = stream(from, to);
    Map<Long, String> stored = new TreeMap<>();
    long after = 0;
    long head;
    while (true) {
      c.send(TestClient.ack(AckMethod.PULL_REQUEST, "audit-" + after, from, to, after).build());
      Frame f;
      while ((f = c.next(Duration.ofSeconds(30))).getBodyCase() == Frame.BodyCase.MESSAGE) {
        Message m = f.getMessage();
        long o = m.getPeer().getOffset();
        if (stored.put(o, m.getMessageId()) != null) {
          problems.add(s + ": offset " + o + " pulled twice");
        }
        after = o;
      }
      MessagePeerAckSignal end = f.getAck();
      assertEquals(AckMethod.PULL_REQUEST_VALUE, end.getMethod(), end::toString);
      head = end.getPeer().getOffset();
      if (end.getStatusCode() == 200) {
        break;
      }
      assertEquals(206, end.getStatusCode(), end::toString);
    }
    List<Long> missing = LongStream.rangeClosed(1, head).filter(o -> !stored.containsKey(o))
        .boxed().toList();
    if (!missing.isEmpty() || stored.size() != head) {
      problems.add(s + ": offsets not 1.." + head + ", missing " + missing);
    }
    Map<String, Long> ids = new HashMap<>();
    stored.forEach((o, id) -> {
      Long twice = ids.put(id, o);
      if (twice != null) {
        problems.add(s + ": " + id + " stored twice, at " + twice + " and " + o);
      }
    });
    accepted.getOrDefault(s, Map.of()).forEach((id, o) -> {
      if (!id.equals(stored.get(o))) {
        problems.add(s + ": ACCEPTED " + id + " at " + o + " (" + how.get(id) + "), stored "
            + "there: " + stored.get(o)
            + (ids.containsKey(id) ? " (" + id + " is at " + ids.get(id) + ")" : ""));
      }
    });
    seen.getOrDefault(s, Map.of()).forEach((o, id) -> {
      if (!id.equals(stored.get(o))) {
        problems.add(s + ": " + id + " was shown at " + o + ", stored there: " + stored.get(o));
      }
    });
    return stored.size();
  }

  /**
   * Checks the PostgreSQL database itself: in every stream, offsets 1..max with no gap, no
   * message_id twice, the stream's head row at the last offset. Returns how many messages it
   * holds.
   */
  public long database(String url) throws Exception {
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT m.from_eid, m.to_eid, count(*), "
          + "max(m.msg_offset), count(DISTINCT m.message_id), max(s.head) FROM phoenix_messages "
          + "m LEFT JOIN phoenix_streams s ON s.from_eid = m.from_eid AND s.to_eid = m.to_eid "
          + "GROUP BY 1, 2")) {
        while (rs.next()) {
          String s = stream(rs.getString(1), rs.getString(2));
          long n = rs.getLong(3);
          if (n != rs.getLong(4) || n != rs.getLong(5) || rs.getLong(6) != rs.getLong(4)) {
            problems.add(s + ": the database holds " + n + " messages, up to offset "
                + rs.getLong(4) + ", " + rs.getLong(5) + " distinct ids, head " + rs.getLong(6));
          }
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM phoenix_messages")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static Connection connect(String url) throws Exception {
    String db = url.substring(url.lastIndexOf('/') + 1);
    return TestPostgres.server().getDatabase("postgres", db).getConnection();
  }

  /**
   * The end of a run on PostgreSQL, once its traffic has stopped: every stream pulled from its
   * start ({@link #audit}) and the database {@code url} itself checked ({@link #database}); the
   * figures printed under {@code test}'s name; then nothing in {@link #problems} (the first
   * streams with one dumped), every stored message ACCEPTED and none twice, and the database
   * holding what the pulls show. Returns how many messages the streams hold.
   */
  public int auditAll(String test, String url) throws Exception {
    phase("audit");
    int total = audit();
    long rows = database(url);
    phase("done");
    long acceptedCount = acceptedCount();
    System.out.printf("%s: %d stored (%d rows); %s%n", test, total, rows, figures());
    if (!problems.isEmpty()) {
      dump(url);
    }
    assertEquals(List.of(), problems.subList(0, Math.min(30, problems.size())));
    assertEquals(acceptedCount, total, "every stored message was ACCEPTED, none twice");
    assertEquals(total, rows, "the database holds what the pulls show");
    return total;
  }

  /**
   * A new session on each node is pushed what a session on the next node sends it: every
   * node's event-bus address is known to the others (after a merge, say).
   */
  public void everyNodeReachesTheOthers() {
    for (int k = 0; k < nodes.length; k++) {
      String eid = "late-" + k;
      try (TestClient to = TestClient.login(vertx, Transport.TCP, nodes[k], eid, "p");
           TestClient from = TestClient.login(vertx, Transport.TCP,
               nodes[(k + 1) % nodes.length], "late-sender", "p" + k)) {
        assertEquals(200, from.sendAndAwaitAccepted(TestClient.message("late-" + k, eid)
            .build()).getStatusCode());
        assertEquals("late-" + k, to.nextMessage().getMessageId(), "pushed to node " + (k + 1));
      }
    }
  }

  /** Prints what the database holds of the first streams with a problem. */
  public void dump(String url) throws Exception {
    List<String> streams = problems.stream().filter(p -> p.contains("->") && p.indexOf(':') > 0)
        .map(p -> p.substring(0, p.indexOf(':'))).distinct().limit(3).toList();
    try (Connection c = connect(url);
         PreparedStatement q = c.prepareStatement("SELECT msg_offset, message_id, accepted_at "
             + "FROM phoenix_messages WHERE from_eid = ? AND to_eid = ? ORDER BY 1")) {
      for (String st : streams) {
        System.out.println("stored in " + st + " (offset, message_id, accepted_at, answer):");
        q.setString(1, st.substring(0, st.indexOf("->")));
        q.setString(2, st.substring(st.indexOf("->") + 2));
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            System.out.println("  " + rs.getLong(1) + " " + rs.getString(2) + " "
                + Instant.ofEpochMilli(rs.getLong(3)) + " " + how.get(rs.getString(2)));
          }
        }
        accepted.getOrDefault(st, Map.of()).forEach((id, o) -> {
          if (!how.containsKey(id)) {
            System.out.println("  ACCEPTED, not answered here: " + id + " at " + o);
          }
        });
      }
    }
  }

  /** A counter of the node's /metrics (summed over its label sets). */
  public static long metric(NodeProcess n, String name) throws Exception {
    String text = Http.get("http://127.0.0.1:" + n.httpPort() + "/metrics").body();
    long out = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(name)) {
        out += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return out;
  }

  /** A counter of /metrics summed over the live nodes. */
  public long metric(String name) throws Exception {
    long out = 0;
    for (NodeProcess n : nodes) {
      if (n != null && n.isAlive()) {
        out += metric(n, name);
      }
    }
    return out;
  }

  /** Messages ACCEPTED (200 or 208), each counted once. */
  public long acceptedCount() {
    return accepted.values().stream().mapToLong(Map::size).sum();
  }

  /** The most messages the senders can have unanswered at once (their window, each). */
  public int mostInFlight() {
    return shape.senders * shape.window;
  }

  /** ACCEPTED 200, 208 and refusals while in this phase. */
  public long[] answersIn(String phase) {
    AtomicLong[] c = answers.get(phase);
    return c == null ? new long[3]
        : new long[] {c[0].get(), c[1].get(), c[2].get()};
  }

  /** The same, given by node {@code i} (its sessions' answers). */
  public long[] answersIn(String phase, int i) {
    return answersIn(onNode(phase, nodes[i].nodeId()));
  }

  /** The key of a phase's answers given by one node. */
  private static String onNode(String phase, String nodeId) {
    return phase + '\u0000' + nodeId;
  }

  /** The online recipients: {@code r0, r2, …}. */
  public List<String> onlineRecipients() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < shape.recipients; i += 2) {
      out.add("r" + i);
    }
    return out;
  }

  /** Pushes {@code recipient} had while in this phase. */
  public long pushesIn(String phase, String recipient) {
    AtomicLong n = pushesByPhase.get(phase + " " + recipient);
    return n == null ? 0 : n.get();
  }

  /** The run's figures: counts, answers by phase and the timeline. */
  public String figures() {
    StringBuilder byPhase = new StringBuilder();
    for (String p : phases) {
      long[] c = answersIn(p);
      byPhase.append(String.format("%n  %-40s %6d x 200, %5d x 208, %5d refused", p, c[0], c[1],
          c[2]));
      for (int i = 0; i < nodes.length; i++) {
        long[] n = nodes[i] == null ? new long[3] : answersIn(p, i);
        byPhase.append(String.format(" | node %d: %d, %d, %d", i + 1, n[0], n[1], n[2]));
      }
    }
    StringBuilder pushed = new StringBuilder();
    for (String r : onlineRecipients()) {
      pushed.append(String.format("%n  %-5s", r));
      for (String p : phases) {
        pushed.append(String.format(" %6d", pushesIn(p, r)));
      }
    }
    return String.format("%d messages accepted, %d pushes, %d pulled while running, %d sent "
        + "again, %d reconnects; answers by phase:%s%npushes by recipient and phase:%s%n"
        + "timeline:%s", acceptedCount(), pushes.get(), pulled.get(), retries.get(),
        reconnects.get(), byPhase, pushed, timeline());
  }

  /** When each phase began, one line each. */
  public String timeline() {
    synchronized (timeline) {
      return timeline.toString();
    }
  }

  @Override
  public void close() throws Exception {
    stopped = true;
    for (Thread t : threads) {
      t.join(10_000);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    for (NodeProcess n : started) {
      n.close();
    }
  }
}

package io.phoenix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's memory bounds at their extreme, on three node processes sharing one PostgreSQL:
 * {@code storage.maxStreamsInMemory} 64 (one stream per bucket, so streams are forgotten and
 * read back all the time), {@code storage.hotWindowBytes} 64 KiB (one KiB of bodies per bucket,
 * so written bodies are dropped all the time and pulls read the database). Six senders write
 * back to back to 48 recipients, a third of them at a time (each stream idle for two thirds of
 * the run, long enough to be forgotten), retrying the same message_id after a 503 or a lost
 * connection; half the recipients are online, acknowledge what they are pushed and pull recent
 * messages now and then, the others only pull at the end. One node is killed with SIGKILL and
 * restarted (buckets move to it), then the database stops taking writes and another node is
 * killed meanwhile. A sender that lost its connection sends again what was not answered, and
 * also its last messages that were (as a client does that lost its answers): each must be a
 * 208 at the offset first answered.
 *
 * <p>{@code acceptAfter replicate}: ACCEPTED before the message is written, so what the killed
 * node accepted during the stall is, until written, only in the memory of the streams' owners
 * and backups: the hardest case for the in-memory state the bounds keep trimming.
 *
 * <p>Then every message is counted: each ACCEPTED message_id (200 or 208) is stored once, at
 * the offset it was answered with; the offsets of every stream are 1..head with no gap and no
 * message_id twice; every push and every pull during the run showed the message stored at its
 * offset; the pushes of a stream on one connection came at increasing offsets. About 90 s.
 */
class BoundedMemoryFailoverIT {
  private static final int SENDERS = 6;
  private static final int RECIPIENTS = 48;
  /** Recipients written to at a time; the groups take turns. */
  private static final int GROUPS = 3;
  private static final long PHASE_MS = 11_000;
  /** Messages a sender keeps unanswered. */
  private static final int WINDOW = 6;
  private static final Duration SETTLE = Duration.ofSeconds(90);

  @TempDir
  Path dir;
  private final List<NodeProcess> started = new CopyOnWriteArrayList<>();
  /** The node serving each index now (replaced when restarted). */
  private final NodeProcess[] nodes = new NodeProcess[3];
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private volatile boolean sending = true;
  private volatile boolean stopped;
  private volatile long phaseStart;

  @BeforeEach
  void setUp() {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    stopped = true;
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    for (NodeProcess n : started) {
      n.close();
    }
  }

  private NodeProcess start(JsonObject config) throws Exception {
    NodeProcess n = NodeProcess.start(dir, config);
    started.add(n);
    return n;
  }

  /** A session on node {@code preferred}, or the next live one; null when none takes it. */
  private TestClient login(int preferred, String eid, String resource) {
    for (int i = 0; i < nodes.length * 3 && !stopped; i++) {
      NodeProcess n = nodes[(preferred + i) % nodes.length];
      if (n == null || !n.isAlive()) {
        continue;
      }
      try {
        return TestClient.login(vertx, Transport.TCP, n, eid, resource);
      } catch (Throwable e) {
        sleep(200); // dying, or not serving yet: the next one
      }
    }
    return null;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String stream(String from, String to) {
    return from + "->" + to;
  }

  /** stream → offset → message_id, as anything showed it (an offset seen twice must agree). */
  private final Map<String, Map<Long, String>> seen = new ConcurrentHashMap<>();
  /** stream → message_id → offset ACCEPTED. */
  private final Map<String, Map<String, Long>> accepted = new ConcurrentHashMap<>();
  private final AtomicLong pushes = new AtomicLong();
  private final AtomicLong pulled = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong acceptedInStall = new AtomicLong();
  private volatile boolean stalled;

  private void saw(String stream, long offset, String id, String how) {
    String before = seen.computeIfAbsent(stream, k -> new ConcurrentHashMap<>())
        .putIfAbsent(offset, id);
    if (before != null && !before.equals(id)) {
      problems.add(how + ": " + stream + " offset " + offset + " is " + id + ", earlier "
          + before);
    }
  }

  /** message_id → how it was last ACCEPTED (status, node, time), for post-mortems. */
  private final Map<String, String> how = new ConcurrentHashMap<>();

  private void acceptedAt(String stream, String id, long offset, int status) {
    Long before = accepted.computeIfAbsent(stream, k -> new ConcurrentHashMap<>())
        .putIfAbsent(id, offset);
    if (before != null && before != offset) {
      problems.add("ACCEPTED " + status + ": " + stream + " " + id + " at " + offset
          + ", earlier at " + before);
    }
  }

  /** One sender: back to back, to the recipients of the current group, retrying until ACCEPTED. */
  private final class Sender implements Runnable {
    final String eid;
    final int home;
    final Random random;
    /** message_id → message, unanswered, in sending order. */
    final Map<String, Message> outstanding = new LinkedHashMap<>();
    final ArrayDeque<Message> resend = new ArrayDeque<>();
    /** The last messages answered, oldest first. */
    final ArrayDeque<Message> answered = new ArrayDeque<>();
    long next;
    int turn;
    String node = "";

    Sender(int i) {
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
          c = login(home + (c == null ? 0 : 1 + random.nextInt(2)), eid, "phone");
          if (c == null) {
            sleep(500);
            continue;
          }
          node = c.welcome().getIdentity().getNode();
          resend.clear();
          for (Message m : answered) { // as if their answers were lost: each must be a 208
            outstanding.put(m.getMessageId(), m);
          }
          answered.clear();
          resend.addAll(outstanding.values()); // fate unknown: the same message_id again
        }
        while (!resend.isEmpty()) {
          retries.incrementAndGet();
          c.send(resend.poll());
        }
        while (sending && outstanding.size() < WINDOW) {
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
        MessagePeerAckSignal a = f.getAck();
        Message m = outstanding.get(a.getMessageId());
        if (m == null) {
          continue; // answered on an earlier connection too
        }
        int status = a.getStatusCode();
        if (status == 200 || status == 208) {
          outstanding.remove(a.getMessageId());
          answered.addLast(m);
          if (answered.size() > RECIPIENTS / GROUPS) {
            answered.removeFirst();
          }
          if (status == 208) {
            duplicates.incrementAndGet();
          } else if (stalled) {
            acceptedInStall.incrementAndGet();
          }
          String s = stream(eid, m.getTo().getEid());
          acceptedAt(s, m.getMessageId(), a.getPeer().getOffset(), status);
          how.put(m.getMessageId(), status + " via " + node + " at " + java.time.LocalTime.now());
          saw(s, a.getPeer().getOffset(), m.getMessageId(), "ACCEPTED " + status);
        } else if (status == 503 || status == 429) {
          sleep(20);
          resend.add(m);
        } else {
          outstanding.remove(a.getMessageId());
          problems.add(eid + ": " + m.getMessageId() + " answered " + status);
        }
      }
      if (c != null) {
        c.close();
      }
    }

    private Message nextMessage() {
      int group = (int) ((System.currentTimeMillis() - phaseStart) / PHASE_MS) % GROUPS;
      int perGroup = RECIPIENTS / GROUPS;
      String to = "r" + (group * perGroup + turn++ % perGroup);
      byte[] body = new byte[200 + random.nextInt(700)];
      random.nextBytes(body);
      return TestClient.message(eid + "-" + (++next), to)
          .setPayload(com.google.protobuf.ByteString.copyFrom(body)).build();
    }
  }

  /**
   * An online recipient: acknowledges DELIVERED for every push, checks that each stream's pushes
   * on one connection come at increasing offsets, and every few seconds pulls a stream's recent
   * messages (whose bodies the bucket no longer holds).
   */
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
      long nextPull = System.currentTimeMillis() + 2000;
      while (!stopped) {
        if (c == null || c.isClosed()) {
          if (c != null) {
            c.close();
            reconnects.incrementAndGet();
          }
          c = login(home + (c == null ? 0 : 1 + random.nextInt(2)), eid, "phone");
          lastPushed.clear(); // a new session: its pushes start anywhere
          if (c == null) {
            sleep(500);
            continue;
          }
        }
        if (System.currentTimeMillis() > nextPull && !lastPushed.isEmpty()) {
          nextPull = System.currentTimeMillis() + 1000 + random.nextInt(2000);
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
          continue; // pull answers, SYNC hints (the final pull covers every gap)
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
        saw(s, offset, m.getMessageId(), "pushed");
        Long last = lastPushed.put(s, offset);
        if (last != null && offset <= last) {
          problems.add(eid + ": on " + s + " pushed " + offset + " after " + last);
        }
        c.send(TestClient.ack(AckMethod.DELIVERED, m.getMessageId(), from, eid, offset)
            .build());
      }
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void everyAcceptedMessageIsStoredOnceInOrderWithBothBoundsAtTheirExtreme() throws Exception {
    List<JsonObject> configs = TestNode.clusterConfigs(3);
    String url = TestPostgres.newDatabase();
    for (JsonObject c : configs) {
      c.put("storage", TestPostgres.storage(url).put("hotWindow", 16).put("hotWindowBytes", 64 * 1024)
          .put("maxStreamsInMemory", 64)
          .put("acceptAfter", "replicate")
          // what a dead node left unwritten is written by the owners after 10 x flushMs: 20 s,
          // after the senders sent again what they had sent through it
          .put("flushMs", 2_000));
      c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      nodes[i] = start(configs.get(i));
    }
    long startedAt = System.nanoTime();

    List<Thread> threads = new ArrayList<>();
    phaseStart = System.currentTimeMillis();
    for (int i = 0; i < SENDERS; i++) {
      threads.add(new Thread(new Sender(i), "sender-" + i));
    }
    for (int i = 0; i < RECIPIENTS; i += 2) { // the odd ones stay offline
      threads.add(new Thread(new Recipient(i), "recipient-" + i));
    }
    List<Thread> senders = threads.subList(0, SENDERS);
    threads.forEach(Thread::start);

    Thread.sleep(14_000);
    nodes[2].kill(); // a third of the buckets lose their owner
    Thread.sleep(8_000);
    nodes[2] = start(configs.get(2)); // rejoins: buckets move to it (copies of the others')
    Thread.sleep(6_000);
    // the database stops taking writes and a node dies meanwhile, just before the senders turn
    // to the next group: what they send again is the last their streams get for a while
    long now = System.currentTimeMillis();
    long turn = phaseStart + ((now - phaseStart) / PHASE_MS + 1) * PHASE_MS;
    Thread.sleep(Math.max(0, turn - 1_200 - now));
    CompletableFuture<Void> stall = stallWrites(url, 3_000);
    stalled = true;
    Thread.sleep(1_000);
    nodes[0].kill();
    stalled = false;
    stall.get(30, TimeUnit.SECONDS);
    Thread.sleep(11_000);
    sending = false;
    for (Thread t : senders) {
      t.join(SETTLE.toMillis());
      assertTrue(!t.isAlive(), t.getName() + " still has messages unanswered");
    }
    Thread.sleep(2_000); // the last pushes
    stopped = true;
    for (Thread t : threads) {
      t.join(10_000);
    }
    long runEnd = System.nanoTime();

    // every stream pulled from the start, on a live node
    int total = 0;
    for (int r = 0; r < RECIPIENTS; r++) {
      String to = "r" + r;
      TestClient c = TestClient.login(vertx, Transport.TCP, nodes[1], to, "audit");
      try {
        for (int s = 0; s < SENDERS; s++) {
          String from = "s" + s;
          total += audit(c, from, to);
        }
      } finally {
        c.close();
      }
    }
    long[] counts = storeCounts();
    long acceptedCount = accepted.values().stream().mapToLong(Map::size).sum();
    System.out.printf("BoundedMemoryFailoverIT: %d messages accepted (%d while the database "
        + "stalled), %d stored, %d pushes, %d pulled while running, %d sent again, %d answered "
        + "208, %d reconnects, %d streams read back, %d forgotten; nodes up in %d s, run %d s, "
        + "audit %d s%n", acceptedCount, acceptedInStall.get(), total, pushes.get(),
        pulled.get(), retries.get(), duplicates.get(), reconnects.get(), counts[0], counts[1],
        TimeUnit.NANOSECONDS.toSeconds(startedAt - t0),
        TimeUnit.NANOSECONDS.toSeconds(runEnd - startedAt),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - runEnd));
    if (!problems.isEmpty()) {
      dump(url);
    }
    assertEquals(List.of(), problems.subList(0, Math.min(20, problems.size())));
    assertEquals(acceptedCount, total, "every stored message was ACCEPTED, none twice");
    assertTrue(acceptedCount > 1000, "enough traffic: " + acceptedCount);
  }

  /**
   * Holds a lock on the message and stream tables that lets reads through (the nodes' id checks
   * and stream loads) but blocks every write for {@code ms}: a stalled database. Returns once
   * the lock is held; the future completes when it is let go.
   */
  private static CompletableFuture<Void> stallWrites(String url, long ms) {
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> done = TestPostgres.lockWrites(url, release);
    CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS).execute(release::countDown);
    return done;
  }

  /** Prints what the database holds of the first streams with a problem. */
  private void dump(String url) throws Exception {
    String db = url.substring(url.lastIndexOf('/') + 1);
    Set<String> streams = new TreeSet<>();
    for (String p : problems) {
      streams.add(p.substring(0, p.indexOf(':')));
    }
    try (Connection c = TestPostgres.server().getDatabase("postgres", db).getConnection();
         PreparedStatement q = c.prepareStatement("SELECT msg_offset, message_id, accepted_at "
             + "FROM phoenix_messages WHERE from_eid = ? AND to_eid = ? ORDER BY 1")) {
      for (String st : streams.stream().limit(3).toList()) {
        System.out.println("stored in " + st + " (offset, message_id, accepted_at, answer):");
        q.setString(1, st.substring(0, st.indexOf("->")));
        q.setString(2, st.substring(st.indexOf("->") + 2));
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            System.out.println("  " + rs.getLong(1) + " " + rs.getString(2) + " "
                + java.time.Instant.ofEpochMilli(rs.getLong(3)) + " " + how.get(rs.getString(2)));
          }
        }
      }
    }
  }

  /** Streams read back from the database and forgotten, summed over the live nodes. */
  private long[] storeCounts() throws Exception {
    long[] out = new long[2];
    for (NodeProcess n : nodes) {
      if (n == null || !n.isAlive()) {
        continue;
      }
      String text = io.phoenix.testing.Http.get("http://127.0.0.1:" + n.httpPort() + "/metrics")
          .body();
      for (String line : text.split("\n")) {
        if (line.startsWith("phoenix_store_streams_loaded")) {
          out[0] += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        } else if (line.startsWith("phoenix_store_streams_evicted")) {
          out[1] += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return out;
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
    List<Long> missing = java.util.stream.LongStream.rangeClosed(1, head)
        .filter(o -> !stored.containsKey(o)).boxed().toList();
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
    Map<String, Long> acked = accepted.getOrDefault(s, Map.of());
    acked.forEach((id, o) -> {
      if (!id.equals(stored.get(o))) {
        problems.add(s + ": ACCEPTED " + id + " at " + o + ", stored there: " + stored.get(o)
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
}

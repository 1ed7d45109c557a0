package io.phoenix.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phoenix.protocol.v1.AckMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Several streams at once, each sent back to back, counted push by push (issue 9): for each
 * stream i a sender {@code s<i>} sends {@code n} chat messages from its device "main" without
 * waiting for answers; its recipient {@code r<i>} acknowledges DELIVERED for every message it
 * is pushed; the sender's second device "other" gets the copies. Then, on every device:
 * ACCEPTED answers 1..n in the order sent, every push and copy at offsets 1..n in order, every
 * forwarded DELIVERED moving forward up to n, and no SYNC hint — nobody pulls or syncs.
 *
 * <p>{@link Login} places each device on a node: the sender's main device on {@code senderNode},
 * the recipient on {@code recipientNode}, the sender's other device on {@code copyNode}.
 */
public final class PushOrderScenario {
  /** Opens a session for {@code eid}/{@code resource} on node number {@code node}. */
  @FunctionalInterface
  public interface Login {
    TestClient login(int node, String eid, String resource);
  }

  private static final Duration QUIET = Duration.ofSeconds(30);

  private PushOrderScenario() {}

  public static void run(Login login, int streams, int n, int senderNode, int recipientNode,
      int copyNode) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    List<TestClient> clients = new ArrayList<>();
    ExecutorService readers = Executors.newCachedThreadPool();
    try {
      List<TestClient> mains = new ArrayList<>();
      List<Future<?>> checks = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        String s = "s" + i + "-" + run;
        String r = "r" + i + "-" + run;
        TestClient recipient = login.login(recipientNode, r, "phone");
        TestClient other = login.login(copyNode, s, "other");
        TestClient main = login.login(senderNode, s, "main");
        clients.add(recipient);
        clients.add(other);
        clients.add(main);
        mains.add(main);
        checks.add(readers.submit(() -> {
          PushLedger l = new PushLedger(recipient, r + "/phone");
          l.readUntil(() -> l.lastMessage(s, r) == n, QUIET, m -> recipient.send(
              TestClient.ack(AckMethod.DELIVERED, m.getMessageId(), s, r,
                  m.getPeer().getOffset()).build()));
          assertEquals(n, l.messages(), r + " was pushed exactly the messages sent");
          return null;
        }));
        checks.add(readers.submit(() -> {
          PushLedger l = new PushLedger(other, s + "/other");
          l.readUntil(() -> l.lastMessage(s, r) == n && l.lastDelivered(s, r) == n, QUIET,
              m -> { });
          assertEquals(n, l.messages(), s + "/other got every copy once");
          return null;
        }));
        checks.add(readers.submit(() -> {
          PushLedger l = new PushLedger(main, s + "/main");
          l.readUntil(() -> l.accepted() == n && l.lastDelivered(s, r) == n, QUIET, m -> { });
          assertEquals(0, l.messages(), s + "/main is not sent its own messages");
          return null;
        }));
      }
      for (int k = 1; k <= n; k++) { // back to back, every stream at once
        for (int i = 0; i < streams; i++) {
          mains.get(i).send(TestClient.message("m" + k, "r" + i + "-" + run).build());
        }
      }
      for (Future<?> check : checks) {
        try {
          check.get(QUIET.toSeconds() * 4, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof AssertionError a) {
            throw a;
          }
          throw e;
        }
      }
    } finally {
      readers.shutdownNow();
      clients.forEach(TestClient::close);
    }
  }
}

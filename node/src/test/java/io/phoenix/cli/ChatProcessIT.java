package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.phoenix.client.PhoenixClient;
import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Message;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.ChatProcess;
import io.phoenix.testing.Http;
import io.phoenix.testing.Jwt;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code java -jar target/phoenix.jar chat} as a user runs it, against a node process: one
 * conversation per window, history at the start, commands, a terminal free of log lines,
 * one clear line for each refusal, and chats that go on after their node restarts, with its
 * database (offsets go on) or with an empty store (memory only: offsets start again). Skipped when the jar has not been built.
 */
class ChatProcessIT {
  @TempDir
  Path dir;
  private JsonObject config;
  private Path configFile;
  private NodeProcess node;
  private Vertx vertx;
  private final List<ChatProcess> chats = new ArrayList<>();
  private final List<PhoenixClient> clients = new ArrayList<>();

  @BeforeEach
  void startNode() throws Exception {
    assumeTrue(NodeProcess.jarExists(), "target/phoenix.jar is built by mvn package");
    config = TestNode.config();
    config.getJsonObject("tcp").put("port", TestNode.freePort());
    config.getJsonObject("http").put("port", TestNode.freePort());
    node = NodeProcess.start(dir, config);
    configFile = dir.resolve(config.getJsonObject("node").getString("id") + ".json");
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (ChatProcess c : chats) {
      c.close();
    }
    for (PhoenixClient c : clients) {
      c.close().await(10, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
  }

  private String server() {
    return "127.0.0.1:" + config.getJsonObject("tcp").getInteger("port");
  }

  /** {@code phoenix chat --config NODE --server NODE ARGS}. */
  private ChatProcess chat(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--config", configFile.toString(),
        "--server", server()));
    all.addAll(List.of(args));
    ChatProcess c = ChatProcess.start(dir, all.toArray(String[]::new));
    chats.add(c);
    return c;
  }

  private static String token(String eid) {
    long now = Jwt.nowSeconds();
    return Jwt.hs256(TestNode.SECRET, new JsonObject().put("sub", eid).put("iss", "phoenix")
        .put("iat", now).put("exp", now + 3600));
  }

  /** A library client in the test, its messages and ticks queued. */
  private PhoenixClient client(String eid, String resource, BlockingQueue<Message> messages,
      BlockingQueue<MessagePeerAckSignal> acks) throws Exception {
    PhoenixClient c = PhoenixClient.builder(vertx).endpoints("tcp://" + server())
        .token(token(eid)).resourceId(resource).onMessage(messages::add).onAck(acks::add)
        .build();
    clients.add(c);
    c.connect().await(30, TimeUnit.SECONDS);
    return c;
  }

  private static <T> T take(BlockingQueue<T> q) throws InterruptedException {
    T t = q.poll(ChatProcess.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(t != null, "nothing arrived within " + ChatProcess.TIMEOUT);
    return t;
  }

  /** A screen that holds only the chat's own lines: no log line ever reaches the terminal. */
  private static void assertOnlyChatLines(ChatProcess c) {
    for (String line : c.screenLines()) {
      assertTrue(line.startsWith("* ") || line.startsWith("["), () -> "not a chat line: " + line
          + "\n" + c.screen());
    }
    assertEquals("", c.stderr(), "nothing on stderr");
  }

  @Test
  void aWindowShowsItsConversationOnlyAndReadsOnlyWhatItShows() throws Exception {
    ChatProcess alice = chat("--as", "alice", "--to", "bob");
    alice.expectStarting("* connected to tcp://" + server() + " as alice (node ");
    alice.expect("* no earlier messages with bob");

    BlockingQueue<Message> none = new LinkedBlockingQueue<>();
    BlockingQueue<MessagePeerAckSignal> bobTicks = new LinkedBlockingQueue<>();
    BlockingQueue<MessagePeerAckSignal> carolTicks = new LinkedBlockingQueue<>();
    PhoenixClient bob = client("bob", "bob-phone", none, bobTicks);
    PhoenixClient carol = client("carol", "carol-phone", none, carolTicks);
    PhoenixClient alicePhone = client("alice", "alice-phone", new LinkedBlockingQueue<>(),
        new LinkedBlockingQueue<>());

    Future.all(carol.send("alice", "carol one"), carol.send("alice", "carol two"))
        .await(30, TimeUnit.SECONDS);
    alicePhone.send("dave", "for dave, from the phone").await(30, TimeUnit.SECONDS);
    alicePhone.send("bob", "for bob, from the phone").await(30, TimeUnit.SECONDS);
    bob.send("alice", "hi alice").await(30, TimeUnit.SECONDS);

    Pattern notice = Pattern.compile("\\* (\\d+) new from carol");
    alice.awaitScreen(lines -> lines.contains("[#1] you (other device): for bob, from the phone")
        && lines.contains("[#1] bob: hi alice")
        && lines.stream().map(notice::matcher).filter(Matcher::matches)
            .mapToInt(m -> Integer.parseInt(m.group(1))).sum() == 2,
        "bob's message, the copy of alice's, and a notice of carol's two");
    MessagePeerAckSignal read = take(bobTicks);
    while (read.getMethod() != AckMethod.READ_VALUE) {
      read = take(bobTicks);
    }
    assertEquals(1, read.getPeer().getOffset(), "bob's message was shown, so read");
    alice.type("/quit");
    assertEquals(0, alice.awaitExit());
    List<MessagePeerAckSignal> carols = new ArrayList<>();
    carolTicks.drainTo(carols);
    assertTrue(carols.stream().anyMatch(t -> t.getMethod() == AckMethod.DELIVERED_VALUE),
        "carol's messages reached alice's device: " + carols);
    assertTrue(carols.stream().noneMatch(t -> t.getMethod() == AckMethod.READ_VALUE),
        "never marked read: " + carols);
    String screen = alice.screen();
    assertFalse(screen.contains("carol one") || screen.contains("dave"), screen);
    assertOnlyChatLines(alice);
    String metrics = Http.get("http://127.0.0.1:" + node.httpPort() + "/metrics").body();
    assertFalse(metrics.contains("status=\"403\""), "the chat acknowledged nothing it may not");
  }

  @Test
  void aChatStartsWithTheLastMessagesAndKnowsItsCommands() throws Exception {
    ChatProcess alice = chat("--as", "alice", "--to", "bob");
    ChatProcess bob = chat("--as", "bob", "--to", "alice");
    alice.expect("* no earlier messages with bob");
    bob.expect("* no earlier messages with alice");
    alice.type("one");
    bob.expect("[#1] alice: one");
    alice.expect("[#1 read] you: one");
    bob.type("two");
    alice.expect("[#1] bob: two");

    alice.type("/help");
    alice.expect("* /history N   show the last N messages with bob");
    alice.expect("* /quit        leave (or Ctrl-D)");
    alice.expectStarting("* log: " + dir.resolve("phoenix-chat-alice.log"));
    alice.type("/frobnicate now");
    alice.expectStarting("* unknown command /frobnicate (/help lists them");
    alice.type("//slash");
    bob.expect("[#2] alice: /slash"); // the unknown command was not sent: this is #2
    alice.expect("[#2 read] you: /slash");
    alice.type("/quit");
    assertEquals(0, alice.awaitExit());
    assertTrue(Files.size(dir.resolve("phoenix-chat-alice.log")) > 0, "the chat's log is empty");

    ChatProcess again = chat("--as", "alice", "--to", "bob", "--history", "2");
    again.expect("* last 2 messages with bob:");
    again.expect("[#1] bob: two");
    again.expect("[#2 ✓✓] you: /slash");
    bob.type("three");
    again.expect("[#2] bob: three");
    again.type("/history 3");
    again.expect("* last 3 messages with bob:");
    again.expect("[#1] bob: two");
    again.expect("[#2 ✓✓] you: /slash");
    again.expect("[#2] bob: three");
    again.type("/history x");
    again.expectStarting("* usage: /history N");
    assertEquals(0, again.endInput());
    assertEquals(0, bob.endInput());
    assertOnlyChatLines(alice);
    assertOnlyChatLines(again);
    assertOnlyChatLines(bob);
  }

  @Test
  void refusedTokensAndAnUnreachableNodeGetOneLineEach() throws Exception {
    ChatProcess wrong = chat("--as", "alice", "--to", "bob", "--token", "not-a-token");
    String refused = wrong.expectStarting("* could not connect: connection failed: Goodbye 401 ");
    assertTrue(refused.endsWith("(the node refused --token: get a valid one for alice with "
        + "`java -jar target/phoenix.jar token --config FILE alice` using the node's config)"),
        refused);
    assertEquals(1, wrong.awaitExit(), "it leaves by itself");
    assertOnlyChatLines(wrong);

    ChatProcess other = chat("--as", "alice", "--to", "bob", "--token", token("bob"));
    assertEquals(2, other.awaitExit());
    assertEquals("--token is for bob, not for alice: get one for alice with `java -jar "
        + "target/phoenix.jar token alice` (add --config FILE for another node), or leave out "
        + "--token", other.stderr());
    assertEquals(List.of(), other.screenLines(), "refused before chatting");

    JsonObject otherSecret = config.copy();
    otherSecret.getJsonObject("auth").put("jwtSecret", "another-secret-0123456789abcdef0123");
    Path otherConfig = Files.writeString(dir.resolve("other.json"), otherSecret.encode());
    ChatProcess signed = ChatProcess.start(dir, "--config", otherConfig.toString(),
        "--server", server(), "--as", "alice", "--to", "bob");
    chats.add(signed);
    assertTrue(signed.expectStarting("* could not connect: connection failed: Goodbye 401 ")
        .contains("(the node refused the token signed with the secret of --config"),
        signed::screen);
    assertEquals(1, signed.awaitExit());

    int nobody = TestNode.freePort();
    ChatProcess unreachable = ChatProcess.start(dir, "--config", configFile.toString(),
        "--server", "127.0.0.1:" + nobody, "--as", "alice", "--to", "bob");
    chats.add(unreachable);
    unreachable.expect("* connecting to tcp://127.0.0.1:" + nobody + "…");
    String line = unreachable.expectStarting("* cannot reach tcp://127.0.0.1:" + nobody + " (");
    assertTrue(line.endsWith("is the node running there? Retrying (every 1 s, doubling up to "
        + "30 s); /quit to leave"), line);
    // the attempts after 1, 2 and 4 s fail for the same reason: no more lines about it
    List<String> meanwhile = unreachable.watch(Duration.ofSeconds(8));
    assertEquals(List.of(), meanwhile, "one line per reason, not one per attempt");
    unreachable.type("/quit");
    assertEquals(0, unreachable.awaitExit());
    assertOnlyChatLines(unreachable);
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded", "memory"})
  void chatsGoOnAfterTheirNodeRestarts(String storage) throws Exception {
    if (storage.equals("memory")) {
      node.terminate();
      config.put("storage", new JsonObject().put("type", "memory"));
      node = NodeProcess.start(dir, config);
    }
    boolean kept = !storage.equals("memory");
    ChatProcess alice = chat("--as", "alice", "--to", "bob");
    ChatProcess bob = chat("--as", "bob", "--to", "alice");
    alice.expect("* no earlier messages with bob");
    bob.expect("* no earlier messages with alice");
    for (int i = 1; i <= 70; i++) {
      bob.type("line " + i);
    }
    alice.expect("[#70] bob: line 70");
    bob.expect("[#70 read] you: line 70");

    assertEquals(0, node.terminate());
    alice.expectStarting("* reconnecting… (lost tcp://" + server() + ": Goodbye 503");
    bob.expectStarting("* reconnecting… (lost tcp://" + server() + ": Goodbye 503");
    node = NodeProcess.start(dir, config);
    String storeIsNew = "* the node's store is new (it kept nothing): earlier messages are gone "
        + "and offsets start again at #1";
    for (ChatProcess c : List.of(alice, bob)) {
      c.expectStarting("* connected to tcp://" + server());
      if (!kept) {
        c.expect(storeIsNew);
      }
    }
    long first = kept ? 71 : 1;
    for (int i = 1; i <= 4; i++) {
      bob.type("after " + i);
    }
    for (int i = 1; i <= 4; i++) {
      alice.expect("[#" + (first + i - 1) + "] bob: after " + i);
    }
    bob.expect("[#" + (first + 3) + " read] you: after 4");
    alice.type("still here");
    bob.expect("[#1] alice: still here");
    alice.expect("[#1 read] you: still here");
    assertEquals(0, alice.endInput());
    assertEquals(0, bob.endInput());
    assertEquals(!kept, alice.screenLines().contains(storeIsNew));
    assertOnlyChatLines(alice);
    assertOnlyChatLines(bob);
  }
}

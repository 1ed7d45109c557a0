package io.phoenix.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phoenix.protocol.v1.AckMethod;
import io.phoenix.protocol.v1.Frame;
import io.phoenix.protocol.v1.MessagePeerAckSignal;
import io.phoenix.testing.FailoverTraffic;
import io.phoenix.testing.JarCommand;
import io.phoenix.testing.JarCommand.Result;
import io.phoenix.testing.NodeProcess;
import io.phoenix.testing.NodeProcesses;
import io.phoenix.testing.TestClient;
import io.phoenix.testing.TestNode;
import io.phoenix.testing.TestPostgres;
import io.phoenix.testing.Transport;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code phoenix copy-store}, run as the jar: a single node on the embedded default stores
 * messages on three streams and takes a DELIVERED and a READ; it is stopped, its database is
 * copied into PostgreSQL, and a cluster of two nodes on that database serves the same history:
 * the same epoch in Welcome, the same streams and positions in SYNC, every message pulled at
 * its offset byte for byte, an old message_id sent again detected as a duplicate at its offset,
 * and a new message at the next offset. Copying from a node's database while the node runs,
 * and copying another store into the copy, are refused with one line each.
 */
class CopyStoreIT {
  @TempDir
  Path dir;
  @RegisterExtension
  final NodeProcesses processes = new NodeProcesses();

  @Test
  void aSingleNodesStoreCopiedIntoPostgresServesItsWholeHistoryToACluster() throws Exception {
    JsonObject single = embedded("db");
    Path fromFile = Files.writeString(dir.resolve("from.json"), single.encodePrettily());
    String url = TestPostgres.newDatabase();
    List<JsonObject> cluster = FailoverTraffic.onPostgres(2, url, 1);
    Path toFile = Files.writeString(dir.resolve("to.json"), cluster.get(0).encodePrettily());

    NodeProcess one = start(single);
    // S(alice -> bob) 30 messages, S(carol -> bob) 5, S(alice -> dave) 3
    Map<String, Map<Long, String>> sent = new TreeMap<>();
    String epoch;
    try (TestClient alice = login(one, "alice");
         TestClient carol = login(one, "carol")) {
      sendAll(alice, "bob", 30, sent);
      sendAll(carol, "bob", 5, sent);
      sendAll(alice, "dave", 3, sent);
      try (TestClient bob = login(one, "bob")) {
        bob.send(TestClient.ack(AckMethod.DELIVERED, "d20", "alice", "bob", 20).build());
        bob.send(TestClient.ack(AckMethod.READ, "r10", "alice", "bob", 10).build());
        assertEquals(List.of("alice:bob:30:20", "carol:bob:5:0"), listed(bob.sync("s1")));
        epoch = bob.welcome().getEpoch();
      }
    }
    Result inUse = copyStore("--from", fromFile.toString(), "--to", toFile.toString());
    assertEquals(1, inUse.exit(), inUse::text);
    assertTrue(inUse.text().contains("in use by another process"), inUse::text);
    assertEquals(0, one.terminate());

    Result copy = copyStore("--from", fromFile.toString(), "--to", toFile.toString());
    assertEquals(0, copy.exit(), copy::text);
    assertTrue(copy.text().contains("copied 3 streams and 38 messages from the embedded "
        + "database in"), copy::text);
    assertTrue(copy.text().contains("epoch " + epoch), copy::text);

    NodeProcess first = start(cluster.get(0));
    NodeProcess second = start(cluster.get(1));
    try (TestClient bob = login(second, "bob");
         TestClient dave = login(first, "dave");
         TestClient alice = login(first, "alice")) {
      assertEquals(epoch, bob.welcome().getEpoch(), "clients keep their cursors");
      assertEquals(List.of("alice:bob:30:20", "carol:bob:5:0"), listed(bob.sync("s2")));
      assertEquals(sent.get("alice->bob"), pull(bob, "alice", "bob"));
      assertEquals(sent.get("carol->bob"), pull(bob, "carol", "bob"));
      assertEquals(sent.get("alice->dave"), pull(dave, "alice", "dave"));

      MessagePeerAckSignal again = alice.sendAndAwaitAccepted(TestClient.message("alice-bob-5",
          "bob").build());
      assertEquals(208, again.getStatusCode(), again::toString);
      assertEquals(5, again.getPeer().getOffset());
      MessagePeerAckSignal next = alice.sendAndAwaitAccepted(TestClient.message("alice-bob-31",
          "bob").build());
      assertEquals(200, next.getStatusCode(), next::toString);
      assertEquals(31, next.getPeer().getOffset());
    }

    // another store (another epoch) into the copy: refused, the copy left as it is
    JsonObject otherConfig = embedded("other");
    NodeProcess other = start(otherConfig);
    try (TestClient erin = login(other, "erin")) {
      sendAll(erin, "bob", 1, new TreeMap<>());
    }
    assertEquals(0, other.terminate());
    Path otherFile = Files.writeString(dir.resolve("other.json"), otherConfig.encodePrettily());
    Result refused = copyStore("--from", otherFile.toString(), "--to", toFile.toString());
    assertEquals(1, refused.exit(), refused::text);
    assertTrue(refused.text().contains("holds streams of another store"), refused::text);
    assertEquals(1, refused.text().strip().lines().count(), refused::text);
  }

  @Test
  void aMissingDatabaseAMemoryStoreAndTheSameStoreAreOneLineEach() throws Exception {
    Path missing = Files.writeString(dir.resolve("missing.json"),
        embedded("nothing-here").encodePrettily());
    Path memory = Files.writeString(dir.resolve("memory.json"), TestNode.config()
        .put("storage", new JsonObject().put("type", "memory")).encodePrettily());
    Path target = Files.writeString(dir.resolve("target.json"),
        embedded("target").encodePrettily());

    Result none = copyStore("--from", missing.toString(), "--to", target.toString());
    assertEquals(1, none.exit(), none::text);
    assertTrue(none.text().contains("no database in"), none::text);
    Result fromMemory = copyStore("--from", memory.toString(), "--to", target.toString());
    assertEquals(2, fromMemory.exit(), fromMemory::text);
    assertTrue(fromMemory.text().contains("--from: storage.type memory keeps nothing"),
        fromMemory::text);
    Result same = copyStore("--from", target.toString(), "--to", target.toString());
    assertEquals(2, same.exit(), same::text);
    assertTrue(same.text().contains("name the same store"), same::text);
    Result noTarget = copyStore("--from", target.toString());
    assertEquals(2, noTarget.exit(), noTarget::text);
    assertTrue(noTarget.text().contains("--to"), noTarget::text);
    for (Result r : List.of(none, fromMemory, same)) {
      assertEquals(1, r.text().strip().lines().count(), r::text);
    }
    assertTrue(!Files.exists(dir.resolve("nothing-here")), "nothing made where nothing was");
  }

  /** A single node's configuration on an embedded database in {@code dir/name}. */
  private JsonObject embedded(String name) {
    JsonObject c = TestNode.config();
    c.getJsonObject("storage").put("path", dir.resolve(name).toString());
    c.getJsonObject("limits").put("messagesPerSecond", 1_000_000);
    return c;
  }

  private NodeProcess start(JsonObject config) throws Exception {
    NodeProcess n = NodeProcess.start(dir, config);
    processes.started().add(n);
    return n;
  }

  private TestClient login(NodeProcess node, String eid) {
    return TestClient.login(processes.vertx(), Transport.TCP, node, eid, "phone");
  }

  /** Sends {@code count} messages to {@code to}, each ACCEPTED at the next offset. */
  private static void sendAll(TestClient from, String to, int count,
      Map<String, Map<Long, String>> sent) {
    String eid = from.identity().getEid();
    for (int i = 1; i <= count; i++) {
      String id = eid + "-" + to + "-" + i;
      MessagePeerAckSignal a = from.sendAndAwaitAccepted(TestClient.message(id, to).build());
      assertEquals(200, a.getStatusCode(), a::toString);
      assertEquals(i, a.getPeer().getOffset());
      sent.computeIfAbsent(eid + "->" + to, k -> new TreeMap<>()).put((long) i,
          id + " hello " + id);
    }
  }

  /** SYNC's entries as "from:to:head:acknowledged", in the order of the senders. */
  private static List<String> listed(List<MessagePeerAckSignal> entries) {
    return entries.stream().map(s -> s.getPeer().getFrom() + ":" + s.getPeer().getTo() + ":"
        + s.getPeer().getOffset() + ":" + s.getPeer().getPeerOffset()).sorted().toList();
  }

  /** Every message of S(from -> to), pulled from offset 0: offset -> "id payload". */
  private static Map<Long, String> pull(TestClient c, String from, String to) {
    c.send(TestClient.ack(AckMethod.PULL_REQUEST, "p-" + from, from, to, 0).build());
    Map<Long, String> out = new TreeMap<>();
    while (true) {
      Frame f = c.next();
      if (f.getBodyCase() == Frame.BodyCase.MESSAGE
          && f.getMessage().getTransmissionMode() == 1) {
        out.put(f.getMessage().getPeer().getOffset(), f.getMessage().getMessageId() + " "
            + f.getMessage().getPayload().toStringUtf8());
      } else if (f.getBodyCase() == Frame.BodyCase.ACK
          && f.getAck().getMethod() == AckMethod.PULL_REQUEST_VALUE) {
        assertEquals(200, f.getAck().getStatusCode(), f.getAck()::toString);
        return out;
      }
    }
  }

  /** Runs {@code phoenix copy-store} with {@code args}; stdout and stderr together. */
  private Result copyStore(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("copy-store"));
    command.addAll(List.of(args));
    return JarCommand.run(dir, "", 120, command.toArray(String[]::new));
  }
}

package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.core.HazelcastInstance;
import io.phoenix.cluster.Directory;
import io.phoenix.cluster.Directory.Device;
import io.phoenix.stream.log.RocksDbMessageLog;
import io.phoenix.testing.LoneMember;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The removal of a departed node's devices, through a real Hazelcast member. A member that was
 * apart from the cluster (frozen, or cut off, past the member timeout) sees every other member
 * leave and asks for their devices to be removed; that request may reach the cluster only after
 * the member merged back into it, where the others never left and their sessions are live.
 * Such a request, made by a member the cluster does not have, removes nothing; one made by a
 * member of the cluster does.
 */
class RemoveNodeTest {
  @TempDir
  Path dir;

  private HazelcastInstance hz;
  private Vertx vertx;
  private StreamPipeline store;

  @AfterEach
  void tearDown() throws Exception {
    if (store != null) {
      store.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (hz != null) {
      hz.shutdown();
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void onlyAMemberOfTheClusterRemovesADepartedNodesDevices() throws Exception {
    hz = LoneMember.start("n1", "embedded");
    vertx = Vertx.vertx();
    store = LoneMember.pipeline(vertx, hz, RocksDbMessageLog.open(dir.resolve("db")), true,
        new LoneMember.CountingMeter());
    int eids = 200; // every bucket holds some
    for (int i = 0; i < eids; i++) {
      String session = Directory.newSessionId("run2", System.currentTimeMillis());
      await(store.register(new Device("user-" + i, "phone", "node-2", session)));
    }

    String apart = UUID.randomUUID().toString(); // a member this cluster does not have
    assertEquals(0, await(store.removeNode("node-2", "run2", apart)));
    for (int i = 0; i < eids; i++) {
      assertEquals(1, await(store.devices("user-" + i)).size(), "user-" + i + " kept");
    }

    String member = hz.getCluster().getLocalMember().getUuid().toString();
    assertEquals(eids, await(store.removeNode("node-2", "run2", member)));
    for (int i = 0; i < eids; i++) {
      assertEquals(List.of(), await(store.devices("user-" + i)));
    }
  }
}

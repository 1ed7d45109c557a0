package io.phoenix.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import io.phoenix.stream.StreamPipeline.Stage;
import io.phoenix.stream.StreamStore.AppendResult;
import io.phoenix.stream.log.MessageLog;
import io.phoenix.stream.log.PostgresMessageLog;
import io.phoenix.stream.log.RocksDbMessageLog;
import io.phoenix.testing.LoneMember;
import io.phoenix.testing.TestPostgres;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One new message in {@link StreamPipeline#STAGE_SAMPLE} has its way through the pipeline timed
 * stage by stage, for the node's metrics: every stage once, none negative, adding up to no more
 * than the append took; the commit stage is the commit's wait where ACCEPTED awaits one, and
 * nothing where the cluster's memory is the only store. PostgreSQL's id lookups run on a thread
 * of their own, and are timed too.
 */
class StageTimingTest {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "store: {0}")
  @ValueSource(strings = {"embedded", "postgresql", "memory"})
  void sampledAppendsReportEveryStage(String type) throws Exception {
    boolean durable = !type.equals("memory");
    HazelcastInstance hz = LoneMember.start("n1", type);
    Vertx vertx = Vertx.vertx();
    MessageLog db = switch (type) {
      case "embedded" -> RocksDbMessageLog.open(dir.resolve("db"));
      case "postgresql" -> PostgresMessageLog.open(TestPostgres.newDatabase(), TestPostgres.USER,
          TestPostgres.PASSWORD, 2);
      default -> null;
    };
    LoneMember.CountingMeter meter = new LoneMember.CountingMeter();
    StreamPipeline store = new StreamPipeline(vertx, hz.getMap(StreamPipeline.MAP_NAME),
        hz.getPartitionService(), db,
        new StreamPipeline.Settings("n1", durable, 100, Long.MAX_VALUE,
            Integer.MAX_VALUE, 60_000, 1_000_000, 3_600_000, 10_000,
            120_000, 5_000, 64),
        meter, durable ? db.epoch() : "memory-epoch");
    int appends = 4 * StreamPipeline.STAGE_SAMPLE;
    try {
      long slowest = 0;
      for (int i = 1; i <= appends; i++) {
        long start = System.nanoTime();
        AppendResult r = LoneMember.append(vertx, store, "m" + i).get(30, TimeUnit.SECONDS);
        slowest = Math.max(slowest, System.nanoTime() - start);
        assertEquals(AppendResult.Outcome.STORED, r.outcome());
        assertEquals(i, r.offset());
      }
      // 64 appends in a row: four of them sampled, whatever the first request's number
      assertEquals(4, meter.stages.size());
      for (long[] nanos : meter.stages) {
        assertEquals(Stage.values().length, nanos.length);
        long total = 0;
        for (long n : nanos) {
          assertTrue(n >= 0, () -> java.util.Arrays.toString(nanos));
          total += n;
        }
        assertTrue(total > 0 && total <= slowest, "the stages add up to at most the append");
        if (durable) {
          assertTrue(nanos[Stage.COMMIT.ordinal()] > 0, "ACCEPTED waited for the commit");
          assertTrue(nanos[Stage.ID_CHECK.ordinal()] > 0, "the id was looked up");
        } else {
          assertEquals(0, nanos[Stage.COMMIT.ordinal()], "no commit to wait for");
          assertEquals(0, nanos[Stage.ID_CHECK.ordinal()], "no database to look ids up in");
        }
      }
    } finally {
      store.close();
      vertx.close().await(10, TimeUnit.SECONDS);
      hz.shutdown();
    }
  }
}

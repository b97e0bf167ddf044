package io.lakeops.jobs.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lakeops.jobs.ExitCode;
import io.lakeops.testing.SparkTestBase;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * {@code lakeops.job_runs} on the shared session: one row per (job, run id), also when starts of
 * one run id race (both find no row; Delta's application transaction id lets only one append
 * commit, the other merges), and runs of different ids started at once each get their row.
 */
class JobRunLogTest extends SparkTestBase {

  private static final String TABLE = "job_run_log_test.job_runs";
  private static final LocalDate DAY = LocalDate.of(2025, 3, 1);

  private static JobRunLog log() {
    JobRunLog log = new JobRunLog(spark(), TABLE);
    log.ensureTable();
    return log;
  }

  private static List<Row> rows(String runId) {
    return spark().table(TABLE).where("run_id = '" + runId + "'").collectAsList();
  }

  /** Runs {@code starts} threads that each call {@code started} at one instant. */
  private static void startTogether(JobRunLog log, List<String> runIds) throws Exception {
    CyclicBarrier barrier = new CyclicBarrier(runIds.size());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (String runId : runIds) {
      all.add(CompletableFuture.runAsync(() -> {
        try {
          barrier.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        log.started("ingest", runId, DAY, Instant.now(), "hash", "test");
      }));
    }
    for (CompletableFuture<Void> f : all) {
      f.get();
    }
  }

  @Test
  void twoStartsOfOneRunIdAtOnceLeaveOneRowAtAttemptTwo() throws Exception {
    JobRunLog log = log();
    for (int race = 0; race < 3; race++) {
      String runId = "race_" + race;
      startTogether(log, List.of(runId, runId));
      List<Row> rows = rows(runId);
      assertEquals(1, rows.size(), "one row for run id " + runId + ": " + rows);
      assertEquals(2, (int) rows.get(0).getAs("attempt"), "the second start counts as a retry");
      assertEquals(JobRunLog.RUNNING, rows.get(0).getAs("status"));
    }
  }

  @Test
  void startsOfDifferentRunIdsAtOnceEachGetTheirRowAndFinishUpdatesOnlyItsOwn() throws Exception {
    JobRunLog log = log();
    List<String> ids = List.of("many_a", "many_b", "many_c", "many_d");
    startTogether(log, ids);
    for (String id : ids) {
      assertEquals(1, rows(id).size(), id);
      assertEquals(1, (int) rows(id).get(0).getAs("attempt"));
    }
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    log.finished(new JobResult("ingest", "many_b", DAY, ExitCode.OK, start, start.plusSeconds(3),
        OptionalLong.of(10), OptionalLong.of(9), "hash", "done", Map.of()), "test");
    Row b = rows("many_b").get(0);
    assertEquals("SUCCEEDED", b.getAs("status"));
    assertEquals(3000L, (long) b.getAs("duration_ms"));
    assertEquals(1, (int) b.getAs("attempt"));
    for (String id : List.of("many_a", "many_c", "many_d")) {
      assertEquals(JobRunLog.RUNNING, rows(id).get(0).getAs("status"), id);
    }
    // A retry of the finished run starts its one row over.
    log.started("ingest", "many_b", DAY, Instant.now(), "hash", "test");
    assertEquals(1, rows("many_b").size());
    assertEquals(2, (int) rows("many_b").get(0).getAs("attempt"));
    assertEquals(JobRunLog.RUNNING, rows("many_b").get(0).getAs("status"));
  }
}

package io.lakeops.jobs.reliability;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.jobs.JobProcess;
import io.lakeops.jobs.Launch;
import io.lakeops.jobs.ProcessRun;
import io.lakeops.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 during the writes of each job that writes. A job JVM is started directly (no shell
 * between, so the SIGKILL hits the writer), and killed at a point drawn from a seed over its write
 * window: from the run's first commit ({@code RUNNING} in {@code job_runs}) to a little after the
 * commit of the target table, as measured on an uninterrupted run. The seeds are stratified, so
 * the kills spread over the window. After each kill the target table holds either its previous
 * content or the complete new one (content digests), never a part; then the same command, run
 * again, exits 0 and leaves exactly the content of an uninterrupted run. The embedded Derby
 * metastore's lock file, left behind by the killed JVM, does not stop the rerun.
 *
 * <p>Adding a job: a test that prepares its input, names its command and target table, and calls
 * {@link #killAndRerun}.
 */
class KillNineIT {

  /** Generous: a job JVM takes 15 s on an idle machine, minutes on a busy one. */
  private static final Duration LIMIT = Duration.ofMinutes(6);
  private static final int SEEDS = 2;
  private static final Pattern RUN_RECORDED = Pattern.compile("Committed delta #\\d+ to \\S*/lakeops\\.db/job_runs/_delta_log");
  private static final LocalDate DAY1 = LocalDate.of(2025, 3, 1);

  @TempDir
  Path dir;

  private Path lakehouse() {
    return dir.resolve("lakehouse");
  }

  private Path table(String name) {
    return lakehouse().resolve("warehouse/features.db").resolve(name);
  }

  private List<String> args(String... jobArgs) {
    List<String> all = new ArrayList<>(List.of(jobArgs));
    all.addAll(List.of("-Dlakeops.lakehouse.root=" + lakehouse(),
        "-Dlakeops.features.definitions-dir=" + dir.resolve("defs"),
        "-Dlakeops.spark.local-master=local[2]", "-Dlakeops.spark.local-shuffle-partitions=2"));
    return all;
  }

  private ProcessRun run(List<String> args) throws Exception {
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      ProcessRun r = p.await(LIMIT);
      assertEquals(0, r.exitCode(), r.describe());
      return r;
    }
  }

  /** How long from {@code windowStart} to the target table's commit, on an uninterrupted run. */
  private Duration calibrate(List<String> args, Pattern windowStart, Path target) throws Exception {
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      Instant recorded = p.awaitLine(windowStart, LIMIT).orElseThrow(() -> new AssertionError(p.err()));
      Instant committed = p.awaitLine(commitOf(target), LIMIT).orElseThrow(() -> new AssertionError(p.err()));
      ProcessRun r = p.await(LIMIT);
      assertEquals(0, r.exitCode(), r.describe());
      // A little past the commit too: a kill after it must find the new content.
      Duration window = Duration.between(recorded, committed).multipliedBy(5).dividedBy(4);
      System.out.printf("kill -9 %s: write window %d ms%n", target.getFileName(), window.toMillis());
      return window;
    }
  }

  private Pattern commitOf(String lakehouseTable) {
    return commitOf(lakehouse().resolve("warehouse").resolve(lakehouseTable));
  }

  private static Pattern commitOf(Path table) {
    return Pattern.compile("Committed delta #\\d+ to \\S*" + Pattern.quote(table.toString()) + "/_delta_log");
  }

  /** What one kill left, for the assertions and the log. */
  record Fault(long seed, long delayMs, boolean killedAlive, boolean targetCommittedBeforeKill,
      TableDigest afterKill, TableDigest afterRerun, ProcessRun rerun) {}

  /**
   * Starts the job, kills it with SIGKILL {@code seed}'s point into the window, checks that the
   * target is at {@code before} or at the rerun's content, and runs the command again.
   */
  private Fault killAndRerun(List<String> args, Pattern windowStart, Path target, TableDigest before,
      int seed, Duration window) throws Exception {
    long delay;
    boolean alive;
    boolean committed;
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      ProcessHandle.Info info = ProcessHandle.of(p.pid()).orElseThrow().info();
      assertTrue(info.command().orElse("").endsWith("/java"), "the killed process is the JVM: " + info);
      Optional<Instant> recorded = p.awaitLine(windowStart, LIMIT);
      assertTrue(recorded.isPresent(), "the run never started writing:\n" + p.err());
      // Stratified: seed i falls in the i-th of SEEDS equal slices of the window.
      double u = (seed % SEEDS + new SplittableRandom(seed).nextDouble()) / SEEDS;
      delay = (long) (u * window.toMillis());
      Thread.sleep(Math.max(0, delay - Duration.between(recorded.get(), Instant.now()).toMillis()));
      committed = p.matches(commitOf(target));
      alive = p.kill();
    }
    TableDigest afterKill = TableDigest.of(target);
    assertTrue(Files.exists(lakehouse().resolve("metastore_db/db.lck")),
        "the killed JVM leaves Derby's lock file behind");
    ProcessRun rerun;
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      rerun = p.await(LIMIT);
    }
    assertEquals(0, rerun.exitCode(), "the rerun after a kill -9 (seed " + seed + ") must succeed: "
        + rerun.describe());
    TableDigest afterRerun = TableDigest.of(target);
    Fault f = new Fault(seed, delay, alive, committed, afterKill, afterRerun, rerun);
    System.out.printf("kill -9 %s seed %d at +%d ms: %s, target %s; table %s%n", target.getFileName(),
        seed, delay, alive ? "killed" : "had already ended", committed ? "committed" : "not committed",
        afterKill.equals(before) ? "at its previous version" : afterKill.equals(afterRerun)
            ? "at the complete new version" : "PARTIAL " + afterKill);
    assertTrue(afterKill.equals(before) || afterKill.equals(afterRerun),
        "after kill -9 at +" + delay + " ms (seed " + seed + ") " + target + " holds " + afterKill
            + ": neither the previous " + before + " nor the complete new " + afterRerun);
    if (committed) {
      assertEquals(afterRerun, afterKill, "the commit was logged before the kill");
    }
    return f;
  }

  // ------------------------------------------------------------------------------------ ingest

  @Test
  void ingestKilledDuringItsWritesLeavesThePreviousOrTheNewBatchAndARerunCompletesIt() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("batch.csv");
    Files.writeString(defs.resolve("ks_batch.conf"), group("ks_batch", source, "checks { max-rejected-share = 0.1 }"));
    // Two batches for the same date, as when a source is corrected and the date re-ingested.
    List<String> x = orders(1, 4, 100, 0);
    List<String> y = orders(2, 4, 150, 20);
    Path ingested = table("ks_batch_ingested");
    List<String> ingest = args("ingest", "--group", "ks_batch", "--run-date", "2025-03-05");

    // The window: from the commit before the ingested table's (validation results) to its commit.
    Pattern validated = commitOf("lakeops.db/validation_results");
    Files.write(source, x);
    Duration window = calibrate(ingest, validated, ingested);
    TableDigest dx = TableDigest.of(ingested);
    assertEquals(400, dx.rows());

    int kills = 0;
    int unfinished = 0;
    TableDigest dy = null;
    for (int seed = 0; seed < SEEDS; seed++) {
      boolean toY = seed % 2 == 0;
      Files.write(source, toY ? y : x);
      Fault f = killAndRerun(ingest, validated, ingested, toY ? dx : dy, seed, window);
      if (toY && dy == null) {
        dy = f.afterRerun();
        assertEquals(580, dy.rows(), "every accepted row of the new batch, once");
        assertNotEquals(dx, dy);
      }
      assertEquals(toY ? dy : dx, f.afterRerun(), "the rerun leaves what an uninterrupted run leaves");
      assertEquals(toY ? 20 : 0, SharedSpark.session().read().format("delta")
          .load(lakehouse().resolve("warehouse/lakeops.db/quarantine").toString())
          .where(col("group_name").equalTo("ks_batch")).count(), "quarantine rows of the date, once");
      kills += f.killedAlive() ? 1 : 0;
      unfinished += f.killedAlive() && !f.targetCommittedBeforeKill() ? 1 : 0;
    }
    assertRunningRowsOfKilledRuns("ingest", unfinished, kills);
  }

  // ------------------------------------------------------------------------------- materialize

  @Test
  void materializeKilledDuringItsMergeLeavesThePreviousOrTheNewDayAndARerunCompletesIt() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("orders.csv");
    Files.writeString(defs.resolve("ks_orders.conf"), group("ks_orders", source, AGGREGATES));
    List<String> orders = orders(3, 4, 150, 0);
    Files.write(source, orders);
    run(args("ingest", "--group", "ks_orders", "--run-date", "2025-03-04"));

    Path features = table("ks_orders");
    Duration window = calibrate(args("materialize", "--group", "ks_orders", "--run-date", DAY1.toString()),
        RUN_RECORDED, features);
    for (int seed = 0; seed < SEEDS; seed++) {
      LocalDate day = DAY1.plusDays(1 + seed);
      TableDigest before = TableDigest.of(features);
      Fault f = killAndRerun(args("materialize", "--group", "ks_orders", "--run-date", day.toString()),
          RUN_RECORDED, features, before, seed, window);
      // Exactly one row per order of the day; the earlier days untouched.
      assertEquals(150, rows(features, day), "rows of " + day);
      assertEquals(before, TableDigest.of(SharedSpark.session().read().format("delta")
          .load(features.toString()).where(col("event_date").lt(Date.valueOf(day)))));
      assertNotEquals(before, f.afterRerun());
    }

    // The same commands, uninterrupted, in this JVM: the same content.
    String db = "ks_reference_materialize";
    Launch.Result ref = inProcess(db, "ingest", "--group", "ks_orders", "--run-date", "2025-03-04");
    assertEquals(0, ref.exitCode(), ref.err());
    for (int i = 0; i <= SEEDS; i++) {
      ref = inProcess(db, "materialize", "--group", "ks_orders", "--run-date", DAY1.plusDays(i).toString());
      assertEquals(0, ref.exitCode(), ref.err());
    }
    assertEquals(TableDigest.of(SharedSpark.session().table(db + ".ks_orders")), TableDigest.of(features));
  }

  // ---------------------------------------------------------------------------------- backfill

  @Test
  void backfillKilledBetweenChunksResumesAndEndsAsAnUninterruptedBackfill() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("orders.csv");
    Files.writeString(defs.resolve("ks_backfill.conf"), group("ks_backfill", source, AGGREGATES));
    Files.write(source, orders(4, 8, 60, 0));
    List<List<String>> ranges = List.of(List.of("2025-03-01", "2025-03-04"), List.of("2025-03-05", "2025-03-08"));
    String db = "ks_reference_backfill";
    assertEquals(0, inProcess(db, "ingest", "--group", "ks_backfill", "--run-date", "2025-03-08").exitCode());
    for (List<String> range : ranges) {
      Launch.Result ref = inProcess(db, "backfill", "--group", "ks_backfill", "--from", range.get(0),
          "--to", range.get(1), "--chunk-days", "1", "--parallelism", "1");
      assertEquals(0, ref.exitCode(), ref.err());
    }
    var reference = SharedSpark.session().table(db + ".ks_backfill");

    run(args("ingest", "--group", "ks_backfill", "--run-date", "2025-03-08"));
    Path features = table("ks_backfill");
    for (int seed = 0; seed < ranges.size(); seed++) {
      List<String> backfill = args("backfill", "--group", "ks_backfill", "--from", ranges.get(seed).get(0),
          "--to", ranges.get(seed).get(1), "--chunk-days", "1", "--parallelism", "1");
      long delay;
      try (JobProcess p = JobProcess.start(dir, Map.of(), backfill)) {
        // Somewhere after the first chunk of this run: in the second chunk or later.
        assertTrue(p.awaitLine(Pattern.compile("ks_backfill: 1/4 chunks done"), LIMIT).isPresent(), p.err());
        delay = new SplittableRandom(seed).nextLong(0, 4000);
        Thread.sleep(delay);
        assertTrue(p.kill(), "the backfill ended before the kill at +" + delay + " ms");
      }
      // Every day is complete or absent: a chunk is one commit.
      var killed = SharedSpark.session().read().format("delta").load(features.toString());
      for (int d = 0; d < 8; d++) {
        Date day = Date.valueOf(DAY1.plusDays(d));
        TableDigest got = TableDigest.of(killed.where(col("event_date").equalTo(day)));
        TableDigest want = TableDigest.of(reference.where(col("event_date").equalTo(day)));
        assertTrue(got.rows() == 0 || got.equals(want), day + " is partial after kill -9: " + got + " vs " + want);
      }
      ProcessRun resumed = run(backfill);
      assertTrue(resumed.out().matches("(?s).*4 chunks of 1 days, [1-4] already done.*"), resumed.out());
      System.out.printf("kill -9 backfill seed %d at +%d ms after the first chunk; the rerun resumed: %s%n",
          seed, delay, resumed.outLines().get(0));
    }
    assertEquals(TableDigest.of(reference), TableDigest.of(features));
    // Each chunk is recorded once, even one whose record the kill may have cut off.
    var recorded = SharedSpark.session().read().format("delta")
        .load(lakehouse().resolve("warehouse/features.db/materializations").toString())
        .where(col("group_name").equalTo("ks_backfill"));
    assertEquals(8, recorded.count());
    assertEquals(8, recorded.select("from_date").distinct().count());
  }

  // ----------------------------------------------------------------------------------- helpers

  private Launch.Result inProcess(String db, String... jobArgs) {
    List<String> all = new ArrayList<>(List.of(jobArgs));
    all.addAll(List.of("-Dlakeops.lakehouse.root=" + dir.resolve("reference"),
        "-Dlakeops.features.definitions-dir=" + dir.resolve("defs"),
        "-Dlakeops.features.database=" + db,
        "-Dlakeops.features.tables.quarantine=" + db + ".quarantine",
        "-Dlakeops.features.tables.validation-results=" + db + ".validation_results",
        "-Dlakeops.features.tables.feature-catalog=" + db + ".feature_catalog",
        "-Dlakeops.job-runs.table=" + db + ".job_runs"));
    return Launch.run(dir, new Launch.SharedSessions(SharedSpark::session), Map.of(),
        all.toArray(String[]::new));
  }

  private static long rows(Path table, LocalDate day) {
    return SharedSpark.session().read().format("delta").load(table.toString())
        .where(col("event_date").equalTo(Date.valueOf(day))).count();
  }

  /** A run killed before its end stays RUNNING; one killed before its target commit surely is. */
  private void assertRunningRowsOfKilledRuns(String job, int atLeast, int atMost) {
    long running = SharedSpark.session().read().format("delta")
        .load(lakehouse().resolve("warehouse/lakeops.db/job_runs").toString())
        .where(col("job").equalTo(job).and(col("status").equalTo("RUNNING"))).count();
    assertTrue(running >= atLeast && running <= atMost, running + " RUNNING rows of " + job
        + ", expected between " + atLeast + " and " + atMost + ": killed runs stay visible");
  }

  private static final String AGGREGATES = """
      aggregates = [
        { name = orders_2d, function = count, window-days = 2 }
        { name = spend_3d, function = sum, column = amount, window-days = 3 }
        { name = biggest_3d, function = max, column = amount, window-days = 3 }
      ]
      derived = [ { name = avg_spend_3d, expression = "spend_3d / orders_2d" } ]
      """;

  private static String group(String name, Path source, String rest) {
    return """
        name = %s
        entity-keys = [customer_id]
        unique-key-and-time = false
        source {
          format = csv
          path = "%s"
          snapshot = true
          header = true
          event-time { column = ts, format = "yyyy-MM-dd HH:mm:ss" }
        }
        columns = [
          { name = order_id, type = string, not-null = true }
          { name = customer_id, type = string, not-null = true }
          { name = ts, type = string, not-null = true }
          { name = amount, type = double, not-null = true, min = 0 }
        ]
        %s
        """.formatted(name, source, rest);
  }

  /**
   * {@code perDay} orders a day for {@code days} days from 2025-03-01, each at its own second, of
   * 30 customers; the first {@code bad} have a negative amount (quarantined).
   */
  static List<String> orders(int variant, int days, int perDay, int bad) {
    java.time.format.DateTimeFormatter format = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    List<String> lines = new ArrayList<>(List.of("order_id,customer_id,ts,amount"));
    for (int i = 0; i < days * perDay; i++) {
      String ts = DAY1.plusDays(i / perDay).atStartOfDay().plusSeconds((i % perDay) * 500L + variant).format(format);
      double amount = i < bad ? -1 : ((i * 37 + variant * 11) % 200) / 4.0 + 0.25;
      lines.add("O" + variant + "-" + i + ",C" + (i * 7 % 30) + "," + ts + "," + amount);
    }
    return lines;
  }
}

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 during the writes of each job that writes. A job JVM is started directly (no shell
 * between, so the SIGKILL hits the writer), and killed at a point drawn from a seed over its write
 * window: from the run's first commit ({@code RUNNING} in {@code job_runs}) to a little after the
 * commit of the target table, as measured on an uninterrupted run. The seeds are stratified, so
 * the kills spread over the window. After each kill the target table holds either its previous
 * content or the complete new one (content digests), never a part; then the same command, run
 * again, exits 0 and leaves exactly the content of an uninterrupted run. The last seed of each
 * job kills right after the target's commit instead (before the run records its end), where the
 * rerun must write the same content again without duplicates. The embedded Derby
 * metastore's lock file, left behind by the killed JVM, does not stop the rerun.
 *
 * <p>{@code training-set} and {@code drift} write several tables each; they are killed at points
 * anchored on their own commits (polled in the tables' {@code _delta_log}): during the write of a
 * table, and right after a table's commit (before the manifest, the reports, the {@code job_runs}
 * record). Every table is then at its previous or its complete new content, the report files are
 * absent, old or complete, and the rerun leaves what an uninterrupted run (in this JVM, over the
 * same input) leaves, with no second manifest row.
 *
 * <p>The tests share one lakehouse (one class instance), in pipeline order: the materialised
 * {@code ks_orders} group feeds the training set and drift tests, as in production.
 *
 * <p>Adding a job: a test that prepares its input, names its command and target table, and calls
 * {@link #killAndRerun} (a timed kill) or {@link #killAt} (a kill anchored on a commit).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SigkillIT {

  /** Generous: a job JVM takes 15 s on an idle machine, minutes on a busy one. */
  private static final Duration LIMIT = Duration.ofMinutes(6);
  private static final int SEEDS = 2;
  private static final Pattern RUN_RECORDED = Pattern.compile("Committed delta #\\d+ to \\S*/lakeops\\.db/job_runs/_delta_log");
  private static final LocalDate DAY1 = OrdersFixture.DAY1;

  /** One lakehouse for the class (an instance field would be a new folder for each test). */
  @TempDir
  static Path dir;

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
   * target is at {@code before} or at the rerun's content, and runs the command again. The last
   * seed kills right after the target's commit instead (its next {@code _delta_log} file polled),
   * before the run records its end: the rerun must then leave the same content again.
   */
  private Fault killAndRerun(List<String> args, Pattern windowStart, Path target, TableDigest before,
      int seed, Duration window) throws Exception {
    long delay;
    boolean alive;
    boolean committed;
    boolean afterCommit = seed == SEEDS - 1;
    long version = logVersion(target);
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      ProcessHandle.Info info = ProcessHandle.of(p.pid()).orElseThrow().info();
      assertTrue(info.command().orElse("").endsWith("/java"), "the killed process is the JVM: " + info);
      Optional<Instant> recorded = p.awaitLine(windowStart, LIMIT);
      assertTrue(recorded.isPresent(), "the run never started writing:\n" + p.err());
      if (afterCommit) {
        assertTrue(awaitCommit(p, target, version), "the run never committed " + target + ":\n" + p.err());
        delay = Duration.between(recorded.get(), Instant.now()).toMillis();
      } else {
        // Stratified: timed seed i falls in the i-th of SEEDS - 1 equal slices of the window.
        int timed = SEEDS - 1;
        double u = (seed % timed + new SplittableRandom(seed).nextDouble()) / timed;
        delay = (long) (u * window.toMillis());
        Thread.sleep(Math.max(0, delay - Duration.between(recorded.get(), Instant.now()).toMillis()));
      }
      committed = afterCommit || p.matches(commitOf(target));
      alive = p.kill();
    }
    long killedVersion = logVersion(target);
    assertTrue(Files.exists(lakehouse().resolve("metastore_db/db.lck")),
        "the killed JVM leaves Derby's lock file behind");
    ProcessRun rerun;
    TableDigest afterKill;
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      // What the kill left, read while the rerun starts: at the version the kill left, which the
      // rerun's commits (new versions, no file of an old one removed) do not change.
      afterKill = digestAt(target, killedVersion, TableDigest.VOLATILE);
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
  @Order(1)
  void ingestKilledDuringItsWritesLeavesThePreviousOrTheNewBatchAndARerunCompletesIt() throws Exception {
    // This JVM's session starts, and reads and writes Delta once, while the first job JVM runs:
    // the digests after it then wait for no class loading.
    CompletableFuture<TableDigest> warm = meanwhile(() -> {
      Path table = dir.resolve("warm-up");
      SharedSpark.session().range(3).write().format("delta").save(table.toString());
      return TableDigest.of(table);
    });
    // Two batches for the same date, as when a source is corrected and the date re-ingested; the
    // last run ingests x again, the input of the materialize, training-set and drift tests.
    Path source = ordersGroup();
    List<String> x = ORDERS_X;
    List<String> y = OrdersFixture.orders(2, 4, 150, 20);
    Path ingested = table("ks_orders_ingested");
    List<String> ingest = args(INGEST_ORDERS);

    // The window: from the commit before the ingested table's (validation results) to its commit.
    Pattern validated = commitOf("lakeops.db/validation_results");
    Files.write(source, x);
    Duration window = calibrate(ingest, validated, ingested);
    assertEquals(3, await(warm).rows());
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
          .where(col("group_name").equalTo("ks_orders")).count(), "quarantine rows of the date, once");
      kills += f.killedAlive() ? 1 : 0;
      unfinished += f.killedAlive() && !f.targetCommittedBeforeKill() ? 1 : 0;
    }
    assertEquals(x, Files.readAllLines(source), "the last seed ingests x, which the later tests read");
    assertRunningRowsOfKilledRuns("ingest", unfinished, kills);
  }

  // ------------------------------------------------------------------------------- materialize

  @Test
  @Order(2)
  void materializeKilledDuringItsMergeLeavesThePreviousOrTheNewDayAndARerunCompletesIt() throws Exception {
    ordersIngested();
    // The same commands, uninterrupted, in this JVM, while the job JVMs run.
    String db = "ks_reference_materialize";
    CompletableFuture<TableDigest> reference = meanwhile(() -> {
      assertSucceeded(inProcess(db, INGEST_ORDERS));
      for (int i = 0; i <= SEEDS; i++) {
        assertSucceeded(inProcess(db, "materialize", "--group", "ks_orders", "--run-date", DAY1.plusDays(i).toString()));
      }
      return TableDigest.of(SharedSpark.session().table(db + ".ks_orders"));
    });
    Path features = table("ks_orders");
    Duration window = calibrate(args("materialize", "--group", "ks_orders", "--run-date", DAY1.toString()),
        RUN_RECORDED, features);
    for (int seed = 0; seed < SEEDS; seed++) {
      LocalDate day = DAY1.plusDays(1 + seed);
      TableDigest before = TableDigest.of(features);
      Fault f = killAndRerun(args("materialize", "--group", "ks_orders", "--run-date", day.toString()),
          RUN_RECORDED, features, before, seed, window);
      // Exactly one row per order of the day; the earlier days untouched.
      assertEquals(100, rows(features, day), "rows of " + day);
      assertEquals(before, TableDigest.of(SharedSpark.session().read().format("delta")
          .load(features.toString()).where(col("event_date").lt(Date.valueOf(day)))));
      assertNotEquals(before, f.afterRerun());
    }

    // The uninterrupted commands left the same content.
    assertEquals(await(reference), TableDigest.of(features));
  }

  // ----------------------------------------------------------------------- shared orders input

  /** {@code ks_orders}: 4 days of 100 orders; the batch the ingest test ingests last. */
  private static final List<String> ORDERS_X = OrdersFixture.orders(1, 4, 100, 0);
  private static final String[] INGEST_ORDERS = {"ingest", "--group", "ks_orders", "--run-date", "2025-03-04"};

  /** Writes the definition of {@code ks_orders} (once); returns its source file. */
  private Path ordersGroup() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("orders.csv");
    Path definition = defs.resolve("ks_orders.conf");
    if (!Files.exists(definition)) {
      Files.writeString(definition, OrdersFixture.group("ks_orders", source,
          "checks { max-rejected-share = 0.1 }\n" + AGGREGATES));
    }
    return source;
  }

  /** The orders of {@link #ORDERS_X}, ingested by the ingest test or (run without it) here. */
  private void ordersIngested() throws Exception {
    if (TableDigest.version(table("ks_orders_ingested")) >= 0) {
      return;
    }
    Files.write(ordersGroup(), ORDERS_X);
    run(args(INGEST_ORDERS));
  }

  /** The ks_orders features, materialised by the materialize test or (run alone) here. */
  private void ordersMaterialized() throws Exception {
    ordersIngested();
    if (TableDigest.version(table("ks_orders")) < 0) {
      run(args("materialize", "--group", "ks_orders", "--run-date", DAY1.toString()));
    }
  }

  // ------------------------------------------------------------------------------ training-set

  /**
   * Three kills of {@code training-set}, each over a spine one day longer (a new build): during
   * the point-in-time join and the output write (anchored on the spine's commit, plus a seeded
   * delay), right after the output table's commit (the manifest not yet merged), and right after
   * the manifest's commit (the run not yet recorded as done). The spine, the output and the
   * manifest are each at their previous or complete new content; the rerun leaves what an
   * uninterrupted run leaves, and the manifest holds one row per build: a rerun of a build that
   * the killed run already recorded reuses its id.
   */
  @Test
  @Order(3)
  void trainingSetKilledDuringAndAfterItsCommitsLeavesWholeTablesAndOneManifestRowPerBuild() throws Exception {
    ordersMaterialized();
    Path output = lakehouse().resolve("warehouse/training.db/ks_train");
    Path spine = lakehouse().resolve("warehouse/training.db/ks_train__spine");
    Path manifest = lakehouse().resolve("warehouse/lakeops.db/training_sets");
    Map<Path, Set<String>> targets = new LinkedHashMap<>();
    targets.put(spine, TableDigest.VOLATILE);
    targets.put(output, TableDigest.VOLATILE);
    // Versions move with every write, also a rerun's of the same content: not part of a build.
    targets.put(manifest, union(TableDigest.VOLATILE, "spine_version", "output_version", "input_versions"));
    Path spec = dir.resolve("ks_train.conf");
    List<KillPoint> points = List.of(
        KillPoint.afterCommit("during the join and the output write", spine, 0, 1500),
        KillPoint.afterCommit("right after the output commit", output, 0, 0),
        KillPoint.afterCommit("right after the manifest commit", manifest, 0, 0));
    // The reference: the same specs, uninterrupted, in this JVM, over the same feature table,
    // while the job JVMs run; what each build leaves.
    List<CompletableFuture<Map<String, TableDigest>>> reference = new ArrayList<>();
    for (int seed = 0; seed < points.size(); seed++) {
      Path refSpec = Files.writeString(dir.resolve("ks_train-reference-" + seed + ".conf"), trainingSpec(DAY1.plusDays(seed)));
      reference.add(meanwhile(() -> {
        var session = SharedSpark.session();
        session.sql("CREATE DATABASE IF NOT EXISTS ks_ref_train");
        session.sql("CREATE TABLE IF NOT EXISTS ks_ref_train.ks_orders USING delta LOCATION '" + table("ks_orders") + "'");
        assertSucceeded(inProcess("ks_ref_train", "training-set", "--spec", refSpec.toString()));
        return Map.of("output", TableDigest.of(session.table("ks_ref_train.ks_train")),
            "spine", TableDigest.of(session.table("ks_ref_train.ks_train__spine")),
            "manifest", TableDigest.of(session.table("ks_ref_train.training_sets").select("training_set_id",
                "build_number", "row_count", "digest")));
      }));
    }
    int killed = 0;
    int beforeManifest = 0;
    for (int seed = 0; seed < points.size(); seed++) {
      Files.writeString(spec, trainingSpec(DAY1.plusDays(seed)));
      List<String> command = args("training-set", "--spec", spec.toString());
      Killed f = killAt(command, targets, points.get(seed), seed);
      killed += f.killedAlive() ? 1 : 0;
      beforeManifest += f.killedAlive() && !f.committed().contains(manifest) ? 1 : 0;
      assertTrue(f.rerun().out().contains("training set ks_train_v" + (seed + 1) + ":"),
          "the rerun records build " + (seed + 1) + ", once: " + f.rerun().out());

      Map<String, TableDigest> ref = await(reference.get(seed));
      assertEquals(ref.get("output"), f.afterRerun().get(output),
          "the training set after kill -9 and rerun is the uninterrupted one");
      assertEquals(ref.get("spine"), f.afterRerun().get(spine));
      Dataset<Row> rows = SharedSpark.session().read().format("delta").load(manifest.toString());
      assertEquals(seed + 1, rows.count(), "one manifest row per build, none for a rerun");
      assertEquals(seed + 1, rows.select("training_set_id").distinct().count());
      assertEquals(ref.get("manifest"),
          TableDigest.of(rows.select("training_set_id", "build_number", "row_count", "digest")),
          "ids, builds, row counts and content digests as uninterrupted runs record them");
    }
    assertRunningRowsOfKilledRuns("training-set", beforeManifest, killed);
  }

  private String trainingSpec(LocalDate lastDay) {
    // The spine reads the ingested orders by path, so this JVM's reference run reads the same.
    return """
        name = ks_train
        spine {
          query = \"\"\"SELECT customer_id, event_ts AS label_ts, amount > 25 AS big
            FROM delta.`%s` WHERE event_date <= DATE'%s'\"\"\"
          entity-keys = [customer_id]
          time = label_ts
          label = big
        }
        features = ["ks_orders:*"]
        """.formatted(table("ks_orders_ingested"), lastDay);
  }

  // ------------------------------------------------------------------------------------- drift

  /**
   * Three kills of {@code drift}, each for a later run date: right after the reference profile's
   * commit (the metrics not yet written; the rerun reuses the stored profile), at a seeded point
   * of the metrics write, and right after the metrics commit (the HTML and JSON reports not yet
   * written, the run not recorded). Tables are whole; the reports of the date are absent, or
   * complete (written to a hidden temporary file, then renamed); the rerun leaves the metrics
   * and reports of an uninterrupted run.
   */
  @Test
  @Order(4)
  void driftKilledDuringAndAfterItsCommitsLeavesWholeTablesAndWholeReports() throws Exception {
    ordersIngested();
    Path profiles = lakehouse().resolve("warehouse/lakeops.db/drift_profiles");
    Path metrics = lakehouse().resolve("warehouse/lakeops.db/drift_metrics");
    Map<Path, Set<String>> targets = new LinkedHashMap<>();
    targets.put(profiles, TableDigest.VOLATILE);
    targets.put(metrics, union(TableDigest.VOLATILE, "computed_at"));
    Path spec = dir.resolve("ks_drift.conf");
    Files.writeString(spec, OrdersFixture.driftSpec("ks_drift",
        "SELECT customer_id, amount, event_date FROM delta.`" + table("ks_orders_ingested") + "`", 5));
    List<KillPoint> points = List.of(
        KillPoint.afterCommit("right after the profile commit", profiles, 0, 0),
        KillPoint.afterLine("0.5 to 3 s after its start record", RUN_RECORDED, 500, 3000),
        KillPoint.afterCommit("right after the metrics commit", metrics, 0, 0));
    // The reference: the same runs, uninterrupted, in this JVM, while the job JVMs run; the
    // tables as each run leaves them (its reports stay in the reference lakehouse).
    Set<String> excluded = targets.get(metrics);
    List<CompletableFuture<Map<String, TableDigest>>> reference = new ArrayList<>();
    for (int seed = 0; seed < points.size(); seed++) {
      LocalDate day = DAY1.plusDays(1 + seed);
      reference.add(meanwhile(() -> {
        assertSucceeded(inProcess("ks_ref_drift", "drift", "--spec", spec.toString(), "--run-date", day.toString()));
        var session = SharedSpark.session();
        return Map.of("metrics", TableDigest.of(session.table("ks_ref_drift.drift_metrics"), excluded),
            "profiles", TableDigest.of(session.table("ks_ref_drift.drift_profiles")));
      }));
    }
    int killed = 0;
    for (int seed = 0; seed < points.size(); seed++) {
      LocalDate day = DAY1.plusDays(1 + seed);
      Path reports = lakehouse().resolve("results/drift/ks_drift");
      List<Path> files = List.of(reports.resolve(day + ".html"), reports.resolve(day + ".json"));
      List<String> command = args("drift", "--spec", spec.toString(), "--run-date", day.toString());
      Map<Path, String> afterKill = new LinkedHashMap<>();
      Killed f = killAt(command, targets, points.get(seed), seed, () -> {
        for (Path file : files) {
          afterKill.put(file, Files.exists(file) ? Files.readString(file) : null);
        }
        assertVisibleReportsComplete(reports);
      });
      killed += f.killedAlive() ? 1 : 0;
      assertVisibleReportsComplete(reports);

      Map<String, TableDigest> ref = await(reference.get(seed));
      assertEquals(ref.get("metrics"), f.afterRerun().get(metrics),
          "the drift metrics after kill -9 and rerun are the uninterrupted ones");
      assertEquals(ref.get("profiles"), f.afterRerun().get(profiles));
      Path refReports = dir.resolve("reference/results/drift/ks_drift");
      for (Path file : files) {
        String rerun = Files.readString(file);
        String want = Files.readString(refReports.resolve(file.getFileName()));
        assertEquals(runFacts(want), runFacts(rerun), "the report " + file.getFileName() + " of the rerun");
        String killedFile = afterKill.get(file);
        assertTrue(killedFile == null || killedFile.equals(rerun) || runFacts(killedFile).equals(runFacts(rerun)),
            file + " after kill -9 is neither absent nor complete");
      }
    }
    assertRunningRowsOfKilledRuns("drift", 0, killed);
  }

  /**
   * A report without what says how this run got it (whether it computed or reused the stored
   * profile, how many Spark jobs it took): a rerun after a kill reuses a profile the killed run
   * stored, where an uninterrupted run computed it.
   */
  private static String runFacts(String report) {
    return report.replaceAll("\"spark_jobs\"\\s*:\\s*\\d+", "\"spark_jobs\":_")
        .replaceAll("\"profile_reused\"\\s*:\\s*(true|false)", "\"profile_reused\":_")
        .replaceAll("(stored, reused|computed now)", "_")
        .replaceAll("(Spark jobs</t[dh]>\\s*<t[dh][^>]*>)\\d+", "$1_");
  }

  /** Every report file a reader can see is whole: JSON that parses, HTML to its end. */
  private static void assertVisibleReportsComplete(Path folder) throws Exception {
    if (!Files.isDirectory(folder)) {
      return;
    }
    try (var files = Files.list(folder)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        if (name.startsWith(".")) {
          continue; // a temporary file of a killed write: hidden, never read
        }
        String text = Files.readString(file);
        if (name.endsWith(".json")) {
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
          assertTrue(text.strip().endsWith("}"), file + " is cut");
        } else {
          assertTrue(text.strip().endsWith("</html>"), file + " is cut");
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------- backfill

  @Test
  @Order(5)
  void backfillKilledBetweenChunksResumesAndEndsAsAnUninterruptedBackfill() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("backfill.csv");
    Files.writeString(defs.resolve("ks_backfill.conf"), OrdersFixture.group("ks_backfill", source, AGGREGATES));
    Files.write(source, OrdersFixture.orders(4, 8, 60, 0));
    List<List<String>> ranges = List.of(List.of("2025-03-01", "2025-03-04"), List.of("2025-03-05", "2025-03-08"));
    // The reference: the same backfills, uninterrupted, in this JVM, while the job JVMs run; the
    // table's digest by day (index 0 to 7) and whole (index 8).
    String db = "ks_reference_backfill";
    CompletableFuture<List<TableDigest>> uninterrupted = meanwhile(() -> {
      assertSucceeded(inProcess(db, "ingest", "--group", "ks_backfill", "--run-date", "2025-03-08"));
      for (List<String> range : ranges) {
        assertSucceeded(inProcess(db, "backfill", "--group", "ks_backfill", "--from", range.get(0),
            "--to", range.get(1), "--chunk-days", "1", "--parallelism", "1"));
      }
      Dataset<Row> table = SharedSpark.session().table(db + ".ks_backfill");
      List<TableDigest> digests = new ArrayList<>();
      for (int d = 0; d < 8; d++) {
        digests.add(TableDigest.of(table.where(col("event_date").equalTo(Date.valueOf(DAY1.plusDays(d))))));
      }
      digests.add(TableDigest.of(table));
      return digests;
    });

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
      long killedVersion = logVersion(features);
      ProcessRun resumed;
      try (JobProcess p = JobProcess.start(dir, Map.of(), backfill)) {
        // Every day is complete or absent: a chunk is one commit. Read while the rerun starts,
        // at the version the kill left (the rerun only adds versions).
        List<TableDigest> reference = await(uninterrupted);
        var killed = SharedSpark.session().read().format("delta").option("versionAsOf", killedVersion)
            .load(features.toString());
        for (int d = 0; d < 8; d++) {
          Date day = Date.valueOf(DAY1.plusDays(d));
          TableDigest got = TableDigest.of(killed.where(col("event_date").equalTo(day)));
          TableDigest want = reference.get(d);
          assertTrue(got.rows() == 0 || got.equals(want), day + " is partial after kill -9: " + got + " vs " + want);
        }
        resumed = p.await(LIMIT);
      }
      assertEquals(0, resumed.exitCode(), resumed.describe());
      assertTrue(resumed.out().matches("(?s).*4 chunks of 1 days, [1-4] already done.*"), resumed.out());
      System.out.printf("kill -9 backfill seed %d at +%d ms after the first chunk; the rerun resumed: %s%n",
          seed, delay, resumed.outLines().get(0));
    }
    assertEquals(await(uninterrupted).get(8), TableDigest.of(features));
    // Each chunk is recorded once, even one whose record the kill may have cut off.
    var recorded = SharedSpark.session().read().format("delta")
        .load(lakehouse().resolve("warehouse/features.db/materializations").toString())
        .where(col("group_name").equalTo("ks_backfill"));
    assertEquals(8, recorded.count());
    assertEquals(8, recorded.select("from_date").distinct().count());
  }

  // ------------------------------------------------------------------- kills anchored on commits

  /**
   * Where a kill lands: a seeded delay in [{@code minDelayMs}, {@code maxDelayMs}] after a log
   * line, or after the next commit of a table (its next {@code _delta_log} JSON file appears).
   */
  record KillPoint(String what, Pattern line, Path commitOf, long minDelayMs, long maxDelayMs) {

    static KillPoint afterCommit(String what, Path table, long minDelayMs, long maxDelayMs) {
      return new KillPoint(what, null, table, minDelayMs, maxDelayMs);
    }

    static KillPoint afterLine(String what, Pattern line, long minDelayMs, long maxDelayMs) {
      return new KillPoint(what, line, null, minDelayMs, maxDelayMs);
    }

    long delay(long seed) {
      return maxDelayMs <= minDelayMs ? minDelayMs : new SplittableRandom(seed).nextLong(minDelayMs, maxDelayMs + 1);
    }
  }

  /** What a kill at a {@link KillPoint} left, per target table, and the rerun. */
  record Killed(long delayMs, boolean killedAlive, Set<Path> committed, Map<Path, TableDigest> afterKill,
      Map<Path, TableDigest> afterRerun, ProcessRun rerun) {}

  interface AfterKill {
    void check() throws Exception;
  }

  private Killed killAt(List<String> args, Map<Path, Set<String>> targets, KillPoint point, long seed)
      throws Exception {
    return killAt(args, targets, point, seed, () -> {});
  }

  /**
   * Starts the job, kills it with SIGKILL at {@code point}, checks that every target is at its
   * previous content or at the rerun's (and at the rerun's when the killed run committed it), and
   * runs the command again, which must exit 0. {@code afterKill} looks at what the kill left
   * before the rerun.
   */
  private Killed killAt(List<String> args, Map<Path, Set<String>> targets, KillPoint point, long seed,
      AfterKill afterKill) throws Exception {
    Map<Path, TableDigest> before = digests(targets);
    Map<Path, Long> versions = new LinkedHashMap<>();
    targets.keySet().forEach(t -> versions.put(t, logVersion(t)));
    long delay = point.delay(seed);
    boolean alive;
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      boolean reached = point.line() != null ? p.awaitLine(point.line(), LIMIT).isPresent()
          : awaitCommit(p, point.commitOf(), versions.get(point.commitOf()));
      assertTrue(reached, "the run never got " + point.what() + ":\n" + p.err());
      if (delay > 0) {
        Thread.sleep(delay);
      }
      alive = p.kill();
    }
    Set<Path> committed = new java.util.HashSet<>();
    Map<Path, Long> killedVersions = new LinkedHashMap<>();
    for (Path t : targets.keySet()) {
      killedVersions.put(t, logVersion(t));
      if (killedVersions.get(t) > versions.get(t)) {
        committed.add(t);
      }
    }
    afterKill.check();
    assertTrue(Files.exists(lakehouse().resolve("metastore_db/db.lck")),
        "the killed JVM leaves Derby's lock file behind");
    ProcessRun rerun;
    Map<Path, TableDigest> killed;
    try (JobProcess p = JobProcess.start(dir, Map.of(), args)) {
      // What the kill left, read while the rerun starts, at the versions the kill left (the
      // rerun only adds versions and removes no file of an old one).
      killed = digests(targets, killedVersions);
      rerun = p.await(LIMIT);
    }
    assertEquals(0, rerun.exitCode(), "the rerun after a kill -9 (" + point.what() + ", seed " + seed
        + ") must succeed: " + rerun.describe());
    Map<Path, TableDigest> afterRerun = digests(targets);
    StringBuilder states = new StringBuilder();
    for (Path t : targets.keySet()) {
      TableDigest k = killed.get(t);
      states.append(String.format("%n    %-16s %s%s", t.getFileName(), committed.contains(t) ? "committed, " : "",
          k.equals(before.get(t)) ? "at its previous content" : k.equals(afterRerun.get(t))
              ? "at the complete new content" : "PARTIAL " + k));
    }
    System.out.printf("kill -9 %s seed %d %s (+%d ms): %s%s%n", args.get(0), seed, point.what(), delay,
        alive ? "killed" : "had already ended", states);
    for (Path t : targets.keySet()) {
      TableDigest k = killed.get(t);
      assertTrue(k.equals(before.get(t)) || k.equals(afterRerun.get(t)), "after kill -9 " + point.what()
          + " (seed " + seed + ") " + t + " holds " + k + ": neither the previous " + before.get(t)
          + " nor the complete new " + afterRerun.get(t));
      if (committed.contains(t)) {
        assertEquals(afterRerun.get(t), k, t + ": the killed run's commit is what the rerun leaves");
      }
    }
    if (point.commitOf() != null) {
      assertTrue(committed.contains(point.commitOf()));
    }
    return new Killed(delay, alive, committed, killed, afterRerun, rerun);
  }

  /** Waits for the next commit of {@code table} after {@code version} (its JSON file appears). */
  private static boolean awaitCommit(JobProcess p, Path table, long version) throws Exception {
    Path next = table.resolve("_delta_log").resolve(String.format("%020d.json", version + 1));
    Instant deadline = Instant.now().plus(LIMIT);
    while (Instant.now().isBefore(deadline)) {
      boolean alive = p.isAlive();
      if (Files.exists(next)) {
        return true;
      }
      if (!alive) {
        return false;
      }
      Thread.sleep(5);
    }
    return false;
  }

  /** The latest committed version in the table's log, from the file names; -1 when absent. */
  private static long logVersion(Path table) {
    Path log = table.resolve("_delta_log");
    if (!Files.isDirectory(log)) {
      return -1;
    }
    try (var files = Files.list(log)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("\\d{20}\\.json"))
          .mapToLong(n -> Long.parseLong(n.substring(0, 20))).max().orElse(-1);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Map<Path, TableDigest> digests(Map<Path, Set<String>> targets) {
    Map<Path, TableDigest> digests = new LinkedHashMap<>();
    targets.forEach((t, excluded) -> digests.put(t, Files.isDirectory(t.resolve("_delta_log"))
        ? TableDigest.of(SharedSpark.session().read().format("delta").load(t.toString()), excluded)
        : TableDigest.ABSENT));
    return digests;
  }

  /** The targets at the given versions (-1: absent), whatever was committed since. */
  private static Map<Path, TableDigest> digests(Map<Path, Set<String>> targets, Map<Path, Long> versions) {
    Map<Path, TableDigest> digests = new LinkedHashMap<>();
    targets.forEach((t, excluded) -> digests.put(t, digestAt(t, versions.get(t), excluded)));
    return digests;
  }

  /** The table at {@code version} (time travel), or absent for -1 (no commit yet). */
  private static TableDigest digestAt(Path table, long version, Set<String> excluded) {
    return version < 0 ? TableDigest.ABSENT : TableDigest.of(SharedSpark.session().read().format("delta")
        .option("versionAsOf", version).load(table.toString()), excluded);
  }

  private static Set<String> union(Set<String> a, String... more) {
    Set<String> all = new java.util.HashSet<>(a);
    all.addAll(List.of(more));
    return all;
  }


  // ----------------------------------------------------------------------------------- helpers

  /**
   * One at a time, on a thread of this JVM: the uninterrupted reference runs, which need nothing
   * of what the job JVMs do, so they run while this JVM would otherwise wait for a job JVM.
   */
  private static final ExecutorService REFERENCES = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "kill-nine-references");
    t.setDaemon(true);
    return t;
  });

  interface Reference<T> {
    T compute() throws Exception;
  }

  private static <T> CompletableFuture<T> meanwhile(Reference<T> reference) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return reference.compute();
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, REFERENCES);
  }

  /** The reference's result, or its failure as this thread's. */
  private static <T> T await(CompletableFuture<T> reference) throws Exception {
    try {
      return reference.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw (Error) cause;
    }
  }

  private static void assertSucceeded(Launch.Result r) {
    assertEquals(0, r.exitCode(), r.err());
  }

  /** The command, uninterrupted, in this JVM, in a lakehouse of its own with every table in {@code db}. */
  private Launch.Result inProcess(String db, String... jobArgs) {
    return Launch.run(dir, new Launch.SharedSessions(SharedSpark::session), Map.of(),
        OrdersFixture.inDatabase(db, dir.resolve("reference"), dir.resolve("defs"), jobArgs));
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
}

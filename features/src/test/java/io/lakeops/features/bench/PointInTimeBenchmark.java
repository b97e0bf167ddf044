package io.lakeops.features.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lakeops.features.pit.FeatureRequest;
import io.lakeops.features.pit.PitOptions;
import io.lakeops.features.pit.PitResult;
import io.lakeops.features.pit.PointInTimeJoin;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Point-in-time join benchmark (measures only; writes {@code features/benchmarks/point-in-time.md}).
 * Run with {@code ./mvnw -pl features -am verify -Pbenchmark -DskipITs -Dtest=PointInTimeBenchmark}.
 *
 * <p>Generated data: a spine of S rows and 3 feature groups of F rows each with 10 double features,
 * all keyed by one entity column; 5% of spine and feature rows sit on 4 hot entities, the rest on
 * 200,000 entities; times spread over a year; TTL 90 days. Compared in the same run, each result
 * written to Spark's {@code noop} sink:
 * <ul>
 *   <li>LakeOps: {@link PointInTimeJoin}.
 *   <li>(a) the Feast Spark offline store's algorithm, from its public SQL template: per feature
 *       view, a range join of the entity rows with every feature row inside the TTL window, a
 *       dedup of created timestamps, a ROW_NUMBER window to keep the latest, a join back to fetch
 *       the features, then a left join of each view onto the entity rows.
 *   <li>(b) the lower bound: the spine and every feature row (all columns) shuffled once by key.
 *   <li>(c) the bound of any sort-based as-of join: (b) plus a sort of each partition by key and
 *       time.
 * </ul>
 * Feast's algorithm is stopped after {@code -Dbench.feast-limit-seconds} or, with
 * {@code -Dbench.feast-limit-factor=4}, after 4 times LakeOps' time (then "stopped" alone shows
 * LakeOps / (a) &lt; 0.25); {@code -Dbench.feast-max-spine=N} skips it above N spine rows.
 * Sizes: {@code -Dbench.spine=1000000 -Dbench.features=5000000}, and the 4x size when
 * {@code -Dbench.scale4=true}.
 */
@Tag("benchmark")
class PointInTimeBenchmark extends SparkTestBase {

  private static final long SPINE = Long.getLong("bench.spine", 1_000_000L);
  private static final long FEATURES = Long.getLong("bench.features", 5_000_000L);
  private static final boolean SCALE4 = Boolean.parseBoolean(System.getProperty("bench.scale4", "false"));
  /**
   * Rounds per size: each round runs LakeOps, (b) and (c) once, in that order, and each row of the
   * results reports the median round (interleaved, so that a change in the machine's load hits
   * every algorithm alike).
   */
  private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 5);
  /** Rounds at sizes above {@code bench.spine} (the 4x size: about 2.5 minutes a round). */
  private static final int REPETITIONS_LARGE = Integer.getInteger("bench.repetitions-large", 3);

  private static int repetitions(long spine) {
    return spine > SPINE ? REPETITIONS_LARGE : REPETITIONS;
  }
  private static final int GROUPS = 3;
  private static final int WIDTH = 10;
  private static final long TTL_DAYS = 90;
  private static final boolean TRACE = Boolean.getBoolean("bench.trace");
  private static final boolean WARMUP = Boolean.parseBoolean(System.getProperty("bench.warmup", "true"));

  /** Counts Spark jobs, stages that wrote shuffle data, and shuffle bytes. */
  static final class Counter extends SparkListener {
    final AtomicLong jobs = new AtomicLong();
    final AtomicLong shuffleStages = new AtomicLong();
    final AtomicLong shuffleBytes = new AtomicLong();
    /** Executor CPU time of all stages, in nanoseconds: less sensitive to a busy machine than wall time. */
    final AtomicLong cpuNanos = new AtomicLong();

    private final java.util.Map<Integer, Long> started = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Integer, String> names = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
      jobs.incrementAndGet();
      started.put(jobStart.jobId(), jobStart.time());
      String d = jobStart.properties() == null ? null : jobStart.properties().getProperty("spark.job.description");
      names.put(jobStart.jobId(), d == null ? "" : d);
    }

    @Override
    public void onJobEnd(org.apache.spark.scheduler.SparkListenerJobEnd jobEnd) {
      if (TRACE) {
        Long s = started.remove(jobEnd.jobId());
        System.out.printf(Locale.ROOT, "  job %d %.2f s %s%n", jobEnd.jobId(),
            s == null ? 0 : (jobEnd.time() - s) / 1e3, names.remove(jobEnd.jobId()));
      }
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted stage) {
      if (stage.stageInfo().taskMetrics() == null) {
        return;
      }
      if (TRACE) {
        org.apache.spark.scheduler.StageInfo info = stage.stageInfo();
        long took = info.completionTime().isDefined() && info.submissionTime().isDefined()
            ? (Long) info.completionTime().get() - (Long) info.submissionTime().get() : -1;
        System.out.printf(Locale.ROOT, "    stage %d (%d tasks) %.2f s, task time %.1f s, cpu %.1f s, gc %.1f s: %s%n",
            info.stageId(), info.numTasks(), took / 1e3, info.taskMetrics().executorRunTime() / 1e3,
            info.taskMetrics().executorCpuTime() / 1e9, info.taskMetrics().jvmGCTime() / 1e3,
            info.name().length() > 60 ? info.name().substring(0, 60) : info.name());
      }
      cpuNanos.addAndGet(stage.stageInfo().taskMetrics().executorCpuTime());
      long bytes = stage.stageInfo().taskMetrics().shuffleWriteMetrics().bytesWritten();
      if (bytes > 0) {
        shuffleStages.incrementAndGet();
        shuffleBytes.addAndGet(bytes);
      }
    }

    void reset() {
      jobs.set(0);
      shuffleStages.set(0);
      shuffleBytes.set(0);
      cpuNanos.set(0);
    }
  }

  record Measure(String name, double seconds, long jobs, long shuffleStages, long shuffleBytes, double checksum,
      boolean timedOut, double cpuSeconds, List<Double> runs) {}

  /** The median of one algorithm's rounds (by seconds), with every round's seconds. */
  private static Measure median(List<Measure> rounds) {
    List<Measure> sorted = new ArrayList<>(rounds);
    sorted.sort(java.util.Comparator.comparingDouble(Measure::seconds));
    Measure m = sorted.get(sorted.size() / 2);
    List<Double> runs = new ArrayList<>();
    rounds.forEach(r -> runs.add(r.seconds()));
    return new Measure(m.name(), m.seconds(), m.jobs(), m.shuffleStages(), m.shuffleBytes(),
        rounds.get(0).checksum(), m.timedOut(), m.cpuSeconds(), runs);
  }

  /** Feast's algorithm fans out every feature row in the TTL window: it is stopped after this long. */
  private static final long FEAST_LIMIT_SECONDS = Long.getLong("bench.feast-limit-seconds", 1200);

  /**
   * When positive, Feast's algorithm is stopped after this many times LakeOps' time in the same
   * run instead (so "stopped" alone proves LakeOps / (a) &lt; 1 / factor).
   */
  private static final double FEAST_LIMIT_FACTOR = Double.parseDouble(
      System.getProperty("bench.feast-limit-factor", "0"));

  /** Feast's algorithm runs only for spine sizes up to this (it fans out every feature row). */
  private static final long FEAST_MAX_SPINE = Long.getLong("bench.feast-max-spine", Long.MAX_VALUE);

  private static void generate(SparkSession spark, String db, long spine, long features) {
    // Timestamps as LakeOps' jobs write them (LakehouseSessionFactory): Parquet INT64 micros.
    String timestamps = spark.conf().get("spark.sql.parquet.outputTimestampType");
    spark.conf().set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS");
    try {
      generateTables(spark, db, spine, features);
    } finally {
      spark.conf().set("spark.sql.parquet.outputTimestampType", timestamps);
    }
    // Every table's Delta snapshot and file list loaded before the measurements: otherwise the
    // algorithm that runs first pays for the state the others reuse (3 to 6 s at 1M here).
    spark.table(db + ".spine").count();
    for (int g = 0; g < GROUPS; g++) {
      spark.table(db + ".g" + g).count();
    }
  }

  private static void generateTables(SparkSession spark, String db, long spine, long features) {
    spark.sql("CREATE DATABASE IF NOT EXISTS " + db);
    String key = "CASE WHEN rand(%d) < 0.05 THEN concat('hot', CAST(id %% 4 AS STRING)) "
        + "ELSE concat('k', CAST(pmod(xxhash64(id, %d), 200000) AS STRING)) END";
    String year = "timestamp_micros(1704067200000000 + CAST(rand(%d) * 365 * 86400 AS BIGINT) * 1000000)";
    spark.sql("DROP TABLE IF EXISTS " + db + ".spine");
    spark.sql("CREATE TABLE " + db + ".spine USING delta AS SELECT id AS spine_id, "
        + String.format(Locale.ROOT, key, 1, 1) + " AS entity_id, "
        + String.format(Locale.ROOT, year, 2) + " AS at, CAST(id % 2 AS INT) AS label FROM range(" + spine + ")");
    for (int g = 0; g < GROUPS; g++) {
      StringBuilder cols = new StringBuilder();
      for (int f = 0; f < WIDTH; f++) {
        cols.append(", rand(").append(100 + g * WIDTH + f).append(") AS f").append(f);
      }
      spark.sql("DROP TABLE IF EXISTS " + db + ".g" + g);
      spark.sql("CREATE TABLE " + db + ".g" + g + " USING delta TBLPROPERTIES ('delta.enableRowTracking' = 'true') AS "
          + "SELECT entity_id, event_ts, event_ts + INTERVAL 1 MINUTE AS created_ts" + cols
          + " FROM (SELECT id, " + String.format(Locale.ROOT, key, 10 + g, 10 + g) + " AS entity_id, "
          + String.format(Locale.ROOT, year, 20 + g) + " AS event_ts FROM range(" + features + "))");
    }
  }

  private static List<FeatureRequest> requests(String db) {
    List<FeatureRequest> requests = new ArrayList<>();
    for (int g = 0; g < GROUPS; g++) {
      List<FeatureRequest.Feature> fs = new ArrayList<>();
      for (int f = 0; f < WIDTH; f++) {
        fs.add(new FeatureRequest.Feature("f" + f, "g" + g + "__f" + f));
      }
      requests.add(new FeatureRequest("g" + g, db + ".g" + g, null, List.of("entity_id"),
          List.of("entity_id"), fs, Duration.ofDays(TTL_DAYS)));
    }
    return requests;
  }

  /** Feast's Spark offline store point-in-time join, as its SQL template describes it. */
  static Dataset<Row> feast(SparkSession spark, String db) {
    StringBuilder sql = new StringBuilder("WITH entity_dataframe AS (SELECT *, spine_id AS entity_row_unique_id FROM "
        + db + ".spine)");
    for (int g = 0; g < GROUPS; g++) {
      String v = "g" + g;
      StringBuilder fcols = new StringBuilder();
      StringBuilder outs = new StringBuilder();
      for (int f = 0; f < WIDTH; f++) {
        fcols.append(", f").append(f);
        outs.append(", ").append(v).append("__base.f").append(f).append(" AS ").append(v).append("__f").append(f);
      }
      sql.append(",\n").append(v).append("__entity_dataframe AS (SELECT entity_id, at AS entity_timestamp, "
          + "entity_row_unique_id FROM entity_dataframe)");
      sql.append(",\n").append(v).append("__subquery AS (SELECT event_ts AS event_timestamp, created_ts AS created_timestamp, "
          + "entity_id").append(fcols).append(" FROM ").append(db).append('.').append(v)
          .append(" WHERE event_ts <= (SELECT max(entity_timestamp) FROM ").append(v).append("__entity_dataframe)"
          + " AND event_ts >= (SELECT min(entity_timestamp) FROM ").append(v).append("__entity_dataframe) - INTERVAL ")
          .append(TTL_DAYS).append(" DAYS)");
      sql.append(",\n").append(v).append("__base AS (SELECT s.*, e.entity_row_unique_id FROM ").append(v)
          .append("__subquery s INNER JOIN ").append(v).append("__entity_dataframe e ON s.event_timestamp <= e.entity_timestamp"
          + " AND s.event_timestamp >= e.entity_timestamp - INTERVAL ").append(TTL_DAYS)
          .append(" DAYS AND s.entity_id = e.entity_id)");
      sql.append(",\n").append(v).append("__dedup AS (SELECT entity_row_unique_id, event_timestamp, "
          + "max(created_timestamp) AS created_timestamp FROM ").append(v).append("__base GROUP BY entity_row_unique_id, event_timestamp)");
      sql.append(",\n").append(v).append("__latest AS (SELECT entity_row_unique_id, event_timestamp, created_timestamp FROM ("
          + "SELECT *, row_number() OVER (PARTITION BY entity_row_unique_id ORDER BY event_timestamp DESC, "
          + "created_timestamp DESC) AS row_number FROM ").append(v).append("__dedup) WHERE row_number = 1)");
      sql.append(",\n").append(v).append("__cleaned AS (SELECT ").append(v).append("__latest.entity_row_unique_id")
          .append(outs).append(" FROM ").append(v).append("__base INNER JOIN ").append(v).append("__latest USING "
          + "(entity_row_unique_id, event_timestamp, created_timestamp))");
    }
    sql.append("\nSELECT * FROM entity_dataframe");
    for (int g = 0; g < GROUPS; g++) {
      sql.append(" LEFT JOIN g").append(g).append("__cleaned USING (entity_row_unique_id)");
    }
    return spark.sql(sql.toString());
  }

  /** The lower bound: every spine and feature row, all columns, shuffled once by key. */
  static Dataset<Row> lowerBound(SparkSession spark, String db) {
    StringBuilder sql = new StringBuilder("SELECT entity_id, at AS t, CAST(NULL AS DOUBLE) AS v0");
    for (int f = 1; f < WIDTH; f++) {
      sql.append(", CAST(NULL AS DOUBLE) AS v").append(f);
    }
    sql.append(" FROM ").append(db).append(".spine");
    for (int g = 0; g < GROUPS; g++) {
      sql.append(" UNION ALL SELECT entity_id, event_ts");
      for (int f = 0; f < WIDTH; f++) {
        sql.append(", f").append(f);
      }
      sql.append(" FROM ").append(db).append(".g").append(g);
    }
    return spark.sql(sql.toString()).repartition(spark.sessionState().conf().numShufflePartitions(),
        org.apache.spark.sql.functions.col("entity_id"));
  }

  /**
   * (c) The lower bound of any sort-based as-of join: (b) plus a sort of each partition by key and
   * time (no matching, no fetch).
   */
  static Dataset<Row> sortedBound(SparkSession spark, String db) {
    return lowerBound(spark, db).sortWithinPartitions("entity_id", "t");
  }

  /** Writes the rows to the noop sink in a job group of its own, cancelled after limitSeconds (0: none). */
  private static boolean write(Dataset<Row> rows, long limitSeconds) {
    if (limitSeconds <= 0) {
      rows.write().format("noop").mode("overwrite").save();
      return true;
    }
    Thread t = new Thread(() -> {
      spark().sparkContext().setJobGroup("bench-limited", "limited run", true);
      try {
        rows.write().format("noop").mode("overwrite").save();
      } catch (RuntimeException e) {
        // cancelled
      }
    });
    t.start();
    try {
      t.join(limitSeconds * 1000);
      if (t.isAlive()) {
        spark().sparkContext().cancelJobGroup("bench-limited");
        t.join();
        // Stages that adaptive execution or subqueries started from other threads are not in the
        // job group: stop everything, so that nothing keeps running into the next measurement.
        while (spark().sparkContext().statusTracker().getActiveJobIds().length > 0) {
          spark().sparkContext().cancelAllJobs();
          Thread.sleep(500);
        }
        return false;
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * One run of an algorithm, written to the noop sink (stopped after limitSeconds when positive),
   * with the Spark jobs, shuffles and executor CPU it took; with a checksum column, the sum of
   * that column and a check that rows out == rows in (a second job, not timed).
   */
  private static Measure measure(String name, Counter counter, java.util.function.Supplier<Dataset<Row>> run,
      String checksumColumn, long limitSeconds) {
    System.gc();
    counter.reset();
    long start = System.nanoTime();
    Dataset<Row> rows = run.get();
    boolean timedOut = !write(rows, limitSeconds);
    double seconds = (System.nanoTime() - start) / 1e9;
    try {
      spark().sparkContext().listenerBus().waitUntilEmpty();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
    long jobs = counter.jobs.get();
    long stages = counter.shuffleStages.get();
    long bytes = counter.shuffleBytes.get();
    double cpu = counter.cpuNanos.get() / 1e9;
    double checksum = Double.NaN;
    if (checksumColumn != null && !timedOut) {
      Row r = rows.agg(org.apache.spark.sql.functions.sum(checksumColumn),
          org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.lit(1))).first();
      checksum = r.isNullAt(0) ? 0 : r.getDouble(0);
      assertEquals(SPINE_ROWS.get(), r.getLong(1), name + ": rows out == rows in");
    }
    System.out.printf(Locale.ROOT, "%s: %s%.2f s, executor CPU %.1f s, %d jobs, %d shuffle stages, %.1f MB shuffled%n",
        name, timedOut ? "stopped after " : "", seconds, cpu, jobs, stages, bytes / 1e6);
    return new Measure(name, seconds, jobs, stages, bytes, checksum, timedOut, cpu, List.of(seconds));
  }

  private static final AtomicLong SPINE_ROWS = new AtomicLong();

  private static String rounds(List<Double> runs) {
    List<String> out = new ArrayList<>();
    runs.forEach(r -> out.add(String.format(Locale.ROOT, "%.2f", r)));
    return String.join(", ", out);
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private List<Measure> runSize(String db, long spine, long features, Counter counter, boolean withFeast) {
    long start = System.nanoTime();
    generate(spark(), db, spine, features);
    System.out.printf(Locale.ROOT, "generated %,d spine rows and %d x %,d feature rows in %.0f s%n", spine, GROUPS,
        features, (System.nanoTime() - start) / 1e9);
    SPINE_ROWS.set(spine);
    List<Measure> m = new ArrayList<>();
    PitResult[] last = new PitResult[1];
    // Rounds of LakeOps, (b), (c), interleaved (the machine's load changes over time); Feast's
    // algorithm last, once.
    List<Measure> ours = new ArrayList<>();
    List<Measure> lowers = new ArrayList<>();
    List<Measure> sorteds = new ArrayList<>();
    int rounds = repetitions(spine);
    for (int round = 0; round < rounds; round++) {
      System.out.printf(Locale.ROOT, "round %d/%d%n", round + 1, rounds);
      ours.add(measure("LakeOps point-in-time join", counter, () -> {
        if (last[0] != null) {
          last[0].release();
        }
        last[0] = PointInTimeJoin.join(spark(), spark().table(db + ".spine"), "at", requests(db),
            PitOptions.defaults());
        return last[0].rows();
      }, round == 0 ? "g1__f3" : null, 0));
      lowers.add(measure("(b) lower bound: one shuffle of everything by key", counter,
          () -> lowerBound(spark(), db), null, 0));
      sorteds.add(measure("(c) sort-based bound: (b) plus a sort by key and time", counter,
          () -> sortedBound(spark(), db), null, 0));
    }
    m.add(median(ours));
    Measure lower = median(lowers);
    Measure sorted = median(sorteds);
    last[0].release();
    if (withFeast && spine <= FEAST_MAX_SPINE) {
      long limit = FEAST_LIMIT_FACTOR > 0 ? (long) Math.ceil(FEAST_LIMIT_FACTOR * m.get(0).seconds())
          : FEAST_LIMIT_SECONDS;
      m.add(measure("(a) Feast Spark offline store algorithm", counter, () -> feast(spark(), db), "g1__f3",
          limit));
    } else {
      m.add(null);
    }
    m.add(lower);
    m.add(sorted);
    return m;
  }

  @Test
  void pointInTimeJoinAgainstFeastAndTheLowerBound() throws IOException {
    SparkSession spark = spark();
    // Benchmark-size shuffles: more partitions than the test default of 2.
    String previous = spark.conf().get("spark.sql.shuffle.partitions");
    spark.conf().set("spark.sql.shuffle.partitions", "16");
    Counter counter = new Counter();
    spark.sparkContext().addSparkListener(counter);
    StringBuilder md = new StringBuilder();
    try {
      md.append("# Point-in-time join benchmark\n\n")
          .append("Command: `./mvnw -pl features -am verify -Pbenchmark -DskipITs -Dtest=PointInTimeBenchmark")
          .append(SCALE4 ? " -Dbench.scale4=true" : "").append("`\n\n")
          .append(String.format(Locale.ROOT, "Machine: %d cores, JVM heap %d MB, Spark local[2], "
              + "16 shuffle partitions. Each size runs %d round(s) (%d above %,d spine rows) of LakeOps, (b), (c), in "
              + "that order; each row shows the median round, and the last column every round's seconds "
              + "(Feast's algorithm: 1 run, last). The tables' Delta snapshots are loaded (a count of each) "
              + "right after they are generated, so that no algorithm pays for state another reuses.%n%n",
              Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, REPETITIONS,
              REPETITIONS_LARGE, SPINE))
          .append("Data: 3 feature groups x 10 double features sharing one entity key; 5% of rows on 4 hot ")
          .append("keys, the rest on 200,000 keys; times over one year; TTL 90 days; timestamps stored as Parquet INT64 ")
          .append("micros, as LakeOps' jobs write them. Each result goes to ")
          .append("Spark's `noop` sink. Checksum: sum of one feature column over the result (LakeOps and ")
          .append("Feast must agree).\n\n");
      List<long[]> sizes = new ArrayList<>();
      // -Dbench.sizes=100000:300000,1000000:5000000 runs several sizes (spine:features) in order.
      String list = System.getProperty("bench.sizes", SPINE + ":" + FEATURES);
      for (String size : list.split(",")) {
        String[] p = size.trim().split(":");
        sizes.add(new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])});
      }
      if (SCALE4) {
        sizes.add(new long[] {SPINE * 4, FEATURES * 4});
      }
      md.append("Command line properties of this run: `-Dbench.sizes=").append(list)
          .append(SCALE4 ? " -Dbench.scale4=true" : "")
          .append(FEAST_LIMIT_FACTOR > 0 ? " -Dbench.feast-limit-factor=" + FEAST_LIMIT_FACTOR
              : " -Dbench.feast-limit-seconds=" + FEAST_LIMIT_SECONDS)
          .append(FEAST_MAX_SPINE < Long.MAX_VALUE ? " -Dbench.feast-max-spine=" + FEAST_MAX_SPINE : "")
          .append("`\n\n");
      if (WARMUP) {
        // JIT and Spark's code generation caches warm up on small data first, so that the first
        // algorithm measured does not pay for them (LakeOps runs first).
        long start = System.nanoTime();
        runSize("pit_bench_warmup", 100_000, 500_000, counter, false);
        System.out.printf(Locale.ROOT, "warm-up done in %.0f s%n", (System.nanoTime() - start) / 1e9);
        md.append("Warm-up: every algorithm but Feast's ran its rounds on 100,000 spine rows and 3 x 500,000 feature "
            + "rows before the measurements (`-Dbench.warmup=false` skips it).\n\n");
      }
      for (long[] size : sizes) {
        String loadBefore = loadAverage();
        List<Measure> m = runSize("pit_bench", size[0], size[1], counter, true);
        Measure ours = m.get(0);
        md.append(String.format(Locale.ROOT, "## %,d spine rows, 3 x %,d feature rows%n%n", size[0], size[1]))
            .append(String.format(Locale.ROOT, "Measured %s; load average (1, 5, 15 min) before: %s, after: %s "
                + "(the machine is shared with other builds; the ratios compare runs made back to back).%n%n",
                java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), loadBefore, loadAverage()))
            .append("| algorithm | seconds | ratio LakeOps / this | executor CPU s | CPU ratio | Spark jobs | shuffle stages | MB shuffled | checksum | rounds (s) |\n")
            .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Measure x : m) {
          if (x == null) {
            md.append("| (a) Feast Spark offline store algorithm | not run at this size (`bench.feast-max-spine`) | | | | | | | | |\n");
            continue;
          }
          String lt = x.timedOut() ? "< " : "";
          md.append(String.format(Locale.ROOT, "| %s | %s%.2f | %s%.3f | %s%.1f | %s%.3f | %s%d | %s%d | %s%.1f | %s | %s |%n", x.name(),
              x.timedOut() ? "> " : "", x.seconds(), lt, ours.seconds() / x.seconds(),
              x.timedOut() ? ">= " : "", x.cpuSeconds(), lt, ours.cpuSeconds() / x.cpuSeconds(), x.timedOut() ? ">= " : "",
              x.jobs(), x.timedOut() ? ">= " : "", x.shuffleStages(), x.timedOut() ? ">= " : "", x.shuffleBytes() / 1e6,
              Double.isNaN(x.checksum()) ? (x.timedOut() ? "stopped" : "") : String.format(Locale.ROOT, "%.6f", x.checksum()),
              rounds(x.runs())));
        }
        Measure feast = m.get(1);
        md.append(feast == null ? "\nTargets: LakeOps / (a) <= 0.25: not measured at this size"
            : String.format(Locale.ROOT, "%nTargets: LakeOps / (a) <= 0.25: **%s%.3f**%s",
            feast.timedOut() ? "< " : "", ours.seconds() / feast.seconds(),
            feast.timedOut() ? String.format(Locale.ROOT, " ((a) was stopped after %.0f s)", feast.seconds()) : ""))
            .append(String.format(Locale.ROOT, "; LakeOps / (b) <= 1.5: **%.3f** (LakeOps / (c): %.3f).%n%n",
            ours.seconds() / m.get(2).seconds(), ours.seconds() / m.get(3).seconds()));
        if (feast != null && !feast.timedOut()) {
          assertEquals(feast.checksum(), ours.checksum(), 1e-6 * Math.abs(ours.checksum()),
              "LakeOps and Feast's algorithm must pick the same rows");
        }
        Path out = Path.of(System.getProperty("lakeops.root", "..")).resolve("features/benchmarks/point-in-time.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md.toString());
      }
    } finally {
      spark.sparkContext().removeSparkListener(counter);
      spark.conf().set("spark.sql.shuffle.partitions", previous);
    }
  }
}

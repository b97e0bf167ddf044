package io.lakeops.drift.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.drift.DriftColumn;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftReportInfo;
import io.lakeops.drift.spark.DriftComputation;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Drift report cost (not a timed test: it measures and writes {@code drift/benchmarks/drift.md}).
 * Run with {@code ./mvnw -pl drift -am install -DskipTests} then
 * {@code ./mvnw -pl drift verify -Pbenchmark} (with {@code -am} the feature store benchmark would run too).
 *
 * <p>Rows generated with {@code spark.range} and random expressions (not stored): 50 numeric and
 * 10 categorical columns, the first half of the rows the reference and the second half the
 * current window (a third of the columns shifted). The report (reference profile from scratch,
 * then the comparison) is timed against one plain aggregate scan of the same rows and columns
 * ({@code min}, {@code max}, {@code avg}, {@code count} of every column), in the same run.
 */
@Tag("benchmark")
class DriftBenchmark extends SparkTestBase {

  private static final long ROWS = Long.getLong("bench.rows", 10_000_000L);
  private static final int NUMERIC = 50;
  private static final int CATEGORICAL = 10;
  private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 2);
  private static final int PARTITIONS = 8;

  /**
   * Rows {@code [from, to)}. The reference and the current window are generated as ranges of
   * their own rather than filtered from all rows: Spark cannot push a filter below
   * non-deterministic expressions ({@code rand}), so a filtered window would generate every row
   * of both windows on each read, while a real table read with a date filter reads about its
   * window only.
   */
  private static Dataset<Row> data(long from, long to, int partitions) {
    List<Column> cols = new ArrayList<>();
    cols.add(col("id"));
    cols.add(expr("CAST(id % 4 AS STRING)").as("segment"));
    for (int i = 0; i < NUMERIC; i++) {
      // A third of the columns shift by 0.6 standard deviations in the current half (PSI about 0.35).
      String shift = i % 3 == 0 ? " + CASE WHEN id >= " + ROWS / 2 + " THEN " + 0.6 * (1 + i % 5) + " ELSE 0 END" : "";
      cols.add(expr("randn(" + i + ") * " + (1 + i % 5) + " + " + i + shift).as("n" + i));
    }
    for (int i = 0; i < CATEGORICAL; i++) {
      cols.add(expr("CAST(floor(rand(" + (100 + i) + ") * " + (3 + 2 * i) + ") AS STRING)").as("c" + i));
    }
    return spark().range(from, to, 1, partitions).select(cols.toArray(Column[]::new));
  }

  private static List<DriftColumn> columns() {
    List<DriftColumn> list = new ArrayList<>();
    for (int i = 0; i < NUMERIC; i++) {
      list.add(DriftColumn.numeric("n" + i));
    }
    for (int i = 0; i < CATEGORICAL; i++) {
      list.add(DriftColumn.categorical("c" + i));
    }
    return list;
  }

  record Timed<T>(T value, double seconds, int jobs) {}

  private static <T> Timed<T> time(Supplier<T> work) throws Exception {
    AtomicInteger jobs = new AtomicInteger();
    SparkListener counter = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart jobStart) {
        jobs.incrementAndGet();
      }
    };
    spark().sparkContext().listenerBus().waitUntilEmpty();
    spark().sparkContext().addSparkListener(counter);
    try {
      long start = System.nanoTime();
      T value = work.get();
      double seconds = (System.nanoTime() - start) / 1e9;
      spark().sparkContext().listenerBus().waitUntilEmpty();
      return new Timed<>(value, seconds, jobs.get());
    } finally {
      spark().sparkContext().removeSparkListener(counter);
    }
  }

  private static Row plainScan(Dataset<Row> df) {
    List<Column> aggs = new ArrayList<>();
    for (int i = 0; i < NUMERIC; i++) {
      Column c = col("n" + i);
      aggs.addAll(List.of(functions.min(c), functions.max(c), functions.avg(c), functions.count(c)));
    }
    for (int i = 0; i < CATEGORICAL; i++) {
      Column c = col("c" + i);
      aggs.addAll(List.of(functions.min(c), functions.max(c), functions.count(c)));
    }
    return df.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  @Test
  void reportAgainstOnePlainAggregateScan() throws Exception {
    String loadBefore = loadAverage();
    Dataset<Row> df = data(0, ROWS, PARTITIONS);
    Dataset<Row> ref = data(0, ROWS / 2, PARTITIONS / 2);
    Dataset<Row> cur = data(ROWS / 2, ROWS, PARTITIONS / 2);
    DriftReportInfo info = new DriftReportInfo("benchmark", LocalDate.of(2025, 1, 1), "generated",
        "first half", null, null, null, null);
    DriftOptions plain = DriftOptions.builder(columns()).build();
    DriftOptions segmented = DriftOptions.builder(columns()).segments(List.of("segment")).build();

    // Warm-up (JIT, Spark's code generation) on a slice.
    Dataset<Row> small = df.limit(200_000);
    plainScan(small);
    new DriftComputation(spark(), plain).compare(info, small, "warm-up", small);

    double[] scan = new double[REPETITIONS];
    double[] report = new double[REPETITIONS];
    double[] reportSegmented = new double[REPETITIONS];
    double[] stored = new double[REPETITIONS];
    int scanJobs = 0;
    int reportJobs = 0;
    int segmentedJobs = 0;
    int storedJobs = 0;
    DriftReport last = null;
    for (int r = 0; r < REPETITIONS; r++) {
      Timed<Row> s = time(() -> plainScan(df));
      scan[r] = s.seconds();
      scanJobs = s.jobs();
      Timed<DriftComputation.Result> d = time(() -> new DriftComputation(spark(), plain).compare(info, ref, "bench", cur));
      report[r] = d.seconds();
      reportJobs = d.jobs();
      last = d.value().report();
      DriftComputation.Result result = d.value();
      Timed<DriftReport> again = time(() -> new DriftComputation(spark(), plain).compare(info, result.reference(), cur).report());
      stored[r] = again.seconds();
      storedJobs = again.jobs();
      Timed<DriftReport> seg = time(() -> new DriftComputation(spark(), segmented).compare(info, ref, "bench-seg", cur).report());
      reportSegmented[r] = seg.seconds();
      segmentedJobs = seg.jobs();
      System.err.printf(Locale.ROOT, "repetition %d: scan %.2f s, report %.2f s, stored profile %.2f s, with segments %.2f s%n",
          r + 1, scan[r], report[r], stored[r], reportSegmented[r]);
    }

    String loadAfter = loadAverage();
    double base = median(scan);
    StringBuilder md = new StringBuilder();
    md.append("# Drift benchmarks\n\n")
        .append("Command: `./mvnw -pl drift -am install -DskipTests && ./mvnw -pl drift verify -Pbenchmark` (class `DriftBenchmark`).\n")
        .append(String.format(Locale.ROOT, "Machine: %d cores, %s %s, Java %s, Spark %s, measured %s.%n",
            Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
            System.getProperty("java.version"), spark().version(), Instant.now()))
        .append(String.format(Locale.ROOT, "Data: %,d rows generated with `spark.range` (%d partitions) and random "
            + "expressions, not stored; %d numeric and %d categorical columns (3 to 21 categories); the first "
            + "half of the rows is the reference, the second half the current window, a third of the numeric "
            + "columns shifted by 0.6 standard deviations. Each figure is the median of %d runs after a warm-up on 200,000 rows. "
            + "The reference and the current window are generated as ranges of their own (%d partitions each), "
            + "as a table read with a window filter reads its window only; the plain scan reads all rows. "
            + "Load average (1, 5, 15 min) before: %s; after: %s. The machine is shared with other builds, "
            + "so absolute times are noisy; the ratios compare runs made side by side.%n%n",
            ROWS, PARTITIONS, NUMERIC, CATEGORICAL, REPETITIONS, PARTITIONS / 2, loadBefore, loadAfter))
        .append("| measurement | seconds | Spark jobs | ratio to the plain scan | target |\n|---|---|---|---|---|\n")
        .append(String.format(Locale.ROOT, "| plain aggregate scan (min, max, avg, count of every column, all rows) | %.2f | %d | 1.00 | baseline |%n",
            base, scanJobs))
        .append(String.format(Locale.ROOT, "| drift report, reference profiled from scratch | %.2f | %d | %.2f | <= 2.0 |%n",
            median(report), reportJobs, median(report) / base))
        .append(String.format(Locale.ROOT, "| drift report against the stored profile | %.2f | %d | %.2f | (reported) |%n",
            median(stored), storedJobs, median(stored) / base))
        .append(String.format(Locale.ROOT, "| drift report from scratch, plus one segment column (4 values) | %.2f | %d | %.2f | (reported) |%n",
            median(reportSegmented), segmentedJobs, median(reportSegmented) / base))
        .append("\nAll runs: ")
        .append(String.format(Locale.ROOT, "scan %s s; report %s s; stored %s s; segmented %s s.%n",
            Arrays.toString(scan), Arrays.toString(report), Arrays.toString(stored), Arrays.toString(reportSegmented)))
        .append("\nThe report from scratch reads the reference twice (KLL quantile sketches of the numeric columns, "
            + "then counts on the resulting edges together with the current window) and the current window "
            + "once: 1.5 times the rows of the plain scan, with a grid lookup among 999 edges per numeric "
            + "value. Against a stored profile only the current window is read, once.\n");
    Path out = Path.of(System.getProperty("lakeops.root", ".."), "drift", "benchmarks", "drift.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md.toString());
    System.err.println(md);
    // A sanity check of what was measured (after the results are written).
    assertTrue(last.driftedColumns().size() >= NUMERIC / 3, "the shifted columns drift: " + last.driftedColumns());
  }
}

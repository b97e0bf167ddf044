package io.lakeops.drift.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftColumn;
import io.lakeops.drift.DriftMethod;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftReportInfo;
import io.lakeops.drift.DriftStatus;
import io.lakeops.drift.MetricValue;
import io.lakeops.drift.profile.DriftProfile;
import io.lakeops.drift.stats.HistogramDistances;
import io.lakeops.drift.stats.SampleDistances;
import io.lakeops.drift.stats.Tests;
import io.lakeops.testing.SparkTestBase;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

public class DriftComputationTest extends SparkTestBase {

  public static final DriftReportInfo INFO = new DriftReportInfo("test", LocalDate.of(2025, 1, 31), "generated",
      "generated reference", null, null, LocalDate.of(2025, 1, 1), LocalDate.of(2025, 1, 31));

  /** {@code numeric} numeric and {@code categorical} categorical generated columns, some shifted on side 1. */
  public static Dataset<Row> generated(long rows, int side, int numeric, int categorical) {
    List<Column> cols = new ArrayList<>();
    cols.add(expr("CAST(id % 3 AS STRING)").as("region"));
    for (int i = 0; i < numeric; i++) {
      double shift = side == 1 && i % 2 == 0 ? 0.5 : 0;
      cols.add(expr(String.format(java.util.Locale.ROOT, "randn(%d) + %s", 100 * side + i, shift)).as("n" + i));
    }
    for (int i = 0; i < categorical; i++) {
      String weights = side == 1 && i % 2 == 0 ? "0.2" : "0.5";
      cols.add(expr(String.format(java.util.Locale.ROOT,
          "CASE WHEN rand(%d) < %s THEN 'a' WHEN rand(%d) < 0.5 THEN 'b' ELSE 'c' END",
          1000 + 100 * side + i, weights, 2000 + 100 * side + i)).as("c" + i));
    }
    return spark().range(0, rows, 1, 2).select(cols.toArray(Column[]::new));
  }

  public static List<DriftColumn> columns(int numeric, int categorical) {
    List<DriftColumn> list = new ArrayList<>();
    for (int i = 0; i < numeric; i++) {
      list.add(DriftColumn.numeric("n" + i));
    }
    for (int i = 0; i < categorical; i++) {
      list.add(DriftColumn.categorical("c" + i));
    }
    return list;
  }

  @Test
  void aReportTakesTwoSparkJobsWhateverTheColumnCountAndOneWithAStoredProfile() {
    int[] jobs = new int[2];
    int k = 0;
    for (int[] shape : new int[][] {{4, 1}, {30, 10}}) {
      DriftOptions options = DriftOptions.builder(columns(shape[0], shape[1])).segments(List.of("region")).build();
      Dataset<Row> ref = generated(3000, 0, shape[0], shape[1]);
      Dataset<Row> cur = generated(3000, 1, shape[0], shape[1]);
      var counted = SparkJobCounter.count(spark(),
          () -> new DriftComputation(spark(), options).compare(INFO, ref, "p", cur));
      jobs[k++] = counted.jobs();
      assertEquals(counted.jobs(), counted.value().report().sparkJobs());
      // Half the columns are shifted: drifted (the data set too); the others are not.
      DriftReport report = counted.value().report();
      for (ColumnDrift c : report.columns()) {
        int index = Integer.parseInt(c.column().substring(1));
        assertEquals(index % 2 == 0, c.drifted(), c.column() + " " + c.status() + " " + c.metrics());
      }
      assertEquals(shape[0] + shape[1], report.columns().size());
      assertEquals(3 * (shape[0] + shape[1]), report.segments().size());

      var again = SparkJobCounter.count(spark(),
          () -> new DriftComputation(spark(), options).compare(INFO, counted.value().reference(), cur));
      assertEquals(1, again.jobs());
      assertReportsEqual(report, again.value().report());
    }
    assertEquals(2, jobs[0]);
    assertEquals(jobs[0], jobs[1], "Spark jobs for 5 and for 40 columns");
  }

  static void assertReportsEqual(DriftReport a, DriftReport b) {
    assertEquals(a.allResults().size(), b.allResults().size());
    for (int i = 0; i < a.allResults().size(); i++) {
      ColumnDrift x = a.allResults().get(i);
      ColumnDrift y = b.allResults().get(i);
      assertEquals(x.column() + x.segment(), y.column() + y.segment());
      assertEquals(x.status(), y.status());
      assertEquals(x.metrics().size(), y.metrics().size());
      for (int j = 0; j < x.metrics().size(); j++) {
        assertEquals(x.metrics().get(j).value(), y.metrics().get(j).value(), 1e-12,
            x.column() + " " + x.metrics().get(j).method());
      }
    }
  }

  @Test
  void sparkStatisticsAgreeWithExactOraclesOnTheRawRows() {
    StructType schema = new StructType().add("x", DataTypes.DoubleType).add("cat", DataTypes.StringType);
    java.util.Random rng = new java.util.Random(11);
    List<Row> refRows = new ArrayList<>();
    List<Row> curRows = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      refRows.add(RowFactory.create(i % 50 == 0 ? null : rng.nextGaussian() * 2 + 10, i % 7 == 0 ? "x" : i % 3 == 0 ? "y" : "z"));
    }
    for (int i = 0; i < 2500; i++) {
      curRows.add(RowFactory.create(i % 20 == 0 ? null : rng.nextGaussian() * 2.4 + 10.3, i % 5 == 0 ? "x" : i % 3 == 0 ? "y" : "w"));
    }
    DriftOptions options = DriftOptions.builder(List.of(DriftColumn.numeric("x"), DriftColumn.categorical("cat"))).build();
    DriftReport report = new DriftComputation(spark(), options).compare(INFO,
        spark().createDataFrame(refRows, schema).repartition(3), "p",
        spark().createDataFrame(curRows, schema).repartition(2)).report();

    double[] a = refRows.stream().filter(r -> !r.isNullAt(0)).mapToDouble(r -> r.getDouble(0)).toArray();
    double[] b = curRows.stream().filter(r -> !r.isNullAt(0)).mapToDouble(r -> r.getDouble(0)).toArray();
    ColumnDrift x = report.column("x").orElseThrow();
    MetricValue ks = x.metric(DriftMethod.KS).orElseThrow();
    double d = SampleDistances.ksStatistic(a, b);
    assertTrue(ks.value() <= d + 1e-12 && d <= ks.value() + ks.errorBound() + 1e-12, ks + " vs " + d);
    double std = SampleDistances.populationStd(a);
    MetricValue w = x.metric(DriftMethod.WASSERSTEIN).orElseThrow();
    assertEquals(SampleDistances.wasserstein(a, b) / std, w.value(), w.errorBound() + 1e-9);
    assertEquals(Arrays.stream(a).average().orElseThrow(), x.reference().mean(), 1e-9);
    assertEquals(std, x.reference().std(), 1e-9);
    MetricValue missing = x.metric(DriftMethod.MISSING_SHARE).orElseThrow();
    assertEquals(125.0 / 2500 - 60.0 / 3000, missing.value(), 1e-12);
    assertEquals(Tests.twoProportionPValue(60, 3000, 125, 2500), missing.pValue(), 1e-15);

    // Categories counted by hand: reference x, y, z; current adds w (unseen).
    Map<String, long[]> counts = new TreeMap<>();
    refRows.forEach(r -> counts.computeIfAbsent(r.getString(1), c -> new long[2])[0]++);
    curRows.forEach(r -> counts.computeIfAbsent(r.getString(1), c -> new long[2])[1]++);
    long[] rc = {counts.get("z")[0], counts.get("y")[0], counts.get("x")[0], 0};
    long[] cc = {counts.get("z")[1], counts.get("y")[1], counts.get("x")[1], counts.get("w")[1]};
    ColumnDrift cat = report.column("cat").orElseThrow();
    assertEquals(HistogramDistances.chiSquare(rc, cc).statistic(), cat.value(DriftMethod.CHI_SQUARE), 1e-9);
    assertEquals(HistogramDistances.psi(rc, cc, 1e-4), cat.value(DriftMethod.PSI), 1e-12);
    assertEquals((double) counts.get("w")[1] / 2500, cat.value(DriftMethod.UNSEEN_SHARE), 1e-12);
    assertTrue(cat.notes().stream().anyMatch(n -> n.contains("never seen in the reference: 'w'")), cat.notes().toString());
    assertEquals(DriftStatus.DRIFT, cat.status());
  }

  @Test
  void nanInfinityEmptyWindowsAllNullColumnsAndSmallSegmentsGetAClearStatus() {
    StructType schema = new StructType().add("seg", DataTypes.StringType).add("x", DataTypes.DoubleType)
        .add("empty", DataTypes.DoubleType).add("cat", DataTypes.StringType);
    List<Row> ref = new ArrayList<>();
    List<Row> cur = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      ref.add(RowFactory.create(i < 990 ? "big" : "tiny", (double) (i % 100), (double) i, "a"));
      Double x = i % 100 == 0 ? Double.NaN : i % 250 == 1 ? Double.POSITIVE_INFINITY : (double) (i % 100);
      cur.add(RowFactory.create(i < 990 ? "big" : "tiny", x, null, i % 2 == 0 ? "a" : "new"));
    }
    DriftOptions options = DriftOptions.builder(List.of(DriftColumn.numeric("x"), DriftColumn.numeric("empty"),
        DriftColumn.categorical("cat"))).segments(List.of("seg")).build();
    DriftReport report = new DriftComputation(spark(), options).compare(INFO,
        spark().createDataFrame(ref, schema), "p", spark().createDataFrame(cur, schema)).report();

    ColumnDrift x = report.column("x").orElseThrow();
    assertEquals(10, x.current().nans());
    assertEquals(4, x.current().infinities());
    assertEquals(986, x.current().values());
    assertTrue(x.notes().stream().anyMatch(n -> n.contains("10 NaN, 4 +Infinity and 0 -Infinity")), x.notes().toString());
    assertTrue(Double.isFinite(x.value(DriftMethod.PSI)));
    ColumnDrift empty = report.column("empty").orElseThrow();
    assertEquals(DriftStatus.ALL_NULL, empty.status());
    assertTrue(empty.drifted(), "a column that became entirely null has drifted (missing share 0 -> 1)");
    assertEquals(1.0, empty.value(DriftMethod.MISSING_SHARE), 0.0);
    ColumnDrift cat = report.column("cat").orElseThrow();
    assertEquals(0.5, cat.value(DriftMethod.UNSEEN_SHARE), 0.0);
    assertEquals(DriftStatus.DRIFT, cat.status());
    assertTrue(report.segments().stream().filter(c -> c.segment().equals("tiny"))
        .allMatch(c -> c.status() == DriftStatus.TOO_SMALL && c.metrics().isEmpty()));

    // An empty current window: every column says so, the data set is not called drifted.
    DriftReport none = new DriftComputation(spark(), options).compare(INFO,
        spark().createDataFrame(ref, schema), "p", spark().createDataFrame(List.of(), schema)).report();
    assertEquals(DriftStatus.EMPTY_WINDOW, none.status());
    assertFalse(none.drifted());
    assertTrue(none.columns().stream().allMatch(c -> c.status() == DriftStatus.EMPTY_WINDOW));
    // An empty reference.
    DriftReport noRef = new DriftComputation(spark(), options).compare(INFO,
        spark().createDataFrame(List.of(), schema), "p", spark().createDataFrame(cur, schema)).report();
    assertEquals(DriftStatus.NO_REFERENCE, noRef.status());
    assertTrue(noRef.columns().stream().allMatch(c -> c.status() == DriftStatus.NO_REFERENCE));
  }

  @Test
  void performanceDriftComparesErrorRatesOnLabelledRows() {
    StructType schema = new StructType().add("score", DataTypes.DoubleType).add("label", DataTypes.BooleanType);
    List<Row> ref = new ArrayList<>();
    List<Row> cur = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      boolean label = i % 2 == 0;
      // Reference: 10 % errors; current: 30 % errors, and a quarter of the labels not arrived.
      ref.add(RowFactory.create(label ^ (i % 10 == 1) ? 0.8 : 0.2, label));
      cur.add(RowFactory.create(label ^ (i % 10 < 3) ? 0.8 : 0.2, i % 4 == 3 ? null : label));
    }
    DriftOptions options = DriftOptions.builder(List.of(DriftColumn.numeric("score")))
        .performance(new DriftOptions.Performance("score", "label", 0.5)).build();
    DriftReport report = new DriftComputation(spark(), options).compare(INFO,
        spark().createDataFrame(ref, schema), "p", spark().createDataFrame(cur, schema)).report();
    ColumnDrift perf = report.performance().orElseThrow();
    long curErrors = 0;
    long curLabelled = 0;
    for (int i = 0; i < 2000; i++) {
      if (i % 4 != 3) {
        curLabelled++;
        curErrors += i % 10 < 3 ? 1 : 0;
      }
    }
    assertEquals((double) curErrors / curLabelled - 0.1, perf.value(DriftMethod.ERROR_RATE), 1e-12);
    assertTrue(perf.drifted());
    assertTrue(report.drifted(), "concept drift makes the data set drifted");
  }

  @Test
  void aucByWindowMatchesABruteForcePairCountWithinItsBoundAndSurvivesAStoredProfile() {
    StructType schema = new StructType().add("score", DataTypes.DoubleType).add("label", DataTypes.IntegerType);
    java.util.Random rng = new java.util.Random(8);
    List<Row> ref = new ArrayList<>();
    List<Row> cur = new ArrayList<>();
    double[][] scores = new double[2][3000];
    boolean[][] labels = new boolean[2][3000];
    for (int side = 0; side < 2; side++) {
      for (int i = 0; i < 3000; i++) {
        boolean label = rng.nextDouble() < 0.4;
        // The model separates the classes less well in the current window; some labels missing.
        double s = 1 / (1 + Math.exp(-(rng.nextGaussian() + (label ? (side == 0 ? 1.5 : 0.6) : 0))));
        boolean arrived = side == 0 || i % 5 != 0;
        scores[side][i] = s;
        labels[side][i] = label;
        (side == 0 ? ref : cur).add(RowFactory.create(s, arrived ? (label ? 1 : 0) : null));
      }
    }
    DriftOptions options = DriftOptions.builder(List.of(DriftColumn.numeric("score")))
        .performance(new DriftOptions.Performance("score", "label", 0.5)).build();
    var result = new DriftComputation(spark(), options).compare(INFO,
        spark().createDataFrame(ref, schema), "auc", spark().createDataFrame(cur, schema));
    ColumnDrift perf = result.report().performance().orElseThrow();
    double refExact = io.lakeops.drift.stats.BinnedAucTest.bruteForceAuc(scores[0], labels[0]);
    double[] curScores = java.util.stream.IntStream.range(0, 3000).filter(i -> i % 5 != 0).mapToDouble(i -> scores[1][i]).toArray();
    boolean[] curLabels = new boolean[curScores.length];
    int j = 0;
    for (int i = 0; i < 3000; i++) {
      if (i % 5 != 0) {
        curLabels[j++] = labels[1][i];
      }
    }
    double curExact = io.lakeops.drift.stats.BinnedAucTest.bruteForceAuc(curScores, curLabels);
    MetricValue auc = perf.metrics().stream().filter(m -> m.method().equals(DriftMethod.AUC)).findFirst().orElseThrow();
    MetricValue change = perf.metrics().stream().filter(m -> m.method().equals(DriftMethod.AUC_CHANGE)).findFirst().orElseThrow();
    assertTrue(Math.abs(auc.value() - curExact) <= auc.errorBound() + 1e-12, auc + " vs exact " + curExact);
    assertTrue(Math.abs(change.value() - (curExact - refExact)) <= change.errorBound() + 1e-12, change + " vs exact " + (curExact - refExact));
    assertTrue(auc.errorBound() < 0.005 && auc.errorBound() > 0, "bound " + auc.errorBound());

    spark().sql("CREATE DATABASE IF NOT EXISTS drift_test");
    DriftProfiles store = new DriftProfiles(spark(), "drift_test.drift_profiles_auc");
    store.save(result.reference(), "auc test", Instant.parse("2025-01-31T00:00:00Z"));
    DriftReport again = new DriftComputation(spark(), options).compare(INFO,
        store.load("auc", options).orElseThrow(), spark().createDataFrame(cur, schema)).report();
    assertEquals(change.value(), again.performance().orElseThrow().value(DriftMethod.AUC_CHANGE), 1e-12);
  }

  @Test
  void wrongColumnsAreRefusedNamingTheColumn() {
    StructType schema = new StructType().add("s", DataTypes.StringType);
    Dataset<Row> df = spark().createDataFrame(List.of(RowFactory.create("a")), schema);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        new DriftComputation(spark(), DriftOptions.builder(List.of(DriftColumn.numeric("s"))).build())
            .compare(INFO, df, "p", df));
    assertEquals("Cannot compare column s as numeric: it is string in the reference. Declare it categorical.", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () ->
        new DriftComputation(spark(), DriftOptions.builder(List.of(DriftColumn.numeric("t"))).build())
            .compare(INFO, df, "p", df));
    assertEquals("Cannot find column t in the reference. Its columns: [s]", e.getMessage());
  }

  @Test
  void storedProfilesRoundTripThroughDelta() {
    spark().sql("CREATE DATABASE IF NOT EXISTS drift_test");
    DriftOptions options = DriftOptions.builder(columns(3, 2)).segments(List.of("region")).build();
    var result = new DriftComputation(spark(), options).compare(INFO, generated(2000, 0, 3, 2), "profile-1",
        generated(2000, 1, 3, 2));
    DriftProfiles store = new DriftProfiles(spark(), "drift_test.drift_profiles");
    store.save(result.reference(), "test definition", Instant.parse("2025-01-31T00:00:00Z"));
    store.save(result.reference(), "test definition", Instant.parse("2025-01-31T00:00:00Z"));
    assertEquals(4 * 5, spark().table("drift_test.drift_profiles").count(), "one row per group and column, once");
    DriftProfile loaded = store.load("profile-1", options).orElseThrow();
    assertTrue(store.load("other", options).isEmpty());
    DriftReport again = new DriftComputation(spark(), options).compare(INFO, loaded, generated(2000, 1, 3, 2)).report();
    assertReportsEqual(result.report(), again);

    long written = new DriftMetricsTable(spark(), "drift_test.drift_metrics").write(again, "run-1", Instant.now());
    new DriftMetricsTable(spark(), "drift_test.drift_metrics").write(again, "run-2", Instant.now());
    assertEquals(written, spark().table("drift_test.drift_metrics").count(), "a rerun replaces the report's rows");
    assertEquals(1, spark().table("drift_test.drift_metrics").select("run_id").distinct().count());
    assertEquals(again.columns().size(), spark().table("drift_test.drift_metrics")
        .where(col("segment_column").isNull().and(col("method").equalTo("psi"))).count());
  }
}

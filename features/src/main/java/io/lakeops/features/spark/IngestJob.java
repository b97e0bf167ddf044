package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.lakeops.features.IngestResult;
import io.lakeops.features.IngestResult.CheckResult;
import io.lakeops.features.definition.Checks;
import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.FeatureGroup;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code ingest}: read the source slice of a run date, validate every row, and either take the
 * batch (good rows to {@code <group>_ingested}) or reject it (exit 3 in the jobs module) leaving
 * that table untouched. Rejected rows always go to the quarantine whole, with every reason;
 * check metrics always go to {@code validation_results}. All statistics of the batch come from
 * one aggregation over the validated rows.
 */
public final class IngestJob {

  /** Quantiles use percentile_approx with this accuracy: rank error at most 1/accuracy. */
  public static final int QUANTILE_ACCURACY = 10_000;

  static final StructType QUARANTINE = new StructType()
      .add("run_id", DataTypes.StringType, false)
      .add("group_name", DataTypes.StringType, false)
      .add("run_date", DataTypes.DateType, false)
      .add("source", DataTypes.StringType, false)
      .add("row_number", DataTypes.LongType, false)
      .add("raw", DataTypes.StringType, true)
      .add("reasons", DataTypes.createArrayType(DataTypes.StringType), false)
      .add("quarantined_at", DataTypes.TimestampType, false);

  static final StructType VALIDATION = new StructType()
      .add("run_id", DataTypes.StringType, false)
      .add("group_name", DataTypes.StringType, false)
      .add("run_date", DataTypes.DateType, false)
      .add("check", DataTypes.StringType, false)
      .add("column", DataTypes.StringType, true)
      .add("metric", DataTypes.DoubleType, true)
      .add("threshold", DataTypes.StringType, true)
      .add("passed", DataTypes.BooleanType, false)
      .add("message", DataTypes.StringType, true)
      .add("created_at", DataTypes.TimestampType, false);

  private final SparkSession spark;
  private final FeatureTables tables;

  public IngestJob(SparkSession spark, FeatureTables tables) {
    this.spark = spark;
    this.tables = tables;
  }

  public IngestResult run(FeatureGroup group, LocalDate runDate, String runId, Instant now,
      Map<String, String> environment) {
    requireUtcSession(spark);
    String location = SourceReader.location(group.source(), runDate);
    describe("read and validate " + location);
    Dataset<Row> validated = RowValidator.validate(
        SourceReader.read(spark, group, runDate, environment), group, runDate)
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      describe("batch statistics (one pass)");
      BatchStatistics stats = BatchStatistics.compute(validated, group);
      List<CheckResult> checks = new ArrayList<>(evaluate(group, stats));
      checks.add(rowCountCheck(group, runDate, stats.accepted()));
      if (stats.dataRows() != stats.accepted() + stats.quarantined()) {
        throw new IllegalStateException("Row counts do not reconcile for " + location + ": "
            + stats.dataRows() + " input rows, " + stats.accepted() + " accepted, "
            + stats.quarantined() + " quarantined");
      }
      describe("write quarantine");
      writeQuarantine(validated, group, runDate, runId, now);
      describe("write validation results");
      writeValidation(checks, group, runDate, runId, now);
      boolean passed = checks.stream().allMatch(CheckResult::passed);
      if (passed) {
        describe("write " + tables.ingested(group));
        writeIngested(validated, group, runDate, runId);
      }
      return new IngestResult(group.name(), runDate, location, stats.dataRows(), stats.accepted(),
          stats.quarantined(), stats.headerLines(), stats.skippedLines(), stats.blankLines(),
          checks, passed);
    } finally {
      validated.unpersist();
      spark.sparkContext().setJobDescription(null);
    }
  }

  static void requireUtcSession(SparkSession spark) {
    String zone = spark.conf().get("spark.sql.session.timeZone");
    if (!"UTC".equals(zone) && !"Etc/UTC".equals(zone) && !"Z".equals(zone)) {
      throw new IllegalStateException("Cannot run with spark.sql.session.timeZone=" + zone
          + ": LakeOps stores and compares every timestamp in UTC. Set it to UTC for LakeOps jobs.");
    }
  }

  private void describe(String step) {
    spark.sparkContext().setJobDescription("lakeops ingest: " + step);
  }

  private List<CheckResult> evaluate(FeatureGroup group, BatchStatistics stats) {
    Checks checks = group.checks();
    List<CheckResult> results = new ArrayList<>();
    if (stats.dataRows() == 0) {
      results.add(new CheckResult("rejected_share", "", Double.NaN, "input has rows", false,
          "The input has no data rows (" + stats.headerLines() + " header, " + stats.skippedLines()
              + " skipped, " + stats.blankLines() + " blank lines): nothing to ingest."));
      return results;
    }
    double rejected = (double) stats.quarantined() / stats.dataRows();
    results.add(new CheckResult("rejected_share", "", rejected, "<= " + checks.maxRejectedShare(),
        rejected <= checks.maxRejectedShare(), String.format(Locale.ROOT,
            "%d of %d rows rejected (%.4f)", stats.quarantined(), stats.dataRows(), rejected)));
    for (Map.Entry<String, Double> e : checks.maxMissingShare().entrySet()) {
      double share = stats.accepted() == 0 ? Double.NaN
          : (double) stats.missing(e.getKey()) / stats.accepted();
      results.add(new CheckResult("missing_share", e.getKey(), share, "<= " + e.getValue(),
          share <= e.getValue(), String.format(Locale.ROOT, "%d of %d accepted rows miss %s",
              stats.missing(e.getKey()), stats.accepted(), e.getKey())));
    }
    for (Map.Entry<String, Checks.Band> e : checks.meanBands().entrySet()) {
      double mean = stats.mean(e.getKey());
      results.add(band("mean", e.getKey(), mean, e.getValue()));
    }
    for (Checks.QuantileBand q : checks.quantileBands()) {
      double v = stats.quantile(q.column(), q.quantile());
      results.add(band("quantile_" + q.quantile(), q.column(), v, q.band()));
    }
    return results;
  }

  private static CheckResult band(String check, String column, double value, Checks.Band band) {
    boolean ok = !Double.isNaN(value) && band.contains(value);
    return new CheckResult(check, column, value, "in [" + band.min() + ", " + band.max() + "]", ok,
        Double.isNaN(value) ? check + " of " + column + " cannot be computed: no accepted value"
            : String.format(Locale.ROOT, "%s of %s is %.6g", check, column, value));
  }

  /** Accepted rows within ±tolerance of the median of the last runs that passed. */
  private CheckResult rowCountCheck(FeatureGroup group, LocalDate runDate, long accepted) {
    if (group.checks().rowCountTolerance().isEmpty()) {
      return new CheckResult("row_count", "", accepted, "not checked", true,
          accepted + " rows accepted");
    }
    double tolerance = group.checks().rowCountTolerance().get();
    List<Double> history = new ArrayList<>();
    if (spark.catalog().tableExists(tables.validationResults())) {
      describe("row count history");
      // Only runs whose every check passed (their batch was written) form the baseline.
      spark.table(tables.validationResults())
          .where(col("group_name").equalTo(group.name()).and(col("run_date").lt(Date.valueOf(runDate))))
          .groupBy("run_id", "run_date")
          .agg(functions.bool_and(col("passed")).as("run_passed"),
              functions.max(functions.when(col("check").equalTo("row_count"), col("metric"))).as("metric"),
              functions.max("created_at").as("created_at"))
          .where(col("run_passed").and(col("metric").isNotNull()))
          .groupBy("run_date").agg(functions.max_by(col("metric"), col("created_at")).as("metric"))
          .orderBy(col("run_date").desc()).limit(group.checks().rowCountRuns())
          .collectAsList().forEach(r -> history.add(r.getDouble(1)));
    }
    if (history.isEmpty()) {
      return new CheckResult("row_count", "", accepted, "within ±" + tolerance + " of the median",
          true, accepted + " rows accepted; no earlier run to compare with yet");
    }
    double[] sorted = history.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
    double change = median == 0 ? (accepted == 0 ? 0 : Double.POSITIVE_INFINITY) : (accepted - median) / median;
    boolean ok = Math.abs(change) <= tolerance;
    return new CheckResult("row_count", "", accepted, String.format(Locale.ROOT,
        "within ±%.0f%% of %.1f (median of the last %d runs)", tolerance * 100, median, sorted.length),
        ok, String.format(Locale.ROOT, "%d rows accepted, %+.1f%% against the median %.1f",
            accepted, change * 100, median));
  }

  private void writeQuarantine(Dataset<Row> validated, FeatureGroup group, LocalDate runDate,
      String runId, Instant now) {
    Dataset<Row> rejected = validated
        .where(col(SourceReader.KIND).equalTo("data").and(functions.size(col(RowValidator.REASONS)).gt(0)))
        .select(lit(runId).as("run_id"), lit(group.name()).as("group_name"),
            lit(Date.valueOf(runDate)).as("run_date"), col(SourceReader.SOURCE).as("source"),
            col(SourceReader.ROW).as("row_number"), col(SourceReader.RAW).as("raw"),
            col(RowValidator.REASONS).as("reasons"), lit(Timestamp.from(now)).as("quarantined_at"));
    // One run date's rejects replace the previous run's for that date: re-runs do not pile up.
    DeltaWrites.replace(spark, rejected, tables.quarantine(),
        col("group_name").equalTo(group.name()).and(col("run_date").equalTo(lit(Date.valueOf(runDate)))),
        "LakeOps: rejected input rows, kept whole, with every reason");
  }

  private void writeValidation(List<CheckResult> checks, FeatureGroup group, LocalDate runDate,
      String runId, Instant now) {
    List<Row> rows = new ArrayList<>();
    for (CheckResult c : checks) {
      rows.add(RowFactory.create(runId, group.name(), Date.valueOf(runDate), c.check(),
          c.column().isEmpty() ? null : c.column(), Double.isNaN(c.metric()) ? null : c.metric(),
          c.threshold(), c.passed(), c.message(), Timestamp.from(now)));
    }
    DeltaWrites.append(spark, spark.createDataFrame(rows, VALIDATION), tables.validationResults(),
        "LakeOps: the metric, threshold and verdict of every ingest check");
  }

  private void writeIngested(Dataset<Row> validated, FeatureGroup group, LocalDate runDate, String runId) {
    List<Column> columns = new ArrayList<>();
    for (ColumnSpec c : group.columns()) {
      columns.add(col(c.name()));
    }
    columns.add(col(FeatureGroup.EVENT_TS));
    columns.add(functions.to_date(col(FeatureGroup.EVENT_TS)).as(FeatureGroup.EVENT_DATE));
    columns.add(lit(Date.valueOf(runDate)).as("ingest_date"));
    columns.add(lit(runId).as("ingest_run_id"));
    columns.add(col(SourceReader.SOURCE).as("source_file"));
    columns.add(col(SourceReader.ROW).as("source_row"));
    Dataset<Row> good = validated
        .where(col(SourceReader.KIND).equalTo("data").and(functions.size(col(RowValidator.REASONS)).equalTo(0)))
        .select(columns.toArray(Column[]::new));
    String table = tables.ingested(group);
    Column slice = group.source().snapshot() ? lit(true)
        : col("ingest_date").equalTo(lit(Date.valueOf(runDate)));
    // Not partitioned: a partition per day makes thousands of tiny files for ordinary groups.
    // Rows are written in event-date order, so Delta's file statistics skip by date instead.
    DeltaWrites.replace(spark, good.sortWithinPartitions(FeatureGroup.EVENT_DATE), table, slice,
        "LakeOps: validated source rows of feature group " + group.name());
  }
}

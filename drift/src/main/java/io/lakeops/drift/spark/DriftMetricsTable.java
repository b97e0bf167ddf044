package io.lakeops.drift.spark;

import static org.apache.spark.sql.functions.col;

import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftReportInfo;
import io.lakeops.drift.MetricValue;
import io.lakeops.features.spark.DeltaWrites;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code lakeops.drift_metrics}: one row per (report, feature, segment, method), a history
 * analysts can chart. A column that could not be compared (empty window, too small a segment)
 * gets one row with method {@code status}. Rerunning a report (same name and run date)
 * replaces its rows in one commit.
 */
public final class DriftMetricsTable {

  public static final String STATUS_METHOD = "status";

  static final StructType SCHEMA = new StructType()
      .add("report_id", DataTypes.StringType, false)
      .add("report_name", DataTypes.StringType, false)
      .add("run_date", DataTypes.DateType, false)
      .add("run_id", DataTypes.StringType, true)
      .add("computed_at", DataTypes.TimestampType, false)
      .add("feature", DataTypes.StringType, false)
      .add("kind", DataTypes.StringType, false)
      .add("role", DataTypes.StringType, false)
      .add("segment_column", DataTypes.StringType, true)
      .add("segment", DataTypes.StringType, false)
      .add("method", DataTypes.StringType, false)
      .add("value", DataTypes.DoubleType, true)
      .add("threshold", DataTypes.DoubleType, true)
      .add("drifted", DataTypes.BooleanType, false)
      .add("decides", DataTypes.BooleanType, false)
      .add("p_value", DataTypes.DoubleType, true)
      .add("p_value_adjusted", DataTypes.DoubleType, true)
      .add("error_bound", DataTypes.DoubleType, true)
      .add("status", DataTypes.StringType, false)
      .add("column_drifted", DataTypes.BooleanType, false)
      .add("dataset_drifted", DataTypes.BooleanType, false)
      .add("ref_from", DataTypes.DateType, true)
      .add("ref_to", DataTypes.DateType, true)
      .add("cur_from", DataTypes.DateType, true)
      .add("cur_to", DataTypes.DateType, true)
      .add("ref_rows", DataTypes.LongType, false)
      .add("cur_rows", DataTypes.LongType, false)
      .add("ref_values", DataTypes.LongType, false)
      .add("cur_values", DataTypes.LongType, false)
      .add("profile_id", DataTypes.StringType, true);

  private final SparkSession spark;
  private final String table;

  public DriftMetricsTable(SparkSession spark, String table) {
    this.spark = spark;
    this.table = table;
  }

  /** Writes the report's rows, replacing earlier rows of the same report id; returns the row count. */
  public long write(DriftReport report, String runId, Instant computedAt) {
    List<Row> rows = rows(report, runId, computedAt);
    DeltaWrites.replace(spark, spark.createDataFrame(rows, SCHEMA), table,
        col("report_id").equalTo(report.info().reportId()),
        "LakeOps drift metrics: one row per report, feature, segment and method");
    return rows.size();
  }

  static List<Row> rows(DriftReport report, String runId, Instant computedAt) {
    DriftReportInfo info = report.info();
    List<Row> rows = new ArrayList<>();
    for (ColumnDrift c : report.allResults()) {
      String kind = c.kind() == null ? "performance" : c.kind().name().toLowerCase(Locale.ROOT);
      List<MetricValue> metrics = c.metrics().isEmpty()
          ? List.of(new MetricValue(STATUS_METHOD, Double.NaN, Double.NaN, false, false, Double.NaN, Double.NaN, Double.NaN))
          : c.metrics();
      for (MetricValue m : metrics) {
        rows.add(RowFactory.create(info.reportId(), info.name(), date(info.runDate()), runId,
            Timestamp.from(computedAt), c.column(), kind, c.role().name().toLowerCase(Locale.ROOT),
            c.segmentColumn(), c.segment(), m.method(), nullable(m.value()), nullable(m.threshold()),
            m.drifted(), m.decides(), nullable(m.pValue()), nullable(m.adjustedPValue()),
            nullable(m.errorBound()), c.status().name(), c.drifted(), report.drifted(),
            date(info.referenceFrom()), date(info.referenceTo()), date(info.currentFrom()),
            date(info.currentTo()), c.reference().rows(), c.current().rows(),
            c.reference().values(), c.current().values(), report.profileId()));
      }
    }
    return rows;
  }

  private static Double nullable(double v) {
    return Double.isNaN(v) ? null : v;
  }

  private static Date date(LocalDate d) {
    return d == null ? null : Date.valueOf(d);
  }
}

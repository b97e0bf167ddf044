package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.lakeops.features.definition.Checks;
import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.FeatureGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Every statistic an ingest needs, from one aggregation over the validated rows: line counts by
 * kind, rejected rows, and per column the missing count, mean and the requested quantiles of the
 * accepted rows. One {@code agg}: one pass over the data, one Spark job with adaptive query
 * execution off (a test counts them); with AQE on, Spark runs the same pass as two jobs (the
 * shuffle stage, then the result), still reading the rows once.
 */
public record BatchStatistics(long dataRows, long accepted, long quarantined, long headerLines,
    long skippedLines, long blankLines, Map<String, Long> missing, Map<String, Double> means,
    Map<String, Double> quantiles) {

  public long missing(String column) {
    return missing.getOrDefault(column, 0L);
  }

  public double mean(String column) {
    return means.getOrDefault(column, Double.NaN);
  }

  public double quantile(String column, double q) {
    return quantiles.getOrDefault(column + "@" + q, Double.NaN);
  }

  public static BatchStatistics compute(Dataset<Row> validated, FeatureGroup group) {
    Column kind = col(SourceReader.KIND);
    Column data = kind.equalTo("data");
    Column ok = data.and(functions.size(col(RowValidator.REASONS)).equalTo(0));
    List<Column> aggs = new ArrayList<>(List.of(
        count(data).as("data"), count(ok).as("accepted"),
        count(data.and(functions.size(col(RowValidator.REASONS)).gt(0))).as("quarantined"),
        count(kind.equalTo("header")).as("header"), count(kind.equalTo("skipped")).as("skipped"),
        count(kind.equalTo("blank")).as("blank")));
    List<String> columns = new ArrayList<>();
    for (ColumnSpec c : group.columns()) {
      columns.add(c.name());
      aggs.add(count(ok.and(col(c.name()).isNull())).as("missing_" + c.name()));
    }
    Checks checks = group.checks();
    List<String> meanColumns = List.copyOf(checks.meanBands().keySet());
    for (String c : meanColumns) {
      aggs.add(functions.avg(when(ok, col(c).cast("double"))).as("mean_" + c));
    }
    for (int i = 0; i < checks.quantileBands().size(); i++) {
      Checks.QuantileBand q = checks.quantileBands().get(i);
      aggs.add(functions.percentile_approx(when(ok, col(q.column()).cast("double")), lit(q.quantile()),
          lit(IngestJob.QUANTILE_ACCURACY)).as("quantile_" + i));
    }
    Row r = validated.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
    Map<String, Long> missing = new HashMap<>();
    for (String c : columns) {
      missing.put(c, r.getLong(r.fieldIndex("missing_" + c)));
    }
    Map<String, Double> means = new HashMap<>();
    for (String c : meanColumns) {
      Object v = r.get(r.fieldIndex("mean_" + c));
      means.put(c, v == null ? Double.NaN : ((Number) v).doubleValue());
    }
    Map<String, Double> quantiles = new HashMap<>();
    for (int i = 0; i < checks.quantileBands().size(); i++) {
      Checks.QuantileBand q = checks.quantileBands().get(i);
      Object v = r.get(r.fieldIndex("quantile_" + i));
      quantiles.put(q.column() + "@" + q.quantile(), v == null ? Double.NaN : ((Number) v).doubleValue());
    }
    return new BatchStatistics(r.getLong(0), r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4),
        r.getLong(5), missing, means, quantiles);
  }

  private static Column count(Column condition) {
    return functions.coalesce(functions.sum(when(condition, 1L).otherwise(0L)), lit(0L)).cast("long");
  }
}

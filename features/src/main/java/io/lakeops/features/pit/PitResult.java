package io.lakeops.features.pit;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The result of a point-in-time join.
 *
 * @param rows one row per spine row: the spine's columns, then the features in request order,
 *     then per group the audit columns {@code <group>__feature_ts} and {@code <group>__created_ts}
 *     (null when that group had no usable row)
 * @param pinned the requests as run, each pinned to the Delta version that was read
 * @param spineRows rows in the spine (the result has exactly as many)
 * @param featureColumns the output feature columns, in order
 * @param auditColumns the audit columns, in order
 * @param carriedRows candidate feature rows carried into a range partition from the previous ones
 *     (a hot key split by time across partitions); a row carried into two partitions counts twice
 * @param cached the cached inputs the rows are computed from (the spine, when it has several key
 *     sets or is not deterministic)
 */
public record PitResult(Dataset<Row> rows, List<FeatureRequest> pinned, long spineRows,
    List<String> featureColumns, List<String> auditColumns, long carriedRows,
    List<Dataset<Row>> cached) {

  public PitResult {
    pinned = List.copyOf(pinned);
    featureColumns = List.copyOf(featureColumns);
    auditColumns = List.copyOf(auditColumns);
    cached = List.copyOf(cached);
  }

  /** Releases the cached intermediate data, once the rows have been written or collected. */
  public void release() {
    cached.forEach(Dataset::unpersist);
  }

  /** The rows without the audit columns. */
  public Dataset<Row> withoutAudit() {
    return rows.drop(auditColumns.toArray(new String[0]));
  }
}

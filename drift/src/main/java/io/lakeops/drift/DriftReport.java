package io.lakeops.drift;

import java.util.List;
import java.util.Optional;

/**
 * A drift report: the verdict on the data set, every column over all rows (sorted by
 * severity), every column per segment, and concept drift when labels exist.
 *
 * @param status OK, WARN, DRIFT, or EMPTY_WINDOW / NO_REFERENCE when one side has no rows
 * @param drifted the data set drifted: the share of drifted columns reached
 *     {@link DriftOptions#driftedShare()}, a critical column drifted, or performance degraded
 * @param driftedShare drifted columns over compared columns (all rows)
 * @param sparkJobs Spark jobs the computation ran (profile and comparison passes)
 */
public record DriftReport(DriftReportInfo info, DriftOptions options, String profileId,
    boolean profileReused, long referenceRows, long currentRows, DriftStatus status,
    boolean drifted, double driftedShare, List<String> driftedColumns,
    List<String> criticalDrifted, List<ColumnDrift> columns, List<ColumnDrift> segments,
    Optional<ColumnDrift> performance, List<ColumnDrift> segmentPerformance, int sparkJobs) {

  public DriftReport {
    driftedColumns = List.copyOf(driftedColumns);
    criticalDrifted = List.copyOf(criticalDrifted);
    columns = List.copyOf(columns);
    segments = List.copyOf(segments);
    segmentPerformance = List.copyOf(segmentPerformance);
  }

  /** Every column result: all rows, then segments, then performance rows. */
  public List<ColumnDrift> allResults() {
    List<ColumnDrift> all = new java.util.ArrayList<>(columns);
    all.addAll(segments);
    performance.ifPresent(all::add);
    all.addAll(segmentPerformance);
    return all;
  }

  public Optional<ColumnDrift> column(String name) {
    return columns.stream().filter(c -> c.column().equals(name)).findFirst();
  }

  public DriftReport withSparkJobs(int jobs) {
    return new DriftReport(info, options, profileId, profileReused, referenceRows, currentRows,
        status, drifted, driftedShare, driftedColumns, criticalDrifted, columns, segments,
        performance, segmentPerformance, jobs);
  }
}

package io.lakeops.drift;

import java.util.List;
import java.util.Optional;

/**
 * The comparison of one column in one segment (or of model performance, with
 * {@code kind == null} and {@code role == PREDICTION}).
 *
 * @param segmentColumn the segment column, or null for all rows
 * @param segment the segment value ({@code (all)} for all rows)
 * @param drifted a deciding metric drifted
 * @param decidedBy the deciding methods, for the report
 * @param notes what a reader must know: excluded NaN or infinite values, new categories,
 *     error bounds, why a column was not compared
 */
public record ColumnDrift(String column, ColumnKind kind, ColumnRole role, boolean critical,
    String segmentColumn, String segment, DriftStatus status, boolean drifted,
    List<String> decidedBy, SideSummary reference, SideSummary current,
    List<MetricValue> metrics, List<String> notes, Chart chart) {

  public ColumnDrift {
    decidedBy = List.copyOf(decidedBy);
    metrics = List.copyOf(metrics);
    notes = List.copyOf(notes);
  }

  public Optional<MetricValue> metric(String method) {
    return metrics.stream().filter(m -> m.method().equals(method)).findFirst();
  }

  /** NaN when the metric is absent. */
  public double value(String method) {
    return metric(method).map(MetricValue::value).orElse(Double.NaN);
  }

  public boolean isOverall() {
    return segmentColumn == null;
  }

  /**
   * How far past its threshold the worst effect size is (PSI, JS distance, normalised
   * Wasserstein, L-infinity, unseen share, as multiples of their thresholds): orders the report.
   */
  public double severity() {
    double worst = 0;
    for (MetricValue m : metrics) {
      if (List.of(DriftMethod.PSI, DriftMethod.JS_DISTANCE, DriftMethod.WASSERSTEIN,
          DriftMethod.L_INFINITY, DriftMethod.UNSEEN_SHARE).contains(m.method())
          && Double.isFinite(m.value()) && m.threshold() > 0) {
        worst = Math.max(worst, m.value() / m.threshold());
      }
    }
    return worst;
  }
}

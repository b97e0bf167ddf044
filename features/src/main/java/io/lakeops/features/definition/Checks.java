package io.lakeops.features.definition;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Batch-level checks of an ingest; any failure rejects the batch (exit 3).
 *
 * @param maxRejectedShare largest share of quarantined rows the batch may have
 * @param maxMissingShare per column: largest share of missing values among accepted rows
 * @param meanBands per column: the mean of accepted rows must lie in [min, max]
 * @param quantileBands quantile q of a column must lie in [min, max]
 * @param rowCountTolerance when present, the accepted row count must be within this relative
 *     distance (0.3 = ±30 %) of the median of the last {@code rowCountRuns} accepted runs
 * @param rowCountRuns how many earlier runs the median takes
 */
public record Checks(double maxRejectedShare, Map<String, Double> maxMissingShare,
    Map<String, Band> meanBands, List<QuantileBand> quantileBands,
    Optional<Double> rowCountTolerance, int rowCountRuns) {

  public Checks {
    maxMissingShare = Map.copyOf(maxMissingShare);
    meanBands = Map.copyOf(meanBands);
    quantileBands = List.copyOf(quantileBands);
  }

  /** An inclusive band. */
  public record Band(double min, double max) {
    public boolean contains(double v) {
      return v >= min && v <= max;
    }
  }

  public record QuantileBand(String column, double quantile, Band band) {}
}

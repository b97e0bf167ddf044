package io.lakeops.drift;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a drift report compares and how. Build with {@link #builder(List)}; every option has a
 * {@code _DEFAULT} constant.
 *
 * @param columns the columns to compare (features, and optionally the prediction and label)
 * @param segments columns whose values split the data into segments, each compared on its own
 *     in the same pass
 * @param performance the prediction and label columns of concept drift, when labels exist
 * @param bins PSI bins: the reference's quantiles at 1/bins, 2/bins, ... (default {@value #BINS_DEFAULT})
 * @param fineBins quantile bins of the KS and Wasserstein estimates; a multiple of {@code bins}
 *     (default {@value #FINE_BINS_DEFAULT})
 * @param psiEpsilon share used for an empty PSI bucket (default 1e-4)
 * @param sketchRelativeError rank error of the reference's KLL quantile sketch, as a share of the
 *     values, reached with high probability (default {@value #SKETCH_RELATIVE_ERROR_DEFAULT}): it
 *     sets how evenly the fine bins split the reference, not the honesty of the KS and
 *     Wasserstein bounds, which come from exact counts
 * @param maxCategories categories a reference profile keeps per column; the rest form "other"
 *     (default {@value #MAX_CATEGORIES_DEFAULT})
 * @param maxDistinct distinct values counted per categorical column before it is reported as
 *     HIGH_CARDINALITY (default {@value #MAX_DISTINCT_DEFAULT})
 * @param maxSegments distinct values a segment column may have (default {@value #MAX_SEGMENTS_DEFAULT})
 * @param minSegmentRows rows each side of a segment needs to be compared (default {@value #MIN_SEGMENT_ROWS_DEFAULT})
 * @param largeSampleRows from this many values on both sides, effect sizes (PSI) decide instead
 *     of p-values (default {@value #LARGE_SAMPLE_ROWS_DEFAULT})
 * @param driftedShare the data set drifts when this share of its columns drifts (default {@value #DRIFTED_SHARE_DEFAULT})
 * @param thresholds per-method thresholds
 */
public record DriftOptions(List<DriftColumn> columns, List<String> segments,
    Optional<Performance> performance, int bins, int fineBins, double psiEpsilon,
    double sketchRelativeError, int maxCategories, int maxDistinct, int maxSegments,
    int minSegmentRows, long largeSampleRows, double driftedShare, DriftThresholds thresholds) {

  public static final int BINS_DEFAULT = 10;
  public static final int FINE_BINS_DEFAULT = 1000;
  public static final double PSI_EPSILON_DEFAULT = 1e-4;
  public static final double SKETCH_RELATIVE_ERROR_DEFAULT = 0.001;
  public static final int MAX_CATEGORIES_DEFAULT = 50;
  public static final int MAX_DISTINCT_DEFAULT = 10_000;
  public static final int MAX_SEGMENTS_DEFAULT = 100;
  public static final int MIN_SEGMENT_ROWS_DEFAULT = 200;
  public static final long LARGE_SAMPLE_ROWS_DEFAULT = 10_000;
  public static final double DRIFTED_SHARE_DEFAULT = 0.5;
  public static final double DECISION_THRESHOLD_DEFAULT = 0.5;

  /**
   * Concept drift: the error rate of {@code prediction >= decisionThreshold} against a 0/1 (or
   * boolean) {@code label}, reference window against current window, on labelled rows.
   */
  public record Performance(String prediction, String label, double decisionThreshold) {
    public Performance {
      Objects.requireNonNull(prediction, "prediction");
      Objects.requireNonNull(label, "label");
    }
  }

  public DriftOptions {
    columns = List.copyOf(columns);
    segments = List.copyOf(segments);
    Objects.requireNonNull(performance, "performance");
    Objects.requireNonNull(thresholds, "thresholds");
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("Cannot build a drift report without columns: name at least one");
    }
    Set<String> names = new HashSet<>();
    for (DriftColumn c : columns) {
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("Cannot compare column " + c.name() + " twice: list it once");
      }
    }
    for (String s : segments) {
      if (names.contains(s)) {
        // A column cannot usefully be compared within segments of itself.
        throw new IllegalArgumentException("Cannot segment by " + s + ": it is also a compared column");
      }
    }
    atLeast("bins", bins, 2);
    atLeast("fine-bins", fineBins, bins);
    if (fineBins % bins != 0) {
      throw new IllegalArgumentException("Cannot set fine-bins to " + fineBins
          + ", the value must be a multiple of bins (" + bins + ")");
    }
    if (!(psiEpsilon > 0 && psiEpsilon < 0.01)) {
      throw new IllegalArgumentException("Cannot set psi-epsilon to " + psiEpsilon + ", the value must lie in (0, 0.01)");
    }
    if (!(sketchRelativeError > 0 && sketchRelativeError <= 0.01)) {
      throw new IllegalArgumentException("Cannot set sketch-relative-error to " + sketchRelativeError
          + ", the value must lie in (0, 0.01]");
    }
    atLeast("max-categories", maxCategories, 1);
    atLeast("max-distinct", maxDistinct, maxCategories);
    atLeast("max-segments", maxSegments, 1);
    atLeast("min-segment-rows", minSegmentRows, 1);
    if (largeSampleRows < 1) {
      throw new IllegalArgumentException("Cannot set large-sample-rows to " + largeSampleRows + ", the value must be positive");
    }
    if (!(driftedShare > 0 && driftedShare <= 1)) {
      throw new IllegalArgumentException("Cannot set drifted-share to " + driftedShare + ", the value must lie in (0, 1]");
    }
  }

  private static void atLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException("Cannot set " + name + " to " + value + ", the value must be at least " + min);
    }
  }

  public static Builder builder(List<DriftColumn> columns) {
    return new Builder(columns);
  }

  public Builder toBuilder() {
    Builder b = new Builder(columns);
    b.segments = segments;
    b.performance = performance;
    b.bins = bins;
    b.fineBins = fineBins;
    b.psiEpsilon = psiEpsilon;
    b.sketchRelativeError = sketchRelativeError;
    b.maxCategories = maxCategories;
    b.maxDistinct = maxDistinct;
    b.maxSegments = maxSegments;
    b.minSegmentRows = minSegmentRows;
    b.largeSampleRows = largeSampleRows;
    b.driftedShare = driftedShare;
    b.thresholds = thresholds;
    return b;
  }

  /** The columns a pass reads: compared columns, plus the performance columns not among them. */
  public List<DriftColumn> numericColumns() {
    return columns.stream().filter(c -> c.kind() == ColumnKind.NUMERIC).toList();
  }

  public List<DriftColumn> categoricalColumns() {
    return columns.stream().filter(c -> c.kind() == ColumnKind.CATEGORICAL).toList();
  }

  /** Fluent construction with the defaults. */
  public static final class Builder {
    private final List<DriftColumn> columns;
    private List<String> segments = List.of();
    private Optional<Performance> performance = Optional.empty();
    private int bins = BINS_DEFAULT;
    private int fineBins = FINE_BINS_DEFAULT;
    private double psiEpsilon = PSI_EPSILON_DEFAULT;
    private double sketchRelativeError = SKETCH_RELATIVE_ERROR_DEFAULT;
    private int maxCategories = MAX_CATEGORIES_DEFAULT;
    private int maxDistinct = MAX_DISTINCT_DEFAULT;
    private int maxSegments = MAX_SEGMENTS_DEFAULT;
    private int minSegmentRows = MIN_SEGMENT_ROWS_DEFAULT;
    private long largeSampleRows = LARGE_SAMPLE_ROWS_DEFAULT;
    private double driftedShare = DRIFTED_SHARE_DEFAULT;
    private DriftThresholds thresholds = DriftThresholds.defaults();

    private Builder(List<DriftColumn> columns) {
      this.columns = new ArrayList<>(columns);
    }

    public Builder segments(List<String> v) { segments = v; return this; }
    public Builder performance(Performance v) { performance = Optional.of(v); return this; }
    public Builder bins(int v) { bins = v; return this; }
    public Builder fineBins(int v) { fineBins = v; return this; }
    public Builder psiEpsilon(double v) { psiEpsilon = v; return this; }
    public Builder sketchRelativeError(double v) { sketchRelativeError = v; return this; }
    public Builder maxCategories(int v) { maxCategories = v; return this; }
    public Builder maxDistinct(int v) { maxDistinct = v; return this; }
    public Builder maxSegments(int v) { maxSegments = v; return this; }
    public Builder minSegmentRows(int v) { minSegmentRows = v; return this; }
    public Builder largeSampleRows(long v) { largeSampleRows = v; return this; }
    public Builder driftedShare(double v) { driftedShare = v; return this; }
    public Builder thresholds(DriftThresholds v) { thresholds = v; return this; }

    public DriftOptions build() {
      return new DriftOptions(columns, segments, performance, bins, fineBins, psiEpsilon,
          sketchRelativeError, maxCategories, maxDistinct, maxSegments, minSegmentRows,
          largeSampleRows, driftedShare, thresholds);
    }
  }
}

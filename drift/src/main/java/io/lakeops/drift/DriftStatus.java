package io.lakeops.drift;

/** The verdict on one column in one segment (or on the data set). */
public enum DriftStatus {
  /** Compared; no deciding method crossed its threshold. */
  OK,
  /** Compared; a warning threshold was crossed (PSI at or above the warning level). */
  WARN,
  /** Compared; a deciding method crossed its threshold. */
  DRIFT,
  /** The current window has no rows (in this segment). */
  EMPTY_WINDOW,
  /** The reference has no rows (in this segment). */
  NO_REFERENCE,
  /** One side has rows but no usable value (all null, NaN or infinite): only the missing share is tested. */
  ALL_NULL,
  /** The segment has fewer rows than the minimum on one side: counted, not compared. */
  TOO_SMALL,
  /** More distinct categories than the profile keeps: counted, not compared. */
  HIGH_CARDINALITY,
  /** Performance only: no labelled rows on one side. */
  NO_LABELS;

  /** Ordering for reports: drift first. */
  public int severityRank() {
    return switch (this) {
      case DRIFT -> 0;
      case ALL_NULL -> 1;
      case WARN -> 2;
      case HIGH_CARDINALITY -> 3;
      case EMPTY_WINDOW, NO_REFERENCE, NO_LABELS -> 4;
      case TOO_SMALL -> 5;
      case OK -> 6;
    };
  }
}

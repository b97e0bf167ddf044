package io.lakeops.drift;

/** How a column's distribution is compared. */
public enum ColumnKind {
  /** Quantile bins of the reference: PSI, KS, Wasserstein, Jensen-Shannon. */
  NUMERIC,
  /** Category frequencies with an "other" bucket: PSI, chi-square, Jensen-Shannon, L-infinity. */
  CATEGORICAL
}

package io.lakeops.drift;

/**
 * What one side (reference or current) holds of one column in one segment.
 *
 * @param rows rows in the window (and segment)
 * @param values usable values: finite numbers, or non-null categories
 * @param nulls null values
 * @param nans NaN values (numeric columns)
 * @param infinities positive or negative infinite values (numeric columns)
 * @param mean mean of the finite values (numeric; NaN otherwise)
 * @param std population standard deviation of the finite values (numeric; NaN otherwise)
 */
public record SideSummary(long rows, long values, long nulls, long nans, long infinities,
    double mean, double std) {

  public static final SideSummary EMPTY = new SideSummary(0, 0, 0, 0, 0, Double.NaN, Double.NaN);

  /** Share of rows without a usable value (null, NaN or infinite); NaN without rows. */
  public double missingShare() {
    return rows == 0 ? Double.NaN : (double) (rows - values) / rows;
  }
}

package io.lakeops.drift;

/**
 * One statistic of one column in one segment. Numbers that do not apply are NaN.
 *
 * <ul>
 *   <li>Effect sizes ({@code psi}, {@code js_distance}, {@code wasserstein_norm},
 *       {@code l_infinity}, {@code unseen_share}): drifted when {@code value >= threshold}.
 *   <li>Tests ({@code ks}, {@code chi_square}): {@code value} is the statistic; drifted when the
 *       Benjamini-Hochberg adjusted p-value is below {@code threshold} (the significance level).
 *   <li>Changes ({@code missing_share_change}, {@code error_rate_change}): {@code value} is
 *       current minus reference; drifted when the adjusted p-value is below the significance
 *       level and the change reaches {@code threshold} (in absolute value for the missing share;
 *       a rise for the error rate).
 *   <li>{@code js_divergence}, {@code brier_change}: reported, never drifted.
 * </ul>
 *
 * @param decides whether this metric decides the column's status (see README, "Drift")
 * @param errorBound the largest possible error of {@code value} for binned estimates, else NaN
 */
public record MetricValue(String method, double value, double threshold, boolean drifted,
    boolean decides, double pValue, double adjustedPValue, double errorBound) {

  public static MetricValue effect(String method, double value, double threshold) {
    return new MetricValue(method, value, threshold, value >= threshold, false, Double.NaN,
        Double.NaN, Double.NaN);
  }

  public static MetricValue info(String method, double value) {
    return new MetricValue(method, value, Double.NaN, false, false, Double.NaN, Double.NaN, Double.NaN);
  }

  public MetricValue deciding(boolean decides) {
    return new MetricValue(method, value, threshold, drifted, decides, pValue, adjustedPValue, errorBound);
  }

  public MetricValue withErrorBound(double bound) {
    return new MetricValue(method, value, threshold, drifted, decides, pValue, adjustedPValue, bound);
  }

  public MetricValue withDrifted(boolean d) {
    return new MetricValue(method, value, threshold, d, decides, pValue, adjustedPValue, errorBound);
  }
}

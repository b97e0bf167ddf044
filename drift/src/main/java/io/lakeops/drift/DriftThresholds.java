package io.lakeops.drift;

/**
 * Thresholds per method. A metric is "drifted" when it reaches its threshold (p-values: when the
 * Benjamini-Hochberg adjusted p-value falls below {@code pValue}); which metrics decide a
 * column's status is set by {@link DriftOptions#largeSampleRows()} (see README, "Drift").
 *
 * @param psi PSI at or above this is drift (default {@value #PSI_DEFAULT})
 * @param psiWarning PSI at or above this is a warning (default {@value #PSI_WARNING_DEFAULT})
 * @param ksStatistic KS statistic D at or above this is flagged (default {@value #KS_STATISTIC_DEFAULT})
 * @param wasserstein Wasserstein-1 over the reference's standard deviation (default {@value #WASSERSTEIN_DEFAULT})
 * @param jsDistance Jensen-Shannon distance, base 2 (default {@value #JS_DISTANCE_DEFAULT})
 * @param lInfinity largest change of a category's share (default {@value #L_INFINITY_DEFAULT})
 * @param unseenShare share of current rows in categories the reference does not have (default {@value #UNSEEN_SHARE_DEFAULT})
 * @param pValue significance level after Benjamini-Hochberg (default {@value #P_VALUE_DEFAULT})
 * @param missingShareChange smallest absolute change of the missing share that counts (default {@value #MISSING_SHARE_CHANGE_DEFAULT})
 * @param errorRateChange smallest rise of the error rate that counts as concept drift (default {@value #ERROR_RATE_CHANGE_DEFAULT})
 */
public record DriftThresholds(double psi, double psiWarning, double ksStatistic, double wasserstein,
    double jsDistance, double lInfinity, double unseenShare, double pValue,
    double missingShareChange, double errorRateChange) {

  public static final double PSI_DEFAULT = 0.2;
  public static final double PSI_WARNING_DEFAULT = 0.1;
  public static final double KS_STATISTIC_DEFAULT = 0.1;
  public static final double WASSERSTEIN_DEFAULT = 0.1;
  public static final double JS_DISTANCE_DEFAULT = 0.1;
  public static final double L_INFINITY_DEFAULT = 0.1;
  public static final double UNSEEN_SHARE_DEFAULT = 0.01;
  public static final double P_VALUE_DEFAULT = 0.05;
  public static final double MISSING_SHARE_CHANGE_DEFAULT = 0.02;
  public static final double ERROR_RATE_CHANGE_DEFAULT = 0.05;

  public DriftThresholds {
    positive("psi", psi);
    positive("psi-warning", psiWarning);
    positive("ks-statistic", ksStatistic);
    positive("wasserstein", wasserstein);
    positive("js-distance", jsDistance);
    positive("l-infinity", lInfinity);
    positive("unseen-share", unseenShare);
    if (!(pValue > 0 && pValue < 1)) {
      throw new IllegalArgumentException("Cannot set p-value to " + pValue + ", the value must lie strictly between 0 and 1");
    }
    positive("missing-share-change", missingShareChange);
    positive("error-rate-change", errorRateChange);
    if (psiWarning > psi) {
      throw new IllegalArgumentException("Cannot set psi-warning to " + psiWarning
          + ", the value must not exceed psi (" + psi + ")");
    }
  }

  public static DriftThresholds defaults() {
    return new DriftThresholds(PSI_DEFAULT, PSI_WARNING_DEFAULT, KS_STATISTIC_DEFAULT,
        WASSERSTEIN_DEFAULT, JS_DISTANCE_DEFAULT, L_INFINITY_DEFAULT, UNSEEN_SHARE_DEFAULT,
        P_VALUE_DEFAULT, MISSING_SHARE_CHANGE_DEFAULT, ERROR_RATE_CHANGE_DEFAULT);
  }

  private static void positive(String name, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("Cannot set " + name + " to " + value + ", the value must be positive");
    }
  }
}

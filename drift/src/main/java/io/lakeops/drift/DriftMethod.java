package io.lakeops.drift;

/**
 * Method names as written to {@code lakeops.drift_metrics} and the report. How {@code drifted}
 * is decided per method is in {@link MetricValue}.
 */
public final class DriftMethod {
  public static final String PSI = "psi";
  public static final String KS = "ks";
  public static final String WASSERSTEIN = "wasserstein_norm";
  public static final String JS_DISTANCE = "js_distance";
  public static final String JS_DIVERGENCE = "js_divergence";
  public static final String CHI_SQUARE = "chi_square";
  public static final String L_INFINITY = "l_infinity";
  public static final String UNSEEN_SHARE = "unseen_share";
  public static final String MISSING_SHARE = "missing_share_change";
  public static final String ERROR_RATE = "error_rate_change";
  public static final String BRIER = "brier_change";
  /** ROC AUC of the current window's labelled rows (binned: see {@code BinnedAuc}). */
  public static final String AUC = "auc";
  /** Current window's AUC minus the reference's. */
  public static final String AUC_CHANGE = "auc_change";

  private DriftMethod() {}
}

package io.lakeops.drift.stats;

import java.util.Arrays;

/**
 * ROC AUC of scores known through two {@link EdgeHistogram}s on the same edges: the scores of
 * the positive and of the negative rows. AUC is the share of (positive, negative) pairs in which
 * the positive scores higher, ties counting one half (scikit-learn's {@code roc_auc_score}).
 *
 * <p>Pairs in different cells of the histogram (an open interval between edges, or one edge
 * value) are ordered exactly by their cells; pairs on the same edge value are exact ties. Only
 * pairs inside the same open interval are unknown: they are counted as ties (one half each), so
 * the error is at most half their share, {@code 0.5 * sum_k p_k n_k / (P N)}, reported as the
 * bound. With the reference's prediction quantiles as edges, every interval holds about
 * {@code 1 / fine-bins} of the reference scores, so the bound is small; discrete scores that
 * sit on the edges give the exact AUC with a bound of 0.
 */
public record BinnedAuc(double auc, double errorBound, long positives, long negatives) {

  /** NaN with a NaN bound when one class is empty. */
  public static BinnedAuc of(EdgeHistogram positive, EdgeHistogram negative) {
    if (!Arrays.equals(positive.edges(), negative.edges())) {
      throw new IllegalArgumentException("Cannot compute AUC from histograms on different edges.");
    }
    long p = positive.total();
    long n = negative.total();
    if (p == 0 || n == 0) {
      return new BinnedAuc(Double.NaN, Double.NaN, p, n);
    }
    int k = positive.edges().length;
    double wins = 0;
    double unknown = 0;
    double negativesBelow = 0;
    for (int i = 0; i <= k; i++) {
      double pi = positive.interior()[i];
      double ni = negative.interior()[i];
      wins += pi * negativesBelow + 0.5 * pi * ni;
      unknown += 0.5 * pi * ni;
      negativesBelow += ni;
      if (i < k) {
        double pe = positive.atEdge()[i];
        double ne = negative.atEdge()[i];
        wins += pe * negativesBelow + 0.5 * pe * ne;
        negativesBelow += ne;
      }
    }
    double pairs = (double) p * n;
    return new BinnedAuc(wins / pairs, unknown / pairs, p, n);
  }
}

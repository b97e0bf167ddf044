package io.lakeops.drift.stats;

import java.util.Arrays;

/**
 * The two-sample KS statistic and Wasserstein-1 distance of two samples known through their
 * {@link EdgeHistogram}s on the same edges, each with a guaranteed error bound computed from the
 * counts themselves.
 *
 * <p>Both empirical CDFs are known exactly at every edge and just left of it. Inside an open
 * interval {@code (e_{k-1}, e_k)} a CDF rises by the interval's share {@code I}; so the true KS
 * statistic lies in {@code [D_est, D_est + max_k min(I_a,k, I_b,k)]}, where {@code D_est} is the
 * largest difference at the evaluated points. For Wasserstein, the per-interval distance sums
 * give the integral of {@code F_a - F_b} over each interval exactly; its absolute value is the
 * integral of {@code |F_a - F_b|} unless the difference can change sign inside the interval, and
 * then the error is at most the smaller of the integrals of its positive and negative parts,
 * each bounded from the interval's end values and exact integrals (so a long tail interval that
 * holds little reference mass costs little), which the estimate splits in half. Values
 * that sit on edges (ties, discrete columns) cost nothing: both statistics are exact there.
 */
public record BinnedComparison(double ksStatistic, double ksErrorBound, double wasserstein,
    double wassersteinErrorBound) {

  /**
   * Compares {@code a} (reference) and {@code b} (current); {@code low} and {@code high} are the
   * smallest and largest finite value of both samples (the extent of the unbounded intervals).
   */
  public static BinnedComparison of(EdgeHistogram a, EdgeHistogram b, double low, double high) {
    if (!Arrays.equals(a.edges(), b.edges())) {
      throw new IllegalArgumentException("Cannot compare histograms on different edges.");
    }
    double na = a.total();
    double nb = b.total();
    if (na == 0 || nb == 0) {
      throw new IllegalArgumentException("Cannot compare histograms: one side has no values.");
    }
    double[] e = a.edges();
    int k = e.length;
    double fa = 0;
    double fb = 0;
    double d = 0;
    double ksBound = 0;
    double w1 = 0;
    double w1Bound = 0;
    for (int i = 0; i <= k; i++) {
      double left = i == 0 ? Math.min(low, k > 0 ? e[0] : low) : e[i - 1];
      double right = i == k ? Math.max(high, k > 0 ? e[k - 1] : high) : e[i];
      double width = Math.max(0, right - left);
      double ia = a.interior()[i] / na;
      double ib = b.interior()[i] / nb;
      // Integral of F over the interval: the part below plus each interior value's contribution.
      double intA = intervalIntegral(fa, a.interior()[i], a.distance()[i], na, width, i == k);
      double intB = intervalIntegral(fb, b.interior()[i], b.distance()[i], nb, width, i == k);
      double signed = intA - intB;
      double faRight = fa + ia;
      double fbRight = fb + ib;
      double ambiguity = 0;
      if (fa - fbRight < 0 && faRight - fb > 0) {
        // The difference may change sign inside: bound the smaller of its positive and negative
        // parts, using F_left <= F <= F_right, G_left <= G <= G_right and the exact integrals.
        double positive = Math.min(intA - fa * width + Math.max(fa - fb, 0) * width,
            fbRight * width - intB + Math.max(faRight - fbRight, 0) * width);
        double negative = Math.min(intB - fb * width + Math.max(fb - fa, 0) * width,
            faRight * width - intA + Math.max(fbRight - faRight, 0) * width);
        ambiguity = Math.max(0, Math.min(Math.min(positive, negative),
            width * Math.min(faRight - fb, fbRight - fa)));
      }
      w1 += Math.abs(signed) + ambiguity;
      w1Bound += ambiguity;
      ksBound = Math.max(ksBound, Math.min(ia, ib));
      d = Math.max(d, Math.abs(fa - fb));
      d = Math.max(d, Math.abs(faRight - fbRight));
      fa = faRight;
      fb = fbRight;
      if (i < k) {
        fa += a.atEdge()[i] / na;
        fb += b.atEdge()[i] / nb;
        d = Math.max(d, Math.abs(fa - fb));
      }
    }
    return new BinnedComparison(d, ksBound, w1, w1Bound);
  }

  /**
   * The integral of the empirical CDF over one interval: {@code F_left * width} plus, for each
   * interior value {@code x}, {@code (right - x) / n}. For the last interval the distances are
   * to the left edge, so {@code right - x = width - distance}.
   */
  private static double intervalIntegral(double fLeft, long interior, double distance, double n,
      double width, boolean last) {
    double inside = last ? interior * width - distance : distance;
    return fLeft * width + Math.max(0, inside) / n;
  }
}

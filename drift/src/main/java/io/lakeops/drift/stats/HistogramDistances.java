package io.lakeops.drift.stats;

import org.apache.commons.math3.special.Gamma;

/**
 * Distances between two distributions given as counts over the same buckets (quantile bins of
 * a numeric column, or categories with an "other" bucket).
 */
public final class HistogramDistances {

  /** Default share given to an empty bucket in PSI (instead of 0, whose log is undefined). */
  public static final double PSI_EPSILON_DEFAULT = 1e-4;

  private HistogramDistances() {}

  /** Jensen-Shannon divergence and distance (its square root), in base 2: both lie in [0, 1]. */
  public record JensenShannon(double divergence, double distance) {}

  /** Pearson's chi-square test of homogeneity of a 2 x k table, without continuity correction. */
  public record ChiSquare(double statistic, int degreesOfFreedom, double pValue) {}

  /**
   * Population stability index {@code sum((c - r) * ln(c / r))} over the shares {@code r} of
   * the reference and {@code c} of the current counts; a share of 0 is replaced by
   * {@code epsilon} (no renormalisation), so an empty bucket on one side costs a finite amount.
   */
  public static double psi(long[] reference, long[] current, double epsilon) {
    checkSameLength(reference, current);
    double nr = total(reference);
    double nc = total(current);
    requirePositive(nr, "reference");
    requirePositive(nc, "current");
    double psi = 0;
    for (int i = 0; i < reference.length; i++) {
      double r = reference[i] == 0 ? epsilon : reference[i] / nr;
      double c = current[i] == 0 ? epsilon : current[i] / nc;
      psi += (c - r) * Math.log(c / r);
    }
    return psi;
  }

  /** Jensen-Shannon in base 2 of the normalised counts (SciPy's {@code jensenshannon(p, q, base=2)}). */
  public static JensenShannon jensenShannon(double[] p, double[] q) {
    checkSameLength(p, q);
    double np = 0;
    double nq = 0;
    for (int i = 0; i < p.length; i++) {
      np += p[i];
      nq += q[i];
    }
    requirePositive(np, "reference");
    requirePositive(nq, "current");
    double left = 0;
    double right = 0;
    for (int i = 0; i < p.length; i++) {
      double a = p[i] / np;
      double b = q[i] / nq;
      double m = (a + b) / 2;
      left += relativeEntropy(a, m);
      right += relativeEntropy(b, m);
    }
    double js = Math.max(0, (left + right) / Math.log(2) / 2);
    return new JensenShannon(js, Math.sqrt(js));
  }

  public static JensenShannon jensenShannon(long[] p, long[] q) {
    return jensenShannon(toDouble(p), toDouble(q));
  }

  /** The largest absolute difference of shares, {@code max |r_i - c_i|}. */
  public static double lInfinity(long[] reference, long[] current) {
    checkSameLength(reference, current);
    double nr = total(reference);
    double nc = total(current);
    requirePositive(nr, "reference");
    requirePositive(nc, "current");
    double max = 0;
    for (int i = 0; i < reference.length; i++) {
      max = Math.max(max, Math.abs(reference[i] / nr - current[i] / nc));
    }
    return max;
  }

  /**
   * Chi-square test of homogeneity of the 2 x k table (reference, current); buckets empty on
   * both sides are left out (they carry no information and have no expected count). As SciPy's
   * {@code chi2_contingency(table, correction=False)}. With fewer than two non-empty buckets the
   * statistic is 0 with 0 degrees of freedom and p-value 1.
   */
  public static ChiSquare chiSquare(long[] reference, long[] current) {
    checkSameLength(reference, current);
    double nr = total(reference);
    double nc = total(current);
    requirePositive(nr, "reference");
    requirePositive(nc, "current");
    double n = nr + nc;
    double statistic = 0;
    int buckets = 0;
    for (int i = 0; i < reference.length; i++) {
      double column = (double) reference[i] + current[i];
      if (column == 0) {
        continue;
      }
      buckets++;
      double er = nr * column / n;
      double ec = nc * column / n;
      statistic += (reference[i] - er) * (reference[i] - er) / er + (current[i] - ec) * (current[i] - ec) / ec;
    }
    int dof = buckets - 1;
    if (dof <= 0) {
      return new ChiSquare(0, 0, 1);
    }
    // The upper tail straight from the regularised gamma function: exact for tiny p-values,
    // where 1 - cdf would round to 0.
    double p = Gamma.regularizedGammaQ(dof / 2.0, statistic / 2.0);
    return new ChiSquare(statistic, dof, p);
  }

  private static double relativeEntropy(double x, double y) {
    return x == 0 ? 0 : x * Math.log(x / y);
  }

  static double total(long[] counts) {
    double t = 0;
    for (long c : counts) {
      if (c < 0) {
        throw new IllegalArgumentException("Cannot use a negative count: " + c + ".");
      }
      t += c;
    }
    return t;
  }

  private static double[] toDouble(long[] counts) {
    double[] d = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      d[i] = counts[i];
    }
    return d;
  }

  private static void requirePositive(double total, String side) {
    if (!(total > 0)) {
      throw new IllegalArgumentException("Cannot compare distributions: the " + side + " side has no counts.");
    }
  }

  private static void checkSameLength(long[] a, long[] b) {
    if (a.length != b.length || a.length == 0) {
      throw new IllegalArgumentException("Cannot compare histograms of " + a.length + " and " + b.length
          + " buckets: both sides need the same, non-zero number of buckets.");
    }
  }

  private static void checkSameLength(double[] a, double[] b) {
    if (a.length != b.length || a.length == 0) {
      throw new IllegalArgumentException("Cannot compare histograms of " + a.length + " and " + b.length
          + " buckets: both sides need the same, non-zero number of buckets.");
    }
  }
}

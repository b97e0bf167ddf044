package io.lakeops.drift.stats;

import java.util.Arrays;
import java.util.Comparator;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;

/** p-values of the tests drift reports: Kolmogorov-Smirnov, two proportions, and their correction. */
public final class Tests {

  private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

  private Tests() {}

  /**
   * Asymptotic p-value of the two-sample KS statistic {@code d} for sample sizes {@code n} and
   * {@code m}: the Kolmogorov limiting distribution at {@code sqrt(n m / (n + m)) d}
   * (SciPy's {@code scipy.special.kolmogorov}). Accurate for large samples, which is where
   * drift reports use it; for tiny samples it is conservative.
   */
  public static double ksPValue(double d, long n, long m) {
    if (n <= 0 || m <= 0) {
      throw new IllegalArgumentException("Cannot compute a KS p-value for sample sizes " + n + " and " + m + ".");
    }
    double en = (double) n * m / ((double) n + m);
    double t = Math.sqrt(en) * d;
    if (t <= 0) {
      return 1;
    }
    // ksSum(t) = P(K <= t); a huge t underflows the series to 1, so clamp at 0.
    double cdf = new KolmogorovSmirnovTest().ksSum(t, 1e-20, 100_000);
    double p = 1 - cdf;
    if (t > 1) {
      // For large t, 2 * sum (-1)^(k-1) exp(-2 k^2 t^2) directly keeps the tiny tail exact.
      double sum = 0;
      for (int k = 1; k <= 100; k++) {
        double term = Math.exp(-2.0 * k * k * t * t);
        sum += (k % 2 == 1 ? term : -term);
        if (term < 1e-300) {
          break;
        }
      }
      p = 2 * sum;
    }
    return Math.min(1, Math.max(0, p));
  }

  /**
   * Two-sided p-value of the pooled two-proportion z-test of {@code x1 / n1} against
   * {@code x2 / n2} (equal to Pearson's chi-square on the 2 x 2 table without correction).
   * When neither or both proportions are 0 or 1 the shares are equal and the p-value is 1.
   */
  public static double twoProportionPValue(long x1, long n1, long x2, long n2) {
    if (n1 <= 0 || n2 <= 0 || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2) {
      throw new IllegalArgumentException("Cannot compare proportions " + x1 + "/" + n1 + " and "
          + x2 + "/" + n2 + ".");
    }
    double p1 = (double) x1 / n1;
    double p2 = (double) x2 / n2;
    double pooled = ((double) x1 + x2) / ((double) n1 + n2);
    double variance = pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2);
    if (variance == 0) {
      return 1;
    }
    double z = Math.abs(p1 - p2) / Math.sqrt(variance);
    return 2 * STANDARD_NORMAL.cumulativeProbability(-z);
  }

  /**
   * Benjamini-Hochberg adjusted p-values (step-up false discovery rate control): for the
   * p-value of rank {@code i} among {@code m}, {@code min over j >= i of p_(j) m / j}, capped at 1.
   * NaN entries are not tests: they stay NaN and do not count in {@code m}.
   */
  public static double[] benjaminiHochberg(double[] p) {
    Integer[] order = new Integer[p.length];
    int m = 0;
    for (int i = 0; i < p.length; i++) {
      if (!Double.isNaN(p[i])) {
        if (p[i] < 0 || p[i] > 1) {
          throw new IllegalArgumentException("Cannot adjust p-value " + p[i] + ": it must lie in [0, 1].");
        }
        order[m++] = i;
      }
    }
    Integer[] valid = Arrays.copyOf(order, m);
    Arrays.sort(valid, Comparator.comparingDouble(i -> p[i]));
    double[] adjusted = new double[p.length];
    Arrays.fill(adjusted, Double.NaN);
    double running = 1;
    for (int rank = m; rank >= 1; rank--) {
      int i = valid[rank - 1];
      running = Math.min(running, p[i] * m / rank);
      adjusted[i] = running;
    }
    return adjusted;
  }
}

package io.lakeops.drift.stats;

import java.util.Arrays;

/**
 * Exact two-sample statistics on raw samples held in memory: the oracle for the binned
 * estimates that Spark computes, and what small samples use directly. Both samples must be
 * non-empty and finite.
 */
public final class SampleDistances {

  private SampleDistances() {}

  /**
   * The two-sample Kolmogorov-Smirnov statistic {@code D = sup |F_a(x) - F_b(x)|} of the
   * right-continuous empirical distribution functions (SciPy's {@code ks_2samp} statistic).
   */
  public static double ksStatistic(double[] a, double[] b) {
    double[] x = sortedCopy(a, "a");
    double[] y = sortedCopy(b, "b");
    int i = 0;
    int j = 0;
    double d = 0;
    while (i < x.length || j < y.length) {
      double v = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
      while (i < x.length && x[i] == v) {
        i++;
      }
      while (j < y.length && y[j] == v) {
        j++;
      }
      d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
    }
    return d;
  }

  /**
   * The first Wasserstein distance between the two empirical distributions,
   * {@code the integral of |F_a(x) - F_b(x)| dx} (SciPy's {@code wasserstein_distance}).
   */
  public static double wasserstein(double[] a, double[] b) {
    double[] x = sortedCopy(a, "a");
    double[] y = sortedCopy(b, "b");
    int i = 0;
    int j = 0;
    double total = 0;
    double previous = Math.min(x[0], y[0]);
    double diff = 0;
    while (i < x.length || j < y.length) {
      double v = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
      total += diff * (v - previous);
      while (i < x.length && x[i] == v) {
        i++;
      }
      while (j < y.length && y[j] == v) {
        j++;
      }
      diff = Math.abs((double) i / x.length - (double) j / y.length);
      previous = v;
    }
    return total;
  }

  /** Population standard deviation (divisor n). */
  public static double populationStd(double[] a) {
    double mean = Arrays.stream(a).average().orElse(Double.NaN);
    double m2 = 0;
    for (double v : a) {
      m2 += (v - mean) * (v - mean);
    }
    return Math.sqrt(m2 / a.length);
  }

  private static double[] sortedCopy(double[] values, String name) {
    if (values.length == 0) {
      throw new IllegalArgumentException("Cannot compare an empty sample: " + name + " has no values.");
    }
    double[] copy = values.clone();
    for (double v : copy) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("Cannot compare samples with non-finite values: " + name
            + " holds " + v + ". Drop NaN and infinite values first.");
      }
    }
    Arrays.sort(copy);
    return copy;
  }
}

package io.lakeops.drift.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The KLL sketch's rank error against a brute force: the exact ranks of its quantiles in the
 * sorted data, on random data of several shapes and insertion orders, single sketches and
 * merges of many.
 */
class KllSketchTest {

  private static final int QUANTILES = 999;

  /** The largest |exact share of values < or <= q's answer - rank| over the 999 quantiles. */
  static double maxRankError(double[] sorted, double[] answers, double[] ranks) {
    double worst = 0;
    int n = sorted.length;
    for (int i = 0; i < ranks.length; i++) {
      double x = answers[i];
      // The answer is right if the target rank lies between the ranks just below and at x.
      int below = lowerBound(sorted, x);
      int atOrBelow = upperBound(sorted, x);
      double target = ranks[i] * n;
      double error = target < below ? below - target : target > atOrBelow ? target - atOrBelow : 0;
      worst = Math.max(worst, error / n);
    }
    return worst;
  }

  private static int lowerBound(double[] s, double x) {
    int lo = 0;
    int hi = s.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (s[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static int upperBound(double[] s, double x) {
    int lo = 0;
    int hi = s.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (s[mid] <= x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  static double[] ranks() {
    double[] r = new double[QUANTILES];
    for (int i = 0; i < QUANTILES; i++) {
      r[i] = (i + 1) / (double) (QUANTILES + 1);
    }
    return r;
  }

  private static double[] data(int n, DoubleSupplier gen) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = gen.getAsDouble();
    }
    return d;
  }

  private static double worst(double[] values, double eps, int parts, long seed) {
    KllSketch total = null;
    int per = (values.length + parts - 1) / parts;
    for (int p = 0; p < parts; p++) {
      KllSketch s = KllSketch.forRankError(eps, seed * 31 + p);
      for (int i = p * per; i < Math.min(values.length, (p + 1) * per); i++) {
        s.add(values[i]);
      }
      if (total == null) {
        total = s;
      } else {
        total.merge(s);
      }
    }
    assertEquals(values.length, total.count());
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return maxRankError(sorted, total.quantiles(ranks()), ranks());
  }

  @Test
  void rankErrorStaysBelowTheStatedBoundOnRandomData() {
    double eps = 0.002;
    Random rng = new Random(11);
    int n = 400_000;
    double observed = 0;
    int trial = 0;
    for (int parts : new int[] {1, 8}) {
      for (String shape : new String[] {"normal", "lognormal", "uniform", "ties", "sorted", "reversed"}) {
        double[] values = switch (shape) {
          case "normal" -> data(n, rng::nextGaussian);
          case "lognormal" -> data(n, () -> Math.exp(2 * rng.nextGaussian()));
          case "uniform" -> data(n, rng::nextDouble);
          case "ties" -> data(n, () -> rng.nextInt(37));
          case "sorted" -> {
            double[] d = data(n, rng::nextGaussian);
            Arrays.sort(d);
            yield d;
          }
          default -> {
            double[] d = data(n, rng::nextGaussian);
            Arrays.sort(d);
            for (int i = 0; i < n / 2; i++) {
              double t = d[i];
              d[i] = d[n - 1 - i];
              d[n - 1 - i] = t;
            }
            yield d;
          }
        };
        double e = worst(values, eps, parts, trial++);
        observed = Math.max(observed, e);
        assertTrue(e <= eps, shape + " in " + parts + " parts: rank error " + e + " > " + eps);
      }
    }
    System.err.println("KLL k=" + KllSketch.forRankError(eps, 0).k() + ": largest rank error " + observed + " (bound " + eps + ")");
  }

  @Test
  void smallStreamsAreExact() {
    KllSketch s = KllSketch.forRankError(0.01, 1);
    for (int i = 100; i >= 1; i--) {
      s.add(i);
    }
    assertEquals(100, s.retained());
    assertEquals(50.0, s.quantiles(new double[] {0.5})[0]);
    assertEquals(1.0, s.quantiles(new double[] {0.001})[0]);
    assertEquals(100.0, s.quantiles(new double[] {1.0})[0]);
    assertEquals(37, s.rank(37.5));
  }

  @Test
  void retainedValuesStayNearThreeK() {
    KllSketch s = KllSketch.forRankError(0.01, 2);
    Random rng = new Random(5);
    for (int i = 0; i < 2_000_000; i++) {
      s.add(rng.nextGaussian());
    }
    assertTrue(s.retained() <= 3 * s.k() + 8 * 30, "retained " + s.retained() + " for k " + s.k());
  }
}

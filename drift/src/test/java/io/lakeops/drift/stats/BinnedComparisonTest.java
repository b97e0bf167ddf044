package io.lakeops.drift.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.profile.NumericState;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The binned KS and Wasserstein estimates (what Spark computes) against the exact values on the
 * raw samples: SciPy's fixtures, and the exact Java functions on larger random samples. The
 * estimate must lie within its own stated error bound.
 */
class BinnedComparisonTest {

  /** Histograms of both samples on the reference's sketch quantiles, as a report builds them. */
  static BinnedComparison binned(double[] a, double[] b, int fineBins) {
    NumericState ref = NumericState.withSketch(DriftOptions.SKETCH_RELATIVE_ERROR_DEFAULT, 1);
    for (double v : a) {
      ref.add(v);
    }
    double[] edges = ref.edges(fineBins, 10).fine();
    EdgeHistogram ha = EdgeHistogram.empty(edges);
    EdgeHistogram hb = EdgeHistogram.empty(edges);
    double low = Double.POSITIVE_INFINITY;
    double high = Double.NEGATIVE_INFINITY;
    for (double v : a) {
      ha.add(v);
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    for (double v : b) {
      hb.add(v);
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    return BinnedComparison.of(ha, hb, low, high);
  }

  @Test
  void binnedEstimatesLieWithinTheirBoundOfScipyOnTheFixtures() throws Exception {
    JsonNode fixtures;
    try (InputStream in = getClass().getResourceAsStream("/fixtures/drift_fixtures.json")) {
      fixtures = new ObjectMapper().readTree(in);
    }
    for (JsonNode c : fixtures.get("numeric")) {
      String name = c.get("name").asText();
      BinnedComparison b = binned(DriftStatisticsTest.doubles(c.get("a")), DriftStatisticsTest.doubles(c.get("b")), 1000);
      double d = c.get("ks_statistic").asDouble();
      double w = c.get("wasserstein").asDouble();
      assertTrue(b.ksStatistic() <= d + 1e-12 && d <= b.ksStatistic() + b.ksErrorBound() + 1e-12,
          name + ": KS " + d + " outside [" + b.ksStatistic() + ", +" + b.ksErrorBound() + "]");
      assertTrue(Math.abs(b.wasserstein() - w) <= b.wassersteinErrorBound() + 1e-9,
          name + ": W " + w + " vs estimate " + b.wasserstein() + " +- " + b.wassersteinErrorBound());
    }
  }

  @Test
  void largeSamplesAreWithinTheBoundAndTheBoundIsSmall() {
    Random rng = new Random(7);
    double[] a = new double[50_000];
    double[] b = new double[40_000];
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.exp(rng.nextGaussian() * 0.7);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = 1.2 * Math.exp(rng.nextGaussian() * 0.7) + (i % 1000 == 0 ? 50 : 0);
    }
    BinnedComparison est = binned(a, b, 1000);
    double d = SampleDistances.ksStatistic(a, b);
    double w = SampleDistances.wasserstein(a, b);
    assertTrue(est.ksStatistic() <= d + 1e-12 && d <= est.ksStatistic() + est.ksErrorBound() + 1e-12);
    assertTrue(est.ksErrorBound() < 0.004, "KS bound " + est.ksErrorBound());
    assertTrue(Math.abs(est.wasserstein() - w) <= est.wassersteinErrorBound() + 1e-9);
    assertTrue(est.wassersteinErrorBound() < 0.02 * w, "W bound " + est.wassersteinErrorBound() + " of " + w);
  }

  @Test
  void discreteValuesOnTheEdgesGiveExactStatisticsWithZeroBound() {
    Random rng = new Random(3);
    double[] a = new double[5_000];
    double[] b = new double[4_000];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextInt(24);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = Math.min(23, rng.nextInt(24) + rng.nextInt(3));
    }
    BinnedComparison est = binned(a, b, 1000);
    assertEquals(0.0, est.ksErrorBound());
    assertEquals(0.0, est.wassersteinErrorBound());
    assertEquals(SampleDistances.ksStatistic(a, b), est.ksStatistic(), 1e-12);
    assertEquals(SampleDistances.wasserstein(a, b), est.wasserstein(), 1e-9);
  }

  @Test
  void coarseCountsUseRightClosedBinsOnTheChosenEdges() {
    EdgeHistogram h = EdgeHistogram.empty(new double[] {1, 2, 3, 4});
    for (double v : new double[] {0, 1, 1.5, 2, 2.5, 3, 3.5, 4, 9}) {
      h.add(v);
    }
    // Edges 2 and 4 (indexes 1 and 3): (-inf, 2], (2, 4], (4, +inf).
    assertArrayEquals(new long[] {4, 4, 1}, h.coarseCounts(new int[] {1, 3}));
    assertEquals(9, h.total());
  }
}

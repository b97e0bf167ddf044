package io.lakeops.drift.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every statistic against SciPy 1.10 (Debian's python3-scipy) on fixed samples; the values are
 * in {@code fixtures/drift_fixtures.json}, written by {@code fixtures/make_drift_fixtures.py}.
 */
class DriftStatisticsTest {

  private static JsonNode fixtures;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = DriftStatisticsTest.class.getResourceAsStream("/fixtures/drift_fixtures.json")) {
      fixtures = new ObjectMapper().readTree(in);
    }
    assertTrue(fixtures.get("numeric").size() >= 5);
  }

  static double[] doubles(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).mapToDouble(JsonNode::asDouble).toArray();
  }

  static long[] longs(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).mapToLong(n -> (long) n.asDouble()).toArray();
  }

  /** |actual - expected| within tolerance, relative for numbers far from 0. */
  static void close(double expected, double actual, double tolerance, String what) {
    double scale = Math.max(1, Math.abs(expected));
    assertTrue(Math.abs(actual - expected) <= tolerance * scale,
        what + ": expected " + expected + " but was " + actual);
  }

  @Test
  void ksStatisticEqualsScipyKs2samp() {
    for (JsonNode c : fixtures.get("numeric")) {
      double d = SampleDistances.ksStatistic(doubles(c.get("a")), doubles(c.get("b")));
      close(c.get("ks_statistic").asDouble(), d, 1e-9, c.get("name").asText());
    }
  }

  @Test
  void ksPValueEqualsTheKolmogorovDistributionOfScipy() {
    for (JsonNode c : fixtures.get("numeric")) {
      double p = Tests.ksPValue(c.get("ks_statistic").asDouble(), c.get("a").size(), c.get("b").size());
      double expected = c.get("ks_pvalue_kolmogorov").asDouble();
      // Relative for tiny p-values (1e-24 in the disjoint case), absolute otherwise.
      assertTrue(Math.abs(p - expected) <= 1e-9 * Math.max(expected, 1e-15) || Math.abs(p - expected) < 1e-12,
          c.get("name").asText() + ": expected " + expected + " but was " + p);
    }
  }

  @Test
  void wassersteinEqualsScipyWassersteinDistance() {
    for (JsonNode c : fixtures.get("numeric")) {
      double w = SampleDistances.wasserstein(doubles(c.get("a")), doubles(c.get("b")));
      close(c.get("wasserstein").asDouble(), w, 1e-9, c.get("name").asText());
      close(c.get("a_std_population").asDouble(), SampleDistances.populationStd(doubles(c.get("a"))),
          1e-9, c.get("name").asText() + " std");
    }
  }

  @Test
  void jensenShannonEqualsScipyInBase2() {
    for (JsonNode c : fixtures.get("categorical")) {
      HistogramDistances.JensenShannon js = HistogramDistances.jensenShannon(longs(c.get("ref")), longs(c.get("cur")));
      close(c.get("js_distance").asDouble(), js.distance(), 1e-9, c.get("name").asText());
      close(c.get("js_divergence").asDouble(), js.divergence(), 1e-9, c.get("name").asText());
    }
  }

  @Test
  void chiSquareEqualsScipyChi2ContingencyWithoutCorrection() {
    for (JsonNode c : fixtures.get("categorical")) {
      HistogramDistances.ChiSquare chi = HistogramDistances.chiSquare(longs(c.get("ref")), longs(c.get("cur")));
      String name = c.get("name").asText();
      close(c.get("chi2_statistic").asDouble(), chi.statistic(), 1e-9, name);
      close(c.get("chi2_pvalue").asDouble(), chi.pValue(), 1e-9, name);
      assertEquals(c.get("chi2_dof").asInt(), chi.degreesOfFreedom(), name);
    }
  }

  @Test
  void twoProportionTestEqualsScipyOnTheTwoByTwoTable() {
    for (JsonNode c : fixtures.get("proportions")) {
      double p = Tests.twoProportionPValue(c.get("x1").asLong(), c.get("n1").asLong(),
          c.get("x2").asLong(), c.get("n2").asLong());
      close(c.get("pvalue").asDouble(), p, 1e-9, c.get("name").asText());
    }
  }

  @Test
  void benjaminiHochbergMatchesTheFixtureAndAHandExample() {
    for (JsonNode c : fixtures.get("benjamini_hochberg")) {
      assertArrayEquals(doubles(c.get("adjusted")), Tests.benjaminiHochberg(doubles(c.get("p"))), 1e-12);
    }
    // By hand: sorted 0.01, 0.02, 0.03, 0.5 with m = 4 -> 0.04, 0.04, 0.04, 0.5 (the step-up
    // minimum carries 0.03*4/3 = 0.04 down to ranks 1 and 2); NaN is not a test.
    double[] adjusted = Tests.benjaminiHochberg(new double[] {0.03, Double.NaN, 0.5, 0.01, 0.02});
    assertArrayEquals(new double[] {0.04, Double.NaN, 0.5, 0.04, 0.04}, adjusted, 1e-15);
  }

  @Test
  void psiEqualsAHandComputationWithEpsilonForEmptyBins() {
    long[] ref = {50, 30, 20, 0};
    long[] cur = {40, 30, 20, 10};
    // (0.4-0.5) ln(0.4/0.5) + 0 + 0 + (0.1-1e-4) ln(0.1/1e-4)
    double expected = -0.1 * Math.log(0.8) + (0.1 - 1e-4) * Math.log(0.1 / 1e-4);
    assertEquals(expected, HistogramDistances.psi(ref, cur, 1e-4), 1e-15);
    assertEquals(0.0, HistogramDistances.psi(ref, ref, 1e-4), 0.0);
    assertEquals(0.1, HistogramDistances.lInfinity(ref, cur), 1e-15);
  }

  @Test
  void statisticsRefuseEmptyOrNonFiniteInputWithAClearMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SampleDistances.ksStatistic(new double[] {1, Double.NaN}, new double[] {1}));
    assertEquals("Cannot compare samples with non-finite values: a holds NaN. Drop NaN and infinite values first.",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> HistogramDistances.psi(new long[] {0, 0}, new long[] {1, 2}, 1e-4));
    assertEquals("Cannot compare distributions: the reference side has no counts.", e.getMessage());
  }
}

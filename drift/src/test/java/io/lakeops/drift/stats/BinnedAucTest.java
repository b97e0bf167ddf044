package io.lakeops.drift.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The binned ROC AUC against a brute-force count over every (positive, negative) pair, ties
 * counting one half (the definition scikit-learn's {@code roc_auc_score} computes; scikit-learn
 * is not installed on these machines, so the oracle is the pair count itself).
 */
public class BinnedAucTest {

  /** Share of (positive, negative) pairs where the positive scores higher, ties one half. */
  public static double bruteForceAuc(double[] scores, boolean[] labels) {
    double wins = 0;
    long pairs = 0;
    for (int i = 0; i < scores.length; i++) {
      if (!labels[i]) {
        continue;
      }
      for (int j = 0; j < scores.length; j++) {
        if (labels[j]) {
          continue;
        }
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
      }
    }
    return wins / pairs;
  }

  /** Edges from a KLL sketch of {@code reference} scores, as a report takes them. */
  static double[] edges(double[] reference) {
    KllSketch sketch = KllSketch.forRankError(0.001, 3);
    for (double v : reference) {
      sketch.add(v);
    }
    double[] ranks = new double[999];
    for (int k = 1; k < 1000; k++) {
      ranks[k - 1] = k / 1000.0;
    }
    return java.util.Arrays.stream(sketch.quantiles(ranks)).sorted().distinct().toArray();
  }

  static BinnedAuc binned(double[] edges, double[] scores, boolean[] labels) {
    EdgeHistogram pos = EdgeHistogram.empty(edges);
    EdgeHistogram neg = EdgeHistogram.empty(edges);
    for (int i = 0; i < scores.length; i++) {
      (labels[i] ? pos : neg).add(scores[i]);
    }
    return BinnedAuc.of(pos, neg);
  }

  @Test
  void continuousScoresLieWithinTheBoundOfTheExactAuc() {
    Random rng = new Random(21);
    for (int trial = 0; trial < 4; trial++) {
      int n = 4000;
      double[] reference = new double[n];
      double[] scores = new double[n];
      boolean[] labels = new boolean[n];
      double separation = 0.3 * trial;
      for (int i = 0; i < n; i++) {
        reference[i] = 1 / (1 + Math.exp(-rng.nextGaussian()));
        labels[i] = rng.nextDouble() < 0.3;
        // The current scores are shifted against the reference's edges on purpose.
        scores[i] = 1 / (1 + Math.exp(-(rng.nextGaussian() + (labels[i] ? separation : 0) + 0.4)));
      }
      BinnedAuc est = binned(edges(reference), scores, labels);
      double exact = bruteForceAuc(scores, labels);
      assertTrue(Math.abs(est.auc() - exact) <= est.errorBound() + 1e-12,
          "trial " + trial + ": AUC " + exact + " vs " + est.auc() + " +- " + est.errorBound());
      assertTrue(est.errorBound() < 0.003, "bound " + est.errorBound());
    }
  }

  @Test
  void scoresOnTheEdgesGiveTheExactAucWithTiesAndZeroBound() {
    Random rng = new Random(4);
    int n = 3000;
    double[] scores = new double[n];
    boolean[] labels = new boolean[n];
    for (int i = 0; i < n; i++) {
      labels[i] = rng.nextBoolean();
      scores[i] = Math.min(10, rng.nextInt(10) + (labels[i] ? rng.nextInt(3) : 0)) / 10.0;
    }
    BinnedAuc est = binned(edges(scores), scores, labels);
    assertEquals(0.0, est.errorBound());
    assertEquals(bruteForceAuc(scores, labels), est.auc(), 1e-12);
  }

  @Test
  void oneClassOnlyHasNoAuc() {
    EdgeHistogram pos = EdgeHistogram.empty(new double[] {0.5});
    pos.add(0.7);
    BinnedAuc est = BinnedAuc.of(pos, EdgeHistogram.empty(new double[] {0.5}));
    assertTrue(Double.isNaN(est.auc()));
    assertEquals(1, est.positives());
  }
}

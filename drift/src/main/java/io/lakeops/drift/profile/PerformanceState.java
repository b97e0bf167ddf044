package io.lakeops.drift.profile;

import io.lakeops.drift.stats.BinnedAuc;
import io.lakeops.drift.stats.EdgeHistogram;
import java.io.Serializable;

/**
 * Mergeable state of model performance on labelled rows: counts of labelled rows, positives,
 * errors of {@code prediction >= threshold} against the label, and the Brier score's sum.
 * A label other than 0 or 1 (or a missing prediction on a labelled row) is counted as invalid
 * and left out of the performance figures. With score edges (the prediction column's fine
 * edges), the scores of positive and negative labelled rows are also counted on them, for the
 * binned ROC AUC ({@link BinnedAuc}).
 */
public final class PerformanceState implements Serializable {
  private static final long serialVersionUID = 1L;

  public long rows;
  public long labelled;
  public long positives;
  public long errors;
  public double brierSum;
  public long invalid;
  /** Scores of labelled positive and negative rows on the prediction's edges (null: no AUC). */
  public EdgeHistogram positiveScores;
  public EdgeHistogram negativeScores;

  /** A state that also counts scores on {@code edges} for the AUC (none when null). */
  public static PerformanceState withScoreEdges(double[] edges) {
    PerformanceState s = new PerformanceState();
    if (edges != null) {
      s.positiveScores = EdgeHistogram.empty(edges);
      s.negativeScores = EdgeHistogram.empty(edges);
    }
    return s;
  }

  /** {@code label} and {@code prediction} may be null (boxed) when missing. */
  public void add(Double prediction, Double label, double threshold) {
    rows++;
    if (label == null) {
      return;
    }
    if (prediction == null || !Double.isFinite(prediction) || !(label == 0.0 || label == 1.0)) {
      invalid++;
      return;
    }
    labelled++;
    if (label == 1.0) {
      positives++;
    }
    double predicted = prediction >= threshold ? 1.0 : 0.0;
    if (predicted != label) {
      errors++;
    }
    brierSum += (prediction - label) * (prediction - label);
    if (positiveScores != null) {
      (label == 1.0 ? positiveScores : negativeScores).add(prediction);
    }
  }

  public void merge(PerformanceState o) {
    rows += o.rows;
    labelled += o.labelled;
    positives += o.positives;
    errors += o.errors;
    brierSum += o.brierSum;
    invalid += o.invalid;
    if (positiveScores != null && o.positiveScores != null) {
      positiveScores.merge(o.positiveScores);
      negativeScores.merge(o.negativeScores);
    } else if (positiveScores != null) {
      // A side without score counts (an older stored profile) has no AUC.
      positiveScores = null;
      negativeScores = null;
    }
  }

  /** The binned AUC of the labelled rows; NaN without score counts or with one class only. */
  public BinnedAuc auc() {
    if (positiveScores == null) {
      return new BinnedAuc(Double.NaN, Double.NaN, positives, labelled - positives);
    }
    return BinnedAuc.of(positiveScores, negativeScores);
  }

  public double errorRate() {
    return labelled == 0 ? Double.NaN : (double) errors / labelled;
  }

  public double brierScore() {
    return labelled == 0 ? Double.NaN : brierSum / labelled;
  }
}

package io.lakeops.drift.profile;

import java.io.Serializable;

/**
 * Mergeable state of model performance on labelled rows: counts of labelled rows, positives,
 * errors of {@code prediction >= threshold} against the label, and the Brier score's sum.
 * A label other than 0 or 1 (or a missing prediction on a labelled row) is counted as invalid
 * and left out of the performance figures.
 */
public final class PerformanceState implements Serializable {
  private static final long serialVersionUID = 1L;

  public long rows;
  public long labelled;
  public long positives;
  public long errors;
  public double brierSum;
  public long invalid;

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
  }

  public void merge(PerformanceState o) {
    rows += o.rows;
    labelled += o.labelled;
    positives += o.positives;
    errors += o.errors;
    brierSum += o.brierSum;
    invalid += o.invalid;
  }

  public double errorRate() {
    return labelled == 0 ? Double.NaN : (double) errors / labelled;
  }

  public double brierScore() {
    return labelled == 0 ? Double.NaN : brierSum / labelled;
  }
}

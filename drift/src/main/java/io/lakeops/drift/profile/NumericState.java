package io.lakeops.drift.profile;

import io.lakeops.drift.stats.EdgeHistogram;
import io.lakeops.drift.stats.EdgeIndex;
import java.io.Serializable;
import java.util.Arrays;
import io.lakeops.drift.stats.KllSketch;

/**
 * Mergeable state of one numeric column: counts of rows, nulls, NaN and infinities; mean and
 * sum of squared deviations of the finite values (merged with Chan's formula); minimum and
 * maximum; while profiling a reference, a {@link KllSketch} of the finite values; and, once edges are known, the {@link EdgeHistogram} on them.
 */
public final class NumericState implements Serializable {
  private static final long serialVersionUID = 1L;

  public long rows;
  public long nulls;
  public long nans;
  public long positiveInfinities;
  public long negativeInfinities;
  public long finite;
  public double mean;
  public double m2;
  public double min = Double.POSITIVE_INFINITY;
  public double max = Double.NEGATIVE_INFINITY;
  public KllSketch sketch;
  public EdgeHistogram histogram;
  /** Lookup of the histogram's edges, built on first use where the values are counted. */
  private transient EdgeIndex index;
  /** Indexes into the histogram's edges of the PSI bin edges (set on reference profiles). */
  public int[] psiEdgeIndexes;

  /**
   * A state that sketches its values (the reference's first pass): it counts rows, nulls, NaN,
   * infinities and finite values and keeps the quantile sketch, but leaves the moments, minimum
   * and maximum empty. {@code seed} drives the sketch's random compactions.
   */
  public static NumericState withSketch(double rankError, long seed) {
    NumericState s = new NumericState();
    s.sketch = KllSketch.forRankError(rankError, seed);
    return s;
  }

  public static NumericState withEdges(double[] edges) {
    NumericState s = new NumericState();
    s.histogram = EdgeHistogram.empty(edges);
    return s;
  }

  public void addNull() {
    rows++;
    nulls++;
  }

  public void add(double x) {
    rows++;
    if (Double.isNaN(x)) {
      nans++;
      return;
    }
    if (Double.isInfinite(x)) {
      if (x > 0) {
        positiveInfinities++;
      } else {
        negativeInfinities++;
      }
      return;
    }
    finite++;
    if (sketch != null) {
      // The sketch pass only needs the quantiles: the counting pass computes the moments again.
      sketch.add(x);
      return;
    }
    double delta = x - mean;
    mean += delta / finite;
    m2 += delta * (x - mean);
    if (x < min) {
      min = x;
    }
    if (x > max) {
      max = x;
    }
    if (histogram != null) {
      if (index == null) {
        index = new EdgeIndex(histogram.edges());
      }
      histogram.addAt(x, index.locate(x));
    }
  }

  public void merge(NumericState o) {
    rows += o.rows;
    nulls += o.nulls;
    nans += o.nans;
    positiveInfinities += o.positiveInfinities;
    negativeInfinities += o.negativeInfinities;
    if (o.finite > 0) {
      long n = finite + o.finite;
      double delta = o.mean - mean;
      mean += delta * o.finite / n;
      m2 += o.m2 + delta * delta * ((double) finite * o.finite / n);
      finite = n;
    }
    min = Math.min(min, o.min);
    max = Math.max(max, o.max);
    if (sketch != null && o.sketch != null) {
      sketch.merge(o.sketch);
    } else if (o.sketch != null) {
      sketch = o.sketch;
    }
    if (histogram != null && o.histogram != null) {
      histogram.merge(o.histogram);
    } else if (o.histogram != null) {
      histogram = o.histogram;
    }
  }

  /** Rows without a usable value: null, NaN or infinite. */
  public long missing() {
    return rows - finite;
  }

  /** Population standard deviation of the finite values. */
  public double std() {
    return finite == 0 ? Double.NaN : Math.sqrt(m2 / finite);
  }

  /**
   * The distinct sketch quantiles at {@code k / fineBins} ({@code k = 1 .. fineBins - 1}), and
   * the indexes among them of the PSI edges at {@code j / bins}. Empty when there are no values.
   */
  public Edges edges(int fineBins, int bins) {
    if (sketch == null || finite == 0) {
      return new Edges(new double[0], new int[0]);
    }
    double[] ranks = new double[fineBins - 1];
    for (int k = 1; k < fineBins; k++) {
      ranks[k - 1] = (double) k / fineBins;
    }
    double[] raw = sketch.quantiles(ranks);
    double[] distinct = Arrays.stream(raw).sorted().distinct().toArray();
    int step = fineBins / bins;
    int[] psi = java.util.stream.IntStream.range(1, bins)
        .map(j -> Arrays.binarySearch(distinct, raw[j * step - 1]))
        .distinct().sorted().toArray();
    return new Edges(distinct, psi);
  }

  /** Fine histogram edges and the PSI edges among them. */
  public record Edges(double[] fine, int[] psiIndexes) implements Serializable {}
}

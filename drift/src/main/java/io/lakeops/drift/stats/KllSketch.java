package io.lakeops.drift.stats;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A KLL quantile sketch of doubles (Karnin, Lang and Liberty, "Optimal quantile approximation in
 * streams", 2016) on primitive arrays: mergeable, about {@code 3k} retained values whatever the
 * stream length, and an insert that is an array store (a sort of the bottom level every few
 * hundred values). It replaces Spark's {@code QuantileSummaries}, whose boxed buffer cost about
 * a microsecond per value.
 *
 * <p>Level {@code h} holds values of weight {@code 2^h}, level 0 unsorted, the others sorted.
 * When a level reaches its capacity ({@code k (2/3)^depth}, at least 8) it is sorted and every
 * other value, starting at a random offset, moves up a level with twice the weight. Each such
 * compaction moves the rank of any value by {@code +-2^h} or 0 with mean 0, so the estimated
 * rank is unbiased and its error is a sum of independent bounded terms.
 *
 * <p><b>Error.</b> {@link #forRankError(double)} picks {@code k = ceil(K_PER_RANK_ERROR / eps)}.
 * The rank error of every quantile is then below {@code eps} (as a share of the values) with
 * high probability: by Hoeffding's inequality over the compactions the normalised error of one
 * query has a sub-Gaussian tail with scale about {@code 1.4 / k}, so {@code eps = 6 / k} leaves
 * more than 4 standard deviations per quantile. That is a high probability, not a certainty, and
 * less for the largest error over many quantiles: {@code KllSketchTest} measures the largest error
 * over 999 quantiles on random data of six shapes and orders, in one sketch and in eight merged,
 * against a brute-force sort (at {@code eps = 0.002}, {@code k = 3000}: 0.00129, about
 * {@code 0.65 eps}). The guarantee is probabilistic, which is
 * why the drift statistics never rely on it: they count exact values on the sketch's quantiles
 * and compute their error bounds from those counts (see {@link BinnedComparison}).
 *
 * <p>The random offsets come from a seeded generator, so a sketch fed the same values in the
 * same order gives the same quantiles.
 */
public final class KllSketch implements Serializable {
  private static final long serialVersionUID = 1L;

  /** {@code k = ceil(K_PER_RANK_ERROR / eps)} for a rank error {@code eps}. */
  public static final double K_PER_RANK_ERROR = 6.0;
  private static final int MIN_CAPACITY = 8;
  private static final double SHRINK = 2.0 / 3.0;

  private final int k;
  private double[][] levels;
  private int[] sizes;
  private int depth;
  private long count;
  private long random;
  /** Capacity of level 0 at the current depth (cached: it is checked on every insert). */
  private int bottomCapacity;

  public KllSketch(int k, long seed) {
    if (k < MIN_CAPACITY) {
      throw new IllegalArgumentException("Cannot set the KLL sketch size to " + k
          + ", the value must be at least " + MIN_CAPACITY);
    }
    this.k = k;
    this.levels = new double[][] {new double[k]};
    this.sizes = new int[1];
    this.depth = 1;
    this.random = seed ^ 0x9E3779B97F4A7C15L;
    this.bottomCapacity = capacity(0);
  }

  /** A sketch whose quantiles have rank error below {@code eps} with high probability. */
  public static KllSketch forRankError(double eps, long seed) {
    if (!(eps > 0 && eps < 1)) {
      throw new IllegalArgumentException("Cannot set the sketch rank error to " + eps
          + ", the value must lie in (0, 1)");
    }
    return new KllSketch((int) Math.ceil(K_PER_RANK_ERROR / eps), seed);
  }

  public int k() {
    return k;
  }

  /** Values seen. */
  public long count() {
    return count;
  }

  /** Values kept. */
  public int retained() {
    int r = 0;
    for (int h = 0; h < depth; h++) {
      r += sizes[h];
    }
    return r;
  }

  public void add(double x) {
    if (sizes[0] >= bottomCapacity) {
      compress();
    }
    levels[0][sizes[0]++] = x;
    count++;
  }

  /** Adds every value of {@code other} (which is left unchanged). */
  public void merge(KllSketch other) {
    while (depth < other.depth) {
      addLevel();
    }
    for (int h = 0; h < other.depth; h++) {
      int n = other.sizes[h];
      if (n == 0) {
        continue;
      }
      if (h == 0) {
        ensure(0, sizes[0] + n);
        System.arraycopy(other.levels[0], 0, levels[0], sizes[0], n);
        sizes[0] += n;
      } else {
        double[] merged = new double[Math.max(sizes[h] + n, capacity(h))];
        mergeSorted(levels[h], sizes[h], other.levels[h], n, merged);
        levels[h] = merged;
        sizes[h] += n;
      }
    }
    count += other.count;
    compress();
  }

  /** The estimated number of values {@code <= x}. */
  public long rank(double x) {
    long r = 0;
    for (int h = 0; h < depth; h++) {
      long weight = 1L << h;
      for (int i = 0; i < sizes[h]; i++) {
        if (levels[h][i] <= x) {
          r += weight;
        }
      }
    }
    return r;
  }

  /**
   * The estimated quantiles at the given ranks (shares in (0, 1], increasing): for each, the
   * smallest retained value whose cumulative weight reaches {@code q * count}. Empty sketch: NaN.
   */
  public double[] quantiles(double[] ranks) {
    double[] out = new double[ranks.length];
    int n = retained();
    if (n == 0) {
      Arrays.fill(out, Double.NaN);
      return out;
    }
    double[] values = new double[n];
    long[] weights = new long[n];
    sortedWithWeights(values, weights);
    long cumulative = 0;
    int i = -1;
    for (int q = 0; q < ranks.length; q++) {
      if (q > 0 && ranks[q] < ranks[q - 1]) {
        throw new IllegalArgumentException("Cannot query ranks that decrease: " + ranks[q - 1]
            + " then " + ranks[q]);
      }
      double target = ranks[q] * count;
      while (i < n - 1 && (i < 0 || cumulative < target)) {
        i++;
        cumulative += weights[i];
      }
      out[q] = values[i];
    }
    return out;
  }

  private void sortedWithWeights(double[] values, long[] weights) {
    // Sort the bottom level once, then merge the (sorted) levels by weight from the top.
    double[] bottom = Arrays.copyOf(levels[0], sizes[0]);
    Arrays.sort(bottom);
    double[][] runs = new double[depth][];
    runs[0] = bottom;
    for (int h = 1; h < depth; h++) {
      runs[h] = levels[h];
    }
    int[] pos = new int[depth];
    int lengthBottom = bottom.length;
    for (int out = 0; out < values.length; out++) {
      int best = -1;
      double bestValue = 0;
      for (int h = 0; h < depth; h++) {
        int size = h == 0 ? lengthBottom : sizes[h];
        if (pos[h] < size && (best < 0 || runs[h][pos[h]] < bestValue)) {
          best = h;
          bestValue = runs[h][pos[h]];
        }
      }
      values[out] = bestValue;
      weights[out] = 1L << best;
      pos[best]++;
    }
  }

  private int capacity(int level) {
    return Math.max(MIN_CAPACITY, (int) Math.ceil(k * Math.pow(SHRINK, depth - 1 - level)));
  }

  private void addLevel() {
    levels = Arrays.copyOf(levels, depth + 1);
    sizes = Arrays.copyOf(sizes, depth + 1);
    levels[depth] = new double[0];
    depth++;
    bottomCapacity = capacity(0);
  }

  private void ensure(int level, int size) {
    if (levels[level].length < size) {
      levels[level] = Arrays.copyOf(levels[level], Math.max(size, levels[level].length * 2));
    }
  }

  /** Compacts every level at or over its capacity, lowest first, until none is. */
  private void compress() {
    for (int h = 0; h < depth; h++) {
      if (sizes[h] < capacity(h)) {
        continue;
      }
      if (h == depth - 1) {
        addLevel();
      }
      compact(h);
      // Adding a level shrinks the capacities below it: look again from the bottom.
      h = -1;
    }
  }

  /** Sorts level {@code h} and moves every other value (random offset) to level {@code h + 1}. */
  private void compact(int h) {
    double[] items = levels[h];
    int n = sizes[h];
    if (h == 0) {
      Arrays.sort(items, 0, n);
    }
    // With an odd count the smallest value stays behind, so the compacted run is even.
    int start = n % 2;
    int offset = nextBit();
    int moved = (n - start) / 2;
    double[] promoted = new double[moved];
    for (int i = 0; i < moved; i++) {
      promoted[i] = items[start + 2 * i + offset];
    }
    double[] merged = new double[Math.max(sizes[h + 1] + moved, capacity(h + 1))];
    mergeSorted(levels[h + 1], sizes[h + 1], promoted, moved, merged);
    levels[h + 1] = merged;
    sizes[h + 1] += moved;
    sizes[h] = start;
  }

  private static void mergeSorted(double[] a, int na, double[] b, int nb, double[] out) {
    int i = 0;
    int j = 0;
    int o = 0;
    while (i < na && j < nb) {
      out[o++] = a[i] <= b[j] ? a[i++] : b[j++];
    }
    while (i < na) {
      out[o++] = a[i++];
    }
    while (j < nb) {
      out[o++] = b[j++];
    }
  }

  /** SplitMix64. */
  private int nextBit() {
    random += 0x9E3779B97F4A7C15L;
    long z = random;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (int) (z & 1);
  }
}

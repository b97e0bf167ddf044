package io.lakeops.drift.stats;

import java.util.Arrays;

/**
 * Counts of finite values against fixed, strictly increasing edges {@code e_0 < ... < e_{K-1}}
 * (the reference's quantiles): {@code atEdge[k]} values equal to {@code e_k}, {@code interior[k]}
 * values in the open interval {@code (e_{k-1}, e_k)} (with {@code e_{-1} = -inf},
 * {@code e_K = +inf}), and {@code distance[k]} the sum over those interior values of their
 * distance to the interval's finite right edge (to the left edge for the last, unbounded
 * interval). That is mergeable state: counts and sums add.
 */
public record EdgeHistogram(double[] edges, long[] atEdge, long[] interior, double[] distance)
    implements java.io.Serializable {

  public EdgeHistogram {
    int k = edges.length;
    if (atEdge.length != k || interior.length != k + 1 || distance.length != k + 1) {
      throw new IllegalArgumentException("Cannot build a histogram of " + k + " edges from "
          + atEdge.length + " edge counts and " + interior.length + " interval counts.");
    }
    for (int i = 1; i < k; i++) {
      if (!(edges[i] > edges[i - 1])) {
        throw new IllegalArgumentException("Cannot use histogram edges that do not increase: "
            + edges[i - 1] + " then " + edges[i] + ".");
      }
    }
  }

  /** An empty histogram on these edges. */
  public static EdgeHistogram empty(double[] edges) {
    return new EdgeHistogram(edges, new long[edges.length], new long[edges.length + 1],
        new double[edges.length + 1]);
  }

  /** Adds one finite value (binary search on the edges). */
  public void add(double x) {
    addAt(x, Arrays.binarySearch(edges, x));
  }

  /**
   * Adds one finite value whose position {@code i} among the edges is known, as
   * {@link Arrays#binarySearch(double[], double)} returns it (see {@link EdgeIndex}).
   */
  public void addAt(double x, int i) {
    if (i >= 0) {
      atEdge[i]++;
      return;
    }
    int k = -i - 1;
    interior[k]++;
    if (edges.length > 0) {
      distance[k] += k < edges.length ? edges[k] - x : x - edges[k - 1];
    }
  }

  public void merge(EdgeHistogram other) {
    if (!Arrays.equals(edges, other.edges)) {
      throw new IllegalArgumentException("Cannot merge histograms on different edges.");
    }
    for (int i = 0; i < atEdge.length; i++) {
      atEdge[i] += other.atEdge[i];
    }
    for (int i = 0; i < interior.length; i++) {
      interior[i] += other.interior[i];
      distance[i] += other.distance[i];
    }
  }

  public long total() {
    long t = 0;
    for (long c : atEdge) {
      t += c;
    }
    for (long c : interior) {
      t += c;
    }
    return t;
  }

  /**
   * Counts in the right-closed bins {@code (-inf, c_1], (c_1, c_2], ..., (c_last, +inf)} whose
   * edges {@code c} are the edges at {@code edgeIndexes} (a subset of this histogram's edges, in
   * increasing order): the PSI bins.
   */
  public long[] coarseCounts(int[] edgeIndexes) {
    long[] counts = new long[edgeIndexes.length + 1];
    int bin = 0;
    for (int k = 0; k <= edges.length; k++) {
      counts[bin] += interior[k];
      if (k < edges.length) {
        counts[bin] += atEdge[k];
        if (bin < edgeIndexes.length && edgeIndexes[bin] == k) {
          bin++;
        }
      }
    }
    return counts;
  }
}

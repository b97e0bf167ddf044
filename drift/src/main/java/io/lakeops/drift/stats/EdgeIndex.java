package io.lakeops.drift.stats;

import java.util.Arrays;

/**
 * Finds where a value falls among increasing edges faster than a binary search over all of them:
 * a uniform grid of {@code 4K} cells over {@code [e_0, e_{K-1}]} records the first edge of each
 * cell, so a lookup is one multiplication and a binary search among the few edges of one cell
 * (quantile edges are dense where the data is, which is also where most lookups land). Its
 * answers are exactly those of {@link Arrays#binarySearch(double[], double)}: a result that the
 * cell's bounds cannot confirm (floating-point rounding at a cell boundary) falls back to the full
 * search.
 */
public final class EdgeIndex {

  private static final int CELLS_PER_EDGE = 4;

  private final double[] edges;
  private final int[] cellStart;
  private final double low;
  private final double scale;
  private final int cells;

  public EdgeIndex(double[] edges) {
    this.edges = edges;
    int k = edges.length;
    if (k < 2 || !(edges[k - 1] > edges[0]) || !Double.isFinite(edges[k - 1] - edges[0])) {
      this.cells = 0;
      this.cellStart = new int[0];
      this.low = 0;
      this.scale = 0;
      return;
    }
    this.cells = CELLS_PER_EDGE * k;
    this.low = edges[0];
    this.scale = cells / (edges[k - 1] - edges[0]);
    this.cellStart = new int[cells + 1];
    int i = 0;
    for (int c = 0; c <= cells; c++) {
      double boundary = low + c / scale;
      while (i < k && edges[i] < boundary) {
        i++;
      }
      cellStart[c] = i;
    }
  }

  /** As {@code Arrays.binarySearch(edges, x)}: the edge's index, or {@code -(insertion point) - 1}. */
  public int locate(double x) {
    int k = edges.length;
    if (cells == 0) {
      return Arrays.binarySearch(edges, x);
    }
    if (x < low) {
      return -1;
    }
    if (x > edges[k - 1]) {
      return -k - 1;
    }
    int cell = (int) ((x - low) * scale);
    if (cell >= cells) {
      cell = cells - 1;
    }
    int from = Math.max(0, cellStart[cell] - 1);
    int to = Math.min(k, cellStart[cell + 1] + 1);
    int r = Arrays.binarySearch(edges, from, to, x);
    if (r >= 0) {
      return r;
    }
    int insertion = -r - 1;
    // Confirm the insertion point against the neighbours outside the searched range.
    if ((insertion == from && from > 0 && edges[from - 1] >= x)
        || (insertion == to && to < k && edges[to] <= x)) {
      return Arrays.binarySearch(edges, x);
    }
    return r;
  }
}

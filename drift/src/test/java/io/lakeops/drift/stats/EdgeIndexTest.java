package io.lakeops.drift.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The grid lookup answers exactly as a binary search over all edges. */
class EdgeIndexTest {

  private static void sameAsBinarySearch(double[] edges, double[] probes) {
    EdgeIndex index = new EdgeIndex(edges);
    for (double x : probes) {
      assertEquals(Arrays.binarySearch(edges, x), index.locate(x), "value " + x + " among " + edges.length + " edges");
    }
  }

  @Test
  void answersLikeBinarySearchOnSkewedDenseAndTinyEdgeSets() {
    Random rng = new Random(9);
    for (int trial = 0; trial < 30; trial++) {
      int k = trial < 3 ? trial : 1 + rng.nextInt(1500);
      double[] raw = new double[k];
      for (int i = 0; i < k; i++) {
        raw[i] = switch (trial % 3) {
          case 0 -> rng.nextGaussian();
          case 1 -> Math.exp(3 * rng.nextGaussian());
          default -> rng.nextInt(50) * 0.1;
        };
      }
      double[] edges = Arrays.stream(raw).sorted().distinct().toArray();
      double[] probes = new double[20_000];
      for (int i = 0; i < probes.length; i++) {
        probes[i] = edges.length > 0 && i % 3 == 0 ? edges[rng.nextInt(edges.length)]
            : i % 3 == 1 && edges.length > 0 ? Math.nextUp(edges[rng.nextInt(edges.length)])
            : Math.exp(3 * rng.nextGaussian()) * (rng.nextBoolean() ? 1 : -1);
      }
      sameAsBinarySearch(edges, probes);
    }
    sameAsBinarySearch(new double[] {-1e308, 1e308}, new double[] {0, -1e308, 1e308, 5, -Double.MAX_VALUE});
  }
}

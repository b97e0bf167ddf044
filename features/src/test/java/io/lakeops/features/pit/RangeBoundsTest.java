package io.lakeops.features.pit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The join's own range partitioning, checked against a linear scan. */
class RangeBoundsTest {

  @Test
  void partitionIsTheNumberOfBoundsAtOrBelowTheRowAndWeightIsBalanced() {
    Random random = new Random(7);
    List<RangeBounds.Point> points = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      // One hot hash with a third of the weight: it must be split by time.
      long h = i % 3 == 0 ? 42 : random.nextInt(1000);
      points.add(new RangeBounds.Point(h, random.nextInt(100_000), 1.0));
    }
    RangeBounds bounds = RangeBounds.of(points, 12);
    assertTrue(bounds.bounds() <= 11);
    int[] load = new int[12];
    for (RangeBounds.Point p : points) {
      load[bounds.partition(p.hash(), p.time())]++;
    }
    for (int p = 0; p < 12; p++) {
      assertTrue(load[p] <= 5000 / 12 + 60, "partition " + p + " holds " + load[p]);
    }
    assertTrue(bounds.partition(42, 99_999) - bounds.partition(42, 0) >= 3,
        "the hot hash spans several partitions");
    // Brute force: count the bounds at or below (h, t) by a linear scan.
    long[][] b = bounds.boundsForTesting();
    for (int i = 0; i < 2000; i++) {
      long h = i % 4 == 0 ? 42 : random.nextInt(1100) - 50;
      long t = random.nextInt(110_000) - 5000;
      int below = 0;
      for (int j = 0; j < b[0].length; j++) {
        if (b[0][j] < h || (b[0][j] == h && b[1][j] <= t)) {
          below++;
        }
      }
      assertEquals(below, bounds.partition(h, t), "(" + h + ", " + t + ")");
      assertTrue(bounds.partition(h, t) <= bounds.partition(h, t + 1), "monotone in time");
      assertTrue(bounds.partition(h, t) <= bounds.partition(h + 1, Long.MIN_VALUE), "monotone in hash");
    }
  }

  @Test
  void onlyAHashHeavierThanHalfAPartitionIsSplitByTime() {
    Random random = new Random(11);
    List<RangeBounds.Point> points = new ArrayList<>();
    Map<Long, Double> weight = new HashMap<>();
    for (int i = 0; i < 6000; i++) {
      // Hash 7: a fifth of the weight (over 12 partitions, more than two partitions' worth);
      // hash 500: 1/30 (less than half of one partition, 1/24); the rest: spread thin.
      long h = i % 5 == 0 ? 7 : i % 30 == 1 ? 500 : 1000 + random.nextInt(3000);
      points.add(new RangeBounds.Point(h, random.nextInt(100_000), 1.0));
      weight.merge(h, 1.0, Double::sum);
    }
    RangeBounds bounds = RangeBounds.of(points, 12);
    long[][] b = bounds.boundsForTesting();
    boolean hotSplit = false;
    for (int i = 0; i < b[0].length; i++) {
      boolean hot = weight.get(b[0][i]) >= 6000.0 / 12 / 2;
      if (!hot) {
        assertEquals(Long.MIN_VALUE, b[1][i], "bound " + i + " on hash " + b[0][i] + " splits it");
      }
      hotSplit |= hot && b[1][i] != Long.MIN_VALUE;
      assertEquals(b[1][i] != Long.MIN_VALUE, bounds.splitsBelow(i + 1));
      assertEquals(b[0][i], bounds.hashBelow(i + 1));
    }
    assertTrue(hotSplit, "the hot hash is split by time");
    assertTrue(!bounds.splitsBelow(0) && !bounds.splitsBelow(12), "no bound below the first or above the last");
    // Brute force: every other hash lies in one partition, whatever the time.
    for (long h : weight.keySet()) {
      if (h != 7) {
        assertEquals(bounds.partition(h, Long.MIN_VALUE), bounds.partition(h, Long.MAX_VALUE), "hash " + h);
      }
    }
    assertTrue(bounds.partition(7, 99_999) - bounds.partition(7, 0) >= 2, "hash 7 spans partitions");
  }
}

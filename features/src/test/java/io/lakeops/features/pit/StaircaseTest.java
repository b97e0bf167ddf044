package io.lakeops.features.pit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The per-entity state of the pass against brute force: after any sequence of rows in event time
 * order (interleaved with spine times, pruning as the pass does), the answer at t is the greatest
 * (ts, created, version, rowId) among all rows added so far with ts in [t - ttl, t] and, in
 * "as known at" mode, created <= t.
 */
class StaircaseTest {

  @Test
  void answersEqualBruteForceInBothModes() {
    SplittableRandom random = new SplittableRandom(5);
    for (int round = 0; round < 400; round++) {
      boolean asKnownAt = round % 2 == 1;
      long ttl = random.nextLong(1, 30);
      Staircase stair = new Staircase(asKnownAt);
      List<long[]> all = new ArrayList<>();
      long now = 0;
      for (int step = 0; step < 60; step++) {
        now += random.nextInt(3);
        if (random.nextInt(3) > 0) {
          // Late rows (created after ts), ties on ts and created, versions and row ids.
          long[] row = {now, now + (random.nextInt(3) == 0 ? random.nextInt(20) : 0),
              random.nextInt(3), random.nextInt(1000)};
          all.add(row);
          stair.add(row[0], row[1], row[2], row[3]);
        } else {
          stair.prune(now, ttl);
          long[] expected = null;
          for (long[] r : all) {
            if (r[0] <= now && r[0] >= now - ttl && (!asKnownAt || r[1] <= now)
                && (expected == null || Staircase.compareOrder(r, expected) > 0)) {
              expected = r;
            }
          }
          String where = "round " + round + ", step " + step + ", t " + now;
          assertArrayEquals(expected, stair.answer(now, ttl), where);
          int i = stair.answerIndex(now, ttl);
          assertArrayEquals(expected, i < 0 ? null : new long[] {stair.get(i, Staircase.TS),
              stair.get(i, Staircase.CREATED), stair.get(i, Staircase.VERSION),
              stair.get(i, Staircase.ROW_ID)}, where);
        }
      }
    }
  }
}

package io.lakeops.features.pit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Range partitioning of the point-in-time join's rows by (key hash, time), with bounds the join
 * computes itself from small samples (so no extra pass over the feature tables, as Spark's
 * {@code repartitionByRange} would make to sample its input).
 *
 * <p>A row goes to partition {@code p} = the number of bounds {@code <=} its (hash, time): the
 * map side of the shuffle sends each record there ({@link MatchRecords}), and the pass checks that
 * every row arrived where this class put it.
 */
final class RangeBounds implements Serializable {

  private static final long serialVersionUID = 1L;

  private final long[] hashes;
  private final long[] times;
  private final int partitions;
  /**
   * For each bucket of {@link #BUCKET_BITS} high bits of a hash in {@code [0, 2^23)}: the bounds
   * with a smaller hash ({@code below[b]}) and with a hash in the bucket or smaller
   * ({@code below[b + 1]}), so that nearly every row finds its partition with one array load
   * instead of a binary search (a sixth of the shuffle's map side in a profile). Built lazily:
   * not serialised.
   */
  private transient volatile int[] below;
  private static final int HASH_BITS = 23;
  private static final int BUCKET_BITS = 12;

  private RangeBounds(long[] hashes, long[] times, int partitions) {
    this.hashes = hashes;
    this.times = times;
    this.partitions = partitions;
  }

  private int[] below() {
    int[] b = below;
    if (b == null) {
      int buckets = 1 << BUCKET_BITS;
      b = new int[buckets + 1];
      int i = 0;
      for (int k = 0; k <= buckets; k++) {
        long start = (long) k << (HASH_BITS - BUCKET_BITS);
        while (i < hashes.length && hashes[i] < start) {
          i++;
        }
        b[k] = i;
      }
      below = b;
    }
    return b;
  }

  /** A sample point: (hash, time) standing for {@code weight} rows. */
  record Point(long hash, long time, double weight) implements Serializable {}

  /**
   * Bounds that give each of {@code partitions} partitions about the same total weight. A bound
   * falls at the start of a key hash ({@code (hash, Long.MIN_VALUE)}, so no entity is split)
   * unless that hash weighs at least half a partition: such a hot hash is split by time, and the
   * pass carries its entities' last rows across the split.
   */
  static RangeBounds of(List<Point> points, int partitions) {
    List<Point> sorted = new ArrayList<>(points);
    sorted.sort(Comparator.comparingLong(Point::hash).thenComparingLong(Point::time));
    double total = 0;
    java.util.Map<Long, Double> hashWeight = new java.util.HashMap<>();
    for (Point p : sorted) {
      total += p.weight();
      hashWeight.merge(p.hash(), p.weight(), Double::sum);
    }
    double hot = total / partitions / 2;
    List<long[]> bounds = new ArrayList<>();
    double cumulative = 0;
    int next = 1;
    for (Point p : sorted) {
      cumulative += p.weight();
      while (next < partitions && cumulative >= total * next / partitions) {
        long[] b = {p.hash(), hashWeight.get(p.hash()) >= hot ? p.time() : Long.MIN_VALUE};
        long[] last = bounds.isEmpty() ? null : bounds.get(bounds.size() - 1);
        if (last == null || compare(last[0], last[1], b[0], b[1]) < 0) {
          bounds.add(b);
        }
        next++;
      }
    }
    long[] h = new long[bounds.size()];
    long[] t = new long[bounds.size()];
    for (int i = 0; i < h.length; i++) {
      h[i] = bounds.get(i)[0];
      t[i] = bounds.get(i)[1];
    }
    return new RangeBounds(h, t, partitions);
  }

  /**
   * Whether partition {@code p}'s lower bound splits a key hash by time, so that entities of
   * {@link #hashBelow} may have rows in earlier partitions.
   */
  boolean splitsBelow(int p) {
    return p >= 1 && p - 1 < times.length && times[p - 1] != Long.MIN_VALUE;
  }

  /** The key hash of partition {@code p}'s lower bound. */
  long hashBelow(int p) {
    return hashes[p - 1];
  }

  private static int compare(long h1, long t1, long h2, long t2) {
    int c = Long.compare(h1, h2);
    return c != 0 ? c : Long.compare(t1, t2);
  }

  /** The partition of a row: the number of bounds at or below (hash, time). */
  int partition(long hash, long time) {
    int lo = 0;
    int hi = hashes.length;
    if (hash >= 0 && hash < 1L << HASH_BITS) {
      int[] b = below();
      int k = (int) (hash >>> (HASH_BITS - BUCKET_BITS));
      lo = b[k];
      hi = b[k + 1];
      if (lo == hi) {
        return lo;
      }
    }
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (compare(hashes[mid], times[mid], hash, time) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  int partitions() {
    return partitions;
  }

  int bounds() {
    return hashes.length;
  }

  long[][] boundsForTesting() {
    return new long[][] {hashes.clone(), times.clone()};
  }
}

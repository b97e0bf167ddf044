package io.lakeops.features.pit;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Large primitive arrays of the match's partitions (records, sort buffers, payload arenas), kept
 * between the partitions an executor loads instead of allocated anew for each.
 *
 * <p>Why: a loaded partition holds a few hundred MB in arrays of tens of MB each, which the JVM's
 * G1 collector allocates as humongous objects; allocating (and zeroing) them for every partition
 * started a concurrent marking cycle after another, and the collector's threads took about a
 * tenth of the join's CPU time in a profile (1M spine rows, 3 x 5M feature rows, 16 partitions).
 *
 * <p>Arrays are held through soft references, so the collector frees them when memory runs short
 * (and they never keep an idle executor's memory from other work); the kept arrays of each type
 * total at most a quarter of the heap ({@link #keptBytes}). A taken array holds whatever its
 * previous user left in it: callers overwrite every element they read.
 */
final class ArrayPool {

  private ArrayPool() {}

  /** Most bytes of arrays of each type kept: a quarter of the heap. */
  static long keptBytes() {
    return Runtime.getRuntime().maxMemory() / 4;
  }

  private static final ArrayDeque<SoftReference<long[]>> LONGS = new ArrayDeque<>();
  private static final ArrayDeque<SoftReference<int[]>> INTS = new ArrayDeque<>();
  private static final ArrayDeque<SoftReference<byte[]>> BYTES = new ArrayDeque<>();

  /** A long array of at least {@code length} elements (not zeroed). */
  static long[] longs(int length) {
    long[] a = take(LONGS, length, x -> x.length);
    return a != null ? a : new long[length];
  }

  /** An int array of at least {@code length} elements (not zeroed). */
  static int[] ints(int length) {
    int[] a = take(INTS, length, x -> x.length);
    return a != null ? a : new int[length];
  }

  /** A byte array of at least {@code length} elements (not zeroed). */
  static byte[] bytes(int length) {
    byte[] a = take(BYTES, length, x -> x.length);
    return a != null ? a : new byte[length];
  }

  static void release(long[] a) {
    give(LONGS, a);
  }

  static void release(int[] a) {
    give(INTS, a);
  }

  static void release(byte[] a) {
    give(BYTES, a);
  }

  /** Arrays below this size are not worth keeping (the collector handles them well). */
  private static final int SMALLEST_KEPT_BYTES = 1 << 20;

  private interface Length<T> {
    int of(T array);
  }

  /**
   * The smallest kept array that is long enough, but not one more than twice as long (a small
   * partition should not pin a large array that a large one needs).
   */
  private static synchronized <T> T take(ArrayDeque<SoftReference<T>> pool, int length,
      Length<T> size) {
    SoftReference<T> best = null;
    T bestArray = null;
    for (Iterator<SoftReference<T>> it = pool.iterator(); it.hasNext(); ) {
      SoftReference<T> ref = it.next();
      T a = ref.get();
      if (a == null) {
        it.remove();
        continue;
      }
      int n = size.of(a);
      if (n >= length && n <= 2L * length + 1024
          && (bestArray == null || n < size.of(bestArray))) {
        best = ref;
        bestArray = a;
      }
    }
    if (best != null) {
      pool.remove(best);
    }
    return bestArray;
  }

  private static synchronized <T> void give(ArrayDeque<SoftReference<T>> pool, T array) {
    if (array == null || bytes(array) < SMALLEST_KEPT_BYTES) {
      return;
    }
    for (SoftReference<T> ref : pool) {
      if (ref.get() == array) {
        throw new IllegalStateException("An array was released twice to the point-in-time join's pool");
      }
    }
    long budget = keptBytes() - bytes(array);
    long kept = 0;
    for (SoftReference<T> ref : pool) {
      T a = ref.get();
      kept += a == null ? 0 : bytes(a);
    }
    while (kept > budget && !pool.isEmpty()) {
      T a = pool.pollFirst().get();
      kept -= a == null ? 0 : bytes(a);
    }
    if (kept <= budget) {
      pool.addLast(new SoftReference<>(array));
    }
  }

  private static long bytes(Object array) {
    long n = java.lang.reflect.Array.getLength(array);
    return n * (array instanceof long[] ? 8 : array instanceof int[] ? 4 : 1);
  }
}

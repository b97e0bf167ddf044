package io.lakeops.features.pit;

import java.util.Arrays;

/**
 * A map of non-negative longs (in the pass: key hashes) to ints, open addressing with linear
 * probing over primitive arrays; {@code -1} marks an empty slot. Replaces a
 * {@code HashMap<Long, Integer>}, whose boxed keys (and, for row ids, tree bins) were a large part
 * of the time of the loops that used it in a profile.
 */
final class LongIndex {

  private static final long EMPTY = -1L;
  private long[] keys;
  private int[] values;
  private int size;
  private int mask;

  LongIndex(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[capacity];
    Arrays.fill(keys, EMPTY);
    values = new int[capacity];
    mask = capacity - 1;
  }

  private static int mix(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }

  /** Maps {@code key} (>= 0) to {@code value}, replacing an earlier value. */
  void put(long key, int value) {
    if (key < 0) {
      throw new IllegalArgumentException("Key " + key + " is negative");
    }
    if (2 * (size + 1) > keys.length) {
      grow();
    }
    int i = mix(key) & mask;
    while (keys[i] != EMPTY && keys[i] != key) {
      i = (i + 1) & mask;
    }
    if (keys[i] == EMPTY) {
      size++;
    }
    keys[i] = key;
    values[i] = value;
  }

  /** The value of {@code key}, or -1. */
  int get(long key) {
    int i = mix(key) & mask;
    while (keys[i] != EMPTY) {
      if (keys[i] == key) {
        return values[i];
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  int size() {
    return size;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    Arrays.fill(keys, EMPTY);
    values = new int[keys.length];
    mask = keys.length - 1;
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        put(oldKeys[i], oldValues[i]);
      }
    }
  }
}

package io.lakeops.features.pit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.array.ByteArrayMethods;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * One range partition of the point-in-time join's rows, held as primitive records plus an arena
 * of the rows' payloads (the spine payload, or the feature values), and sorted in memory by
 * (key hash, second) with an LSD radix sort over a packed long.
 *
 * <p>The match only looks at the 48-byte records (keys by id, times, tie-break fields); the
 * payloads stay where they were copied, as {@link UnsafeRow} bytes, and are read only for the
 * rows that are answers (the spine rows and their matched feature rows).
 *
 * <p>Why not Spark's sort: with the rows in Spark's sorter, reading them back in sorted order is a
 * random access into the whole partition's row pages per row, and those cache and TLB misses were
 * half of the pass's time in a profile (1M spine rows, 3 x 5M feature rows). Here a radix sort
 * of (sort long, index) pairs and one gather put the records in order, and the pass reads them
 * sequentially.
 *
 * <p>Memory: about 120 bytes per row while sorting (a record and its sorted copy, the sort pairs)
 * plus the payload bytes; {@link PointInTimeJoin} picks enough partitions to keep a partition
 * under {@link PointInTimeJoin#ROWS_PER_PARTITION} rows and {@link
 * PointInTimeJoin#BYTES_PER_PARTITION} estimated bytes.
 *
 * <p>Input layout: key hash, key columns {@code 1..k}, time (micros), kind (0 feature, 1 spine),
 * group index, created (micros), commit version, row id, spine payload (struct), then one struct
 * of feature values per group (set only in that group's rows), then anything (the route
 * column of the exchange, not read).
 */
final class PartitionRows {

  /** Longs per row in {@link #rec}: one row's fields sit together. */
  static final int STRIDE = 6;
  static final int TIME = 0;
  static final int CREATED = 1;
  static final int VERSION = 2;
  static final int ROW_ID = 3;
  /** Key id (high 32 bits), group (bits 8..23), kind (low 8 bits: 0 feature, 1 spine). */
  static final int META = 4;
  /** The arena address of the row's payload ({@link #payload}). */
  static final int PTR = 5;

  int size;
  /** The packed sort long of each row ({@link #order}), sorted in place by {@link #sort}. */
  long[] order;
  long[] rec;
  /** The distinct keys of the partition (Spark's internal values); rows refer to them by id. */
  final List<Object[]> keys = new ArrayList<>();

  private static final int CHUNK = 1 << 22;
  private byte[][] chunks = new byte[8][];
  private int chunkCount;
  private int used;
  private long arenaBytes;

  /** Sized for {@code expectedRows} (growing past them copies the arrays, which is garbage). */
  PartitionRows(int expectedRows) {
    int n = Math.max(1024, expectedRows);
    order = new long[n];
    rec = new long[n * STRIDE];
  }

  static int kind(long meta) {
    return (int) (meta & 0xff);
  }

  static int group(long meta) {
    return (int) ((meta >>> 8) & 0xffff);
  }

  static int keyId(long meta) {
    return (int) (meta >>> 32);
  }

  /**
   * The packed sort long: {@code h << 40 | (floor(t / 10^6) + 2^39)}, monotone in (h, t); the
   * seconds of any Spark timestamp (years 1 to 9999) fit in 40 bits with the offset.
   */
  static long order(long hash, long micros) {
    return hash << 40 | (Math.floorDiv(micros, 1_000_000L) + (1L << 39));
  }

  /**
   * Loads and sorts a partition.
   *
   * @param onlyHash when not null, only rows of this key hash are kept (the others are read and
   *     skipped)
   * @param expectedRows the rows the partition is expected to hold (from the sample)
   */
  static PartitionRows load(int part, Iterator<InternalRow> input, DataType[] keyTypes,
      StructType spineType, StructType[] featureTypes, RangeBounds bounds, Long onlyHash,
      int expectedRows) {
    PartitionRows rows = new PartitionRows(onlyHash == null ? expectedRows : 1024);
    int keys = keyTypes.length;
    // Key interning by key hash: nearly always one key per hash, so one comparison per row. A
    // single string or integral key (the usual entity id) is compared in place, against a
    // compact copy of the partition's keys: no object per row, no pointer chasing.
    LongIndex firstKeyOfHash = new LongIndex(1024);
    int[] nextSameHash = new int[64];
    Object[] probe = new Object[keys];
    int mode = keys != 1 ? GENERIC : keyTypes[0] instanceof StringType ? STRING
        : integral(keyTypes[0]) ? INTEGRAL : GENERIC;
    long[] keyLong = new long[64];
    byte[] keyData = new byte[mode == STRING ? 1 << 16 : 0];
    int keyDataUsed = 0;
    int[] keyStart = new int[64];
    int[] keyLength = new int[64];
    UnsafeProjection[] toUnsafe = new UnsafeProjection[featureTypes.length + 1];
    int[] keyRows = new int[64];
    while (input.hasNext()) {
      InternalRow row = input.next();
      long h = row.getLong(0);
      long t = row.getLong(keys + 1);
      int expected = bounds.partition(h, t);
      if (expected != part) {
        throw new IllegalStateException("Point-in-time join: a row with key hash " + h
            + " and time " + t + " reached partition " + part + " instead of " + expected
            + "; the exchange did not partition as planned (is spark.sql.shuffle.partitions "
            + "or adaptive execution changing the partition count?)");
      }
      if (onlyHash != null && h != onlyHash) {
        continue;
      }
      int first = firstKeyOfHash.get(h);
      int id = first;
      UTF8String string = null;
      long integral = 0;
      if (mode == STRING) {
        string = row.getUTF8String(1);
        int n = string.numBytes();
        while (id >= 0 && !(keyLength[id] == n && ByteArrayMethods.arrayEquals(keyData,
            Platform.BYTE_ARRAY_OFFSET + keyStart[id], string.getBaseObject(), string.getBaseOffset(), n))) {
          id = nextSameHash[id];
        }
      } else if (mode == INTEGRAL) {
        integral = readIntegral(row, 1, keyTypes[0]);
        while (id >= 0 && keyLong[id] != integral) {
          id = nextSameHash[id];
        }
      } else {
        for (int i = 0; i < keys; i++) {
          probe[i] = row.get(i + 1, keyTypes[i]);
        }
        while (id >= 0 && !sameKey(rows.keys.get(id), probe)) {
          id = nextSameHash[id];
        }
      }
      if (id < 0) {
        // A copy: input rows (and the strings in them) are reused.
        Object[] k = new Object[keys];
        for (int i = 0; i < keys; i++) {
          Object v = mode == GENERIC ? probe[i] : row.get(i + 1, keyTypes[i]);
          k[i] = v instanceof UTF8String u ? u.clone() : v;
        }
        id = rows.keys.size();
        rows.keys.add(k);
        if (id == nextSameHash.length) {
          nextSameHash = Arrays.copyOf(nextSameHash, id * 2);
          keyLong = Arrays.copyOf(keyLong, id * 2);
          keyStart = Arrays.copyOf(keyStart, id * 2);
          keyLength = Arrays.copyOf(keyLength, id * 2);
        }
        nextSameHash[id] = first;
        firstKeyOfHash.put(h, id);
        if (mode == STRING) {
          int n = string.numBytes();
          if (keyDataUsed + n > keyData.length) {
            keyData = Arrays.copyOf(keyData, Math.max(keyData.length * 2, keyDataUsed + n));
          }
          string.writeToMemory(keyData, Platform.BYTE_ARRAY_OFFSET + keyDataUsed);
          keyStart[id] = keyDataUsed;
          keyLength[id] = n;
          keyDataUsed += n;
        } else if (mode == INTEGRAL) {
          keyLong[id] = integral;
        }
      }
      if (id == keyRows.length) {
        keyRows = Arrays.copyOf(keyRows, id * 2);
      }
      keyRows[id]++;
      int i = rows.add();
      if ((i & 0xffff) == 0xffff) {
        rows.checkMemory(part, expectedRows, keyRows);
      }
      int at = i * STRIDE;
      rows.order[i] = order(h, t);
      long[] rec = rows.rec;
      rec[at + TIME] = t;
      if (row.getInt(keys + 2) == 0) {
        int g = row.getInt(keys + 3);
        rec[at + CREATED] = row.getLong(keys + 4);
        rec[at + VERSION] = row.getLong(keys + 5);
        rec[at + ROW_ID] = row.getLong(keys + 6);
        rec[at + META] = (long) id << 32 | (long) g << 8;
        rec[at + PTR] = rows.store(unsafe(row.getStruct(keys + 8 + g, featureTypes[g].size()),
            toUnsafe, g + 1, featureTypes[g]));
      } else {
        rec[at + META] = (long) id << 32 | 1;
        rec[at + PTR] = rows.store(unsafe(row.getStruct(keys + 7, spineType.size()), toUnsafe, 0,
            spineType));
      }
    }
    rows.sort();
    return rows;
  }

  /** Test hook: when positive, the bytes a partition may hold instead of its share of the heap. */
  static volatile long memoryShareForTesting = 0;

  /** Bytes a loaded row takes besides its payload, sorting included (records, sort arrays). */
  private static final long ROW_BYTES = 8 + 8L * STRIDE + 4 + 8L * STRIDE + 12;

  /**
   * This task's share of the executor's memory: 60% of the heap over its task slots
   * ({@code spark.executor.cores} / {@code spark.task.cpus}; the processors when unset).
   */
  static long memoryShare() {
    if (memoryShareForTesting > 0) {
      return memoryShareForTesting;
    }
    int slots = 1;
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    if (env != null) {
      int cores = env.conf().getInt("spark.executor.cores", Runtime.getRuntime().availableProcessors());
      slots = Math.max(1, cores / Math.max(1, env.conf().getInt("spark.task.cpus", 1)));
    }
    return (long) (0.6 * Runtime.getRuntime().maxMemory() / slots);
  }

  /**
   * Stops the task with a clear error before it runs out of memory: when the partition holds
   * more than twice the rows the sample planned and more bytes (records, sort arrays, payloads)
   * than the task's share of the heap. A partition of the planned size never stops here.
   */
  void checkMemory(int part, int expectedRows, int[] keyRows) {
    long bytes = ROW_BYTES * size + arenaBytes;
    long share = memoryShare();
    if (size <= 2L * expectedRows || bytes <= share) {
      return;
    }
    int heaviest = 0;
    for (int k = 1; k < keys.size(); k++) {
      heaviest = keyRows[k] > keyRows[heaviest] ? k : heaviest;
    }
    throw new IllegalStateException(String.format(java.util.Locale.ROOT, "Point-in-time join: "
        + "partition %d of the match holds %,d rows (%,d MB) so far, against about %,d planned from "
        + "the sample, and more than this task's share of the heap (%,d MB); it was stopped "
        + "before running out of memory. Its heaviest entity key %s has %,d of those rows. A "
        + "key that heavy which the sample missed (it reads 5%% of each feature table's file "
        + "splits, and the Delta file statistics of files holding one key only) stays in one "
        + "partition; "
        + "otherwise more partitions help (lakeops.training-sets.partitions, or "
        + "PitOptions.withPartitions). More memory per task also helps: larger executors, or "
        + "fewer cores per executor.", part, size, bytes >> 20, expectedRows, share >> 20,
        Arrays.toString(keys.get(heaviest)), keyRows[heaviest]));
  }

  private static UnsafeRow unsafe(InternalRow row, UnsafeProjection[] projections, int slot,
      StructType type) {
    if (row instanceof UnsafeRow u) {
      return u;
    }
    if (projections[slot] == null) {
      projections[slot] = UnsafeProjection.create(type);
    }
    return projections[slot].apply(row);
  }

  /** Copies a payload into the arena and returns its address. */
  long store(UnsafeRow row) {
    int size = row.getSizeInBytes();
    int need = size + 8;
    if (chunkCount == 0 || used + need > chunks[chunkCount - 1].length) {
      if (chunkCount == chunks.length) {
        chunks = Arrays.copyOf(chunks, chunkCount * 2);
      }
      chunks[chunkCount++] = new byte[Math.max(CHUNK, need)];
      used = 0;
    }
    byte[] c = chunks[chunkCount - 1];
    Platform.putLong(c, Platform.BYTE_ARRAY_OFFSET + used, size);
    row.writeToMemory(c, Platform.BYTE_ARRAY_OFFSET + used + 8);
    long address = (long) (chunkCount - 1) << 32 | used;
    used += need;
    arenaBytes += need;
    return address;
  }

  /** The payload at {@code address}, a row over the arena (valid while this object lives). */
  UnsafeRow payload(long address, int fields) {
    byte[] c = chunks[(int) (address >>> 32)];
    int at = (int) address;
    int size = (int) Platform.getLong(c, Platform.BYTE_ARRAY_OFFSET + at);
    UnsafeRow row = new UnsafeRow(fields);
    row.pointTo(c, Platform.BYTE_ARRAY_OFFSET + at + 8, size);
    return row;
  }

  /** A copy of the payload's bytes at {@code address}. */
  byte[] payloadBytes(long address) {
    byte[] c = chunks[(int) (address >>> 32)];
    int at = (int) address;
    int size = (int) Platform.getLong(c, Platform.BYTE_ARRAY_OFFSET + at);
    return Arrays.copyOfRange(c, at + 8, at + 8 + size);
  }

  long arenaBytes() {
    return arenaBytes;
  }

  private static final int GENERIC = 0;
  private static final int STRING = 1;
  private static final int INTEGRAL = 2;

  private static boolean integral(DataType type) {
    return type instanceof org.apache.spark.sql.types.IntegralType
        || type instanceof org.apache.spark.sql.types.DateType
        || type instanceof org.apache.spark.sql.types.TimestampType
        || type instanceof org.apache.spark.sql.types.TimestampNTZType
        || type instanceof org.apache.spark.sql.types.BooleanType;
  }

  /** An integral, date, timestamp or boolean key column as a long (equal exactly when equal). */
  private static long readIntegral(InternalRow row, int ordinal, DataType type) {
    if (type instanceof org.apache.spark.sql.types.LongType
        || type instanceof org.apache.spark.sql.types.TimestampType
        || type instanceof org.apache.spark.sql.types.TimestampNTZType) {
      return row.getLong(ordinal);
    }
    if (type instanceof org.apache.spark.sql.types.IntegerType
        || type instanceof org.apache.spark.sql.types.DateType) {
      return row.getInt(ordinal);
    }
    if (type instanceof org.apache.spark.sql.types.ShortType) {
      return row.getShort(ordinal);
    }
    if (type instanceof org.apache.spark.sql.types.ByteType) {
      return row.getByte(ordinal);
    }
    return row.getBoolean(ordinal) ? 1 : 0;
  }

  /** Key columns are never null here (rows with a null key do not enter the join). */
  private static boolean sameKey(Object[] a, Object[] b) {
    for (int i = 0; i < a.length; i++) {
      if (!a[i].equals(b[i])) {
        return false;
      }
    }
    return true;
  }

  private int add() {
    if (size == order.length) {
      order = Arrays.copyOf(order, size * 2);
      rec = Arrays.copyOf(rec, size * 2 * STRIDE);
    }
    return size++;
  }

  /** After {@link #sort}: the sort longs are {@code (h - hashMin) << secondBits | (s - secondMin)}. */
  private long hashMin;
  private int secondBits = 40;

  /**
   * Sorts the rows by {@link #order}: afterwards row i is the i-th in order. The sort longs are
   * first compacted to the bits that vary in this partition (a range of hashes, a range of
   * seconds), which leaves fewer radix passes.
   */
  void sort() {
    if (size > 0) {
      long seconds = (1L << 40) - 1;
      long hMin = Long.MAX_VALUE;
      long sMin = Long.MAX_VALUE;
      long sMax = Long.MIN_VALUE;
      for (int i = 0; i < size; i++) {
        long o = order[i];
        hMin = Math.min(hMin, o >>> 40);
        sMin = Math.min(sMin, o & seconds);
        sMax = Math.max(sMax, o & seconds);
      }
      int bits = 64 - Long.numberOfLeadingZeros(sMax - sMin);
      for (int i = 0; i < size; i++) {
        long o = order[i];
        order[i] = ((o >>> 40) - hMin) << bits | ((o & seconds) - sMin);
      }
      hashMin = hMin;
      secondBits = bits;
    }
    rec = sortAndGather(order, rec, STRIDE, size, secondBits);
  }

  /** The key hash of row {@code i} (after {@link #sort}: of the i-th row in order). */
  long hashAt(int i) {
    return (order[i] >>> secondBits) + hashMin;
  }

  /**
   * Sorts {@code keys[0..n)} (non-negative longs) ascending, in place and stably, and returns the
   * records ({@code stride} longs per key) in the same order, as a new array. The sort moves
   * 12-byte (key, index) pairs (least significant 11-bit digit first, skipping digits that are the
   * same in every key); one gather then puts the records in order, so that the pass reads them
   * sequentially. A random access per row remains in the gather, but it is a tight loop of
   * independent loads that the CPU overlaps, not a load on the pass's critical path.
   */
  static long[] radixSort(long[] keys, long[] records, int stride, int n) {
    return sortAndGather(keys, records, stride, n, 0);
  }

  /**
   * {@link #radixSort(long[], long[], int, int)} in two steps: an LSD radix sort on the bits from
   * {@code runBits} up (in the pass, the key hash), then each run of keys equal in those bits
   * (one hash: usually tens of rows, in cache) sorted by its low bits on its own. Stable.
   */
  static long[] sortAndGather(long[] keys, long[] records, int stride, int n, int runBits) {
    int[] index = new int[n];
    for (int i = 0; i < n; i++) {
      index[i] = i;
    }
    radixSort(keys, index, n, runBits);
    if (runBits > 0) {
      sortRuns(keys, index, n, runBits);
    }
    long[] out = new long[n * stride];
    for (int p = 0; p < n; p++) {
      int from = index[p] * stride;
      int to = p * stride;
      for (int j = 0; j < stride; j++) {
        out[to + j] = records[from + j];
      }
    }
    return out;
  }

  /**
   * Sorts each run of keys that are equal from bit {@code runBits} up by the whole key, moving
   * {@code values} along; stable. A run's low bits and positions are packed into one long each and
   * sorted with the JDK's primitive sort; when they do not fit, the run is radix-sorted.
   */
  static void sortRuns(long[] keys, int[] values, int n, int runBits) {
    long lowMask = runBits >= 64 ? -1L : (1L << runBits) - 1;
    long[] packed = new long[64];
    int[] moved = new int[64];
    int from = 0;
    while (from < n) {
      long run = keys[from] >>> runBits;
      int to = from + 1;
      while (to < n && keys[to] >>> runBits == run) {
        to++;
      }
      int len = to - from;
      if (len > 1) {
        int indexBits = 32 - Integer.numberOfLeadingZeros(len - 1);
        if (runBits + indexBits <= 63) {
          if (packed.length < len) {
            packed = new long[Math.max(len, 2 * packed.length)];
            moved = new int[packed.length];
          }
          for (int i = 0; i < len; i++) {
            packed[i] = (keys[from + i] & lowMask) << indexBits | i;
            moved[i] = values[from + i];
          }
          Arrays.sort(packed, 0, len);
          int indexMask = (1 << indexBits) - 1;
          long high = run << runBits;
          for (int i = 0; i < len; i++) {
            values[from + i] = moved[(int) (packed[i] & indexMask)];
            keys[from + i] = high | packed[i] >>> indexBits;
          }
        } else {
          long[] k = Arrays.copyOfRange(keys, from, to);
          int[] v = Arrays.copyOfRange(values, from, to);
          radixSort(k, v, len, 0);
          System.arraycopy(k, 0, keys, from, len);
          System.arraycopy(v, 0, values, from, len);
        }
      }
      from = to;
    }
  }

  /** Bits per radix digit: 6 digits cover 64 bits; digits that are the same in every key are skipped. */
  private static final int DIGIT = 11;

  /** Sorts {@code keys[0..n)} (non-negative longs) ascending, moving {@code values} along; stable. */
  static void radixSort(long[] keys, int[] values, int n) {
    radixSort(keys, values, n, 0);
  }

  /**
   * Sorts {@code keys[0..n)} (non-negative longs) by their bits from {@code fromBit} up, moving
   * {@code values} along; stable.
   */
  static void radixSort(long[] keys, int[] values, int n, int fromBit) {
    int digits = (64 - fromBit + DIGIT - 1) / DIGIT;
    int radix = 1 << DIGIT;
    int mask = radix - 1;
    int[][] counts = new int[digits][radix];
    for (int i = 0; i < n; i++) {
      long k = keys[i];
      for (int d = 0; d < digits; d++) {
        counts[d][(int) (k >>> (fromBit + DIGIT * d)) & mask]++;
      }
    }
    long[] srcK = keys;
    int[] srcV = values;
    long[] dstK = null;
    int[] dstV = null;
    for (int d = 0; d < digits; d++) {
      int[] c = counts[d];
      boolean trivial = n == 0;
      for (int x = 0; x < radix && !trivial; x++) {
        trivial = c[x] == n;
      }
      if (trivial) {
        continue;
      }
      if (dstK == null) {
        dstK = new long[n];
        dstV = new int[n];
      }
      int sum = 0;
      for (int x = 0; x < radix; x++) {
        int cx = c[x];
        c[x] = sum;
        sum += cx;
      }
      int shift = fromBit + DIGIT * d;
      for (int i = 0; i < n; i++) {
        long k = srcK[i];
        int pos = c[(int) (k >>> shift) & mask]++;
        dstK[pos] = k;
        dstV[pos] = srcV[i];
      }
      long[] tk = srcK;
      srcK = dstK;
      dstK = tk;
      int[] tv = srcV;
      srcV = dstV;
      dstV = tv;
    }
    if (srcK != keys) {
      System.arraycopy(srcK, 0, keys, 0, n);
      System.arraycopy(srcV, 0, values, 0, n);
    }
  }
}

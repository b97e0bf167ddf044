package io.lakeops.features.pit;

import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.array.ByteArrayMethods;

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
 * <p>Input: the records of {@link MatchRecords}, as the shuffle hands them over.
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
  /** The distinct keys of the partition, as bytes; rows refer to them by id. */
  private final DataType[] keyTypes;
  private byte[] keyData = new byte[1 << 16];
  private int keyDataUsed;
  private int[] keyStart = new int[64];
  private int[] keyLength = new int[64];
  /** The previous key with the same hash, or -1. */
  private int[] nextSameHash = new int[64];
  private int keyCount;

  private static final int CHUNK = 1 << 22;
  private byte[][] chunks = new byte[8][];
  private int chunkCount;
  private int used;
  private long arenaBytes;

  /** Sized for {@code expectedRows} (growing past them copies the arrays, which is garbage). */
  PartitionRows(int expectedRows, DataType[] keyTypes) {
    this.keyTypes = keyTypes.clone();
    int n = Math.max(1024, expectedRows);
    order = ArrayPool.longs(n);
    rec = ArrayPool.longs(n * STRIDE);
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
   * Loads and sorts a partition of {@link MatchRecords} records.
   *
   * @param onlyHash when not null, only rows of this key hash are kept (the others are read and
   *     skipped)
   * @param expectedRows the rows the partition is expected to hold (from the sample)
   */
  static PartitionRows load(int part, Iterator<InternalRow> input, DataType[] keyTypes,
      RangeBounds bounds, Long onlyHash, int expectedRows) {
    PartitionRows rows = new PartitionRows(onlyHash == null ? expectedRows : 1024, keyTypes);
    // Key interning by key hash: nearly always one key per hash, so one comparison of the key
    // bytes per row against a compact copy of the partition's keys.
    LongIndex firstKeyOfHash = new LongIndex(1024);
    int[] keyRows = new int[64];
    while (input.hasNext()) {
      UnsafeRow record = (UnsafeRow) input.next();
      Object base = record.getBaseObject();
      long at = record.getBaseOffset();
      long word = Platform.getLong(base, at);
      long h = word >>> 32;
      long t = Platform.getLong(base, at + 8);
      int expected = bounds.partition(h, t);
      if (expected != part) {
        throw new IllegalStateException("Point-in-time join: a row with key hash " + h
            + " and time " + t + " reached partition " + part + " instead of " + expected
            + "; the shuffle did not partition as planned");
      }
      if (onlyHash != null && h != onlyHash) {
        continue;
      }
      int kind = (int) (word & 0xff);
      int header = MatchRecords.headerWords(kind);
      long lengths = Platform.getLong(base, at + 8L * header);
      int keyLength = (int) (lengths >>> 32);
      int payloadLength = (int) lengths;
      long keyAt = at + 8L * (header + 1);
      int id = rows.internKey(h, base, keyAt, keyLength, firstKeyOfHash);
      if (id == keyRows.length) {
        keyRows = Arrays.copyOf(keyRows, id * 2);
      }
      keyRows[id]++;
      int i = rows.add();
      if ((i & 0xffff) == 0xffff) {
        rows.checkMemory(part, expectedRows, keyRows);
      }
      int r = i * STRIDE;
      rows.order[i] = order(h, t);
      long[] rec = rows.rec;
      rec[r + TIME] = t;
      if (kind == MatchRecords.KIND_FEATURE) {
        rec[r + CREATED] = Platform.getLong(base, at + 16);
        rec[r + VERSION] = Platform.getLong(base, at + 24);
        rec[r + ROW_ID] = Platform.getLong(base, at + 32);
      }
      rec[r + META] = (long) id << 32 | (word & 0xffffff);
      rec[r + PTR] = rows.store(base, keyAt + MatchRecords.pad8(keyLength), payloadLength);
    }
    rows.sort();
    return rows;
  }

  /**
   * The id of the key at {@code (base, at)}, {@code length} bytes, of key hash {@code h}: an
   * existing one when the partition has it, else a new one.
   */
  private int internKey(long h, Object base, long at, int length, LongIndex firstKeyOfHash) {
    int first = firstKeyOfHash.get(h);
    int id = first;
    while (id >= 0 && !(keyLength[id] == length && ByteArrayMethods.arrayEquals(keyData,
        Platform.BYTE_ARRAY_OFFSET + keyStart[id], base, at, length))) {
      id = nextSameHash[id];
    }
    if (id >= 0) {
      return id;
    }
    id = keyCount++;
    if (id == nextSameHash.length) {
      nextSameHash = Arrays.copyOf(nextSameHash, id * 2);
      keyStart = Arrays.copyOf(keyStart, id * 2);
      keyLength = Arrays.copyOf(keyLength, id * 2);
    }
    if (keyDataUsed + length > keyData.length) {
      keyData = Arrays.copyOf(keyData, Math.max(keyData.length * 2, keyDataUsed + length));
    }
    Platform.copyMemory(base, at, keyData, Platform.BYTE_ARRAY_OFFSET + keyDataUsed, length);
    keyStart[id] = keyDataUsed;
    keyLength[id] = length;
    keyDataUsed += length;
    nextSameHash[id] = first;
    firstKeyOfHash.put(h, id);
    return id;
  }

  /** The bytes of key {@code id} (see {@link MatchRecords}). */
  byte[] keyBytes(int id) {
    return Arrays.copyOfRange(keyData, keyStart[id], keyStart[id] + keyLength[id]);
  }

  /** The values of key {@code id}, for messages. */
  Object[] keyValues(int id) {
    return MatchRecords.keyValues(keyBytes(id), keyTypes);
  }

  int keyCount() {
    return keyCount;
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
    for (int k = 1; k < keyCount; k++) {
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
        Arrays.toString(keyValues(heaviest)), keyRows[heaviest]));
  }

  /** Copies a payload ({@code size} bytes at {@code (base, offset)}) into the arena; returns its address. */
  long store(Object base, long offset, int size) {
    int need = size + 8;
    if (chunkCount == 0 || used + need > chunks[chunkCount - 1].length) {
      if (chunkCount == chunks.length) {
        chunks = Arrays.copyOf(chunks, chunkCount * 2);
      }
      chunks[chunkCount++] = ArrayPool.bytes(Math.max(CHUNK, need));
      used = 0;
    }
    byte[] c = chunks[chunkCount - 1];
    Platform.putLong(c, Platform.BYTE_ARRAY_OFFSET + used, size);
    Platform.copyMemory(base, offset, c, Platform.BYTE_ARRAY_OFFSET + used + 8, size);
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

  /**
   * Returns the partition's arrays to {@link ArrayPool}, once nothing reads its records or
   * payloads any more; the object is unusable afterwards.
   */
  void release() {
    ArrayPool.release(order);
    ArrayPool.release(rec);
    for (int i = 0; i < chunkCount; i++) {
      ArrayPool.release(chunks[i]);
      chunks[i] = null;
    }
    order = null;
    rec = null;
    chunkCount = 0;
  }

  long arenaBytes() {
    return arenaBytes;
  }

  private int add() {
    if (size == order.length || (size + 1) * STRIDE > rec.length) {
      long[] o = ArrayPool.longs(size * 2);
      long[] r = ArrayPool.longs(size * 2 * STRIDE);
      System.arraycopy(order, 0, o, 0, size);
      System.arraycopy(rec, 0, r, 0, size * STRIDE);
      ArrayPool.release(order);
      ArrayPool.release(rec);
      order = o;
      rec = r;
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
    long[] unsorted = rec;
    rec = sortAndGather(order, rec, STRIDE, size, secondBits);
    ArrayPool.release(unsorted);
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
    int[] index = ArrayPool.ints(n);
    for (int i = 0; i < n; i++) {
      index[i] = i;
    }
    radixSort(keys, index, n, runBits);
    if (runBits > 0) {
      sortRuns(keys, index, n, runBits);
    }
    long[] out = ArrayPool.longs(n * stride);
    for (int p = 0; p < n; p++) {
      int from = index[p] * stride;
      int to = p * stride;
      for (int j = 0; j < stride; j++) {
        out[to + j] = records[from + j];
      }
    }
    ArrayPool.release(index);
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
        dstK = ArrayPool.longs(n);
        dstV = ArrayPool.ints(n);
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
      // The buffers are the pair that is not the caller's.
      dstK = srcK;
      dstV = srcV;
    }
    if (dstK != null) {
      ArrayPool.release(dstK);
      ArrayPool.release(dstV);
    }
  }
}

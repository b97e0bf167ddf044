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
 * entity, then (time, kind): feature rows before spine rows at equal times.
 *
 * <p>The match only looks at the 48-byte records (keys by id, times, tie-break fields); the
 * payloads stay where they were copied, as {@link UnsafeRow} bytes, and are read only for the
 * rows that are answers (the spine rows and their matched feature rows).
 *
 * <p>Why not Spark's sort: with the rows in Spark's sorter, reading them back in sorted order is a
 * random access into the whole partition's row pages per row, and those cache and TLB misses were
 * half of the pass's time in a profile (1M spine rows, 3 x 5M feature rows). Here the entities
 * are interned while loading (a key id per row, rows counted per key), so one counting-sort pass
 * moves each record to its entity's run, and each run (tens of rows, in cache) is sorted by time
 * on its own; the pass then reads the records sequentially. An entity's rows are one run, so the
 * pass holds the state of one entity at a time.
 *
 * <p>Memory: about 100 bytes per row while sorting (a record and its sorted copy) plus the
 * payload bytes; {@link PointInTimeJoin} picks enough partitions to keep a partition
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
  long[] rec;
  /** The distinct keys of the partition, as bytes; rows refer to them by id. */
  private final DataType[] keyTypes;
  private byte[] keyData = new byte[1 << 16];
  private int keyDataUsed;
  private int[] keyStart = new int[64];
  private int[] keyLength = new int[64];
  /** The previous key with the same hash, or -1. */
  private int[] nextSameHash = new int[64];
  /** The key hash of each key, and its rows. */
  private long[] keyHash = new long[64];
  private int[] keyRows = new int[64];
  private int keyCount;
  /** After {@link #sort}: key k's rows are [runStart[k], runStart[k + 1]). */
  private int[] runStart;

  /** Bytes of an arena chunk: a partition of a million feature rows of ten doubles fills six. */
  private static final int CHUNK = 1 << 24;
  private byte[][] chunks = new byte[8][];
  private int chunkCount;
  private int used;
  private long arenaBytes;

  /** Sized for {@code expectedRows} (growing past them copies the arrays, which is garbage). */
  PartitionRows(int expectedRows, DataType[] keyTypes) {
    this.keyTypes = keyTypes.clone();
    rec = ArrayPool.longs(Math.max(1024, expectedRows) * STRIDE);
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
    MatchRecords.Fields f = new MatchRecords.Fields();
    while (input.hasNext()) {
      UnsafeRow record = (UnsafeRow) input.next();
      Object base = record.getBaseObject();
      f.read(base, record.getBaseOffset());
      int expected = bounds.partition(f.hash, f.time);
      if (expected != part) {
        throw new IllegalStateException("Point-in-time join: a row with key hash " + f.hash
            + " and time " + f.time + " reached partition " + part + " instead of " + expected
            + "; the shuffle did not partition as planned");
      }
      if (onlyHash != null && f.hash != onlyHash) {
        continue;
      }
      int id = rows.internKey(f.hash, base, f.keyAt, f.keyLength, firstKeyOfHash);
      rows.keyRows[id]++;
      int i = rows.add();
      if ((i & 0xffff) == 0xffff) {
        rows.checkMemory(part, expectedRows);
      }
      int r = i * STRIDE;
      long[] rec = rows.rec;
      rec[r + TIME] = f.time;
      // A spine row's tie-break fields are zeros (the array is pooled: never stale values).
      boolean feature = f.kind == MatchRecords.KIND_FEATURE;
      rec[r + CREATED] = feature ? f.created : 0;
      rec[r + VERSION] = feature ? f.version : 0;
      rec[r + ROW_ID] = feature ? f.rowId : 0;
      rec[r + META] = (long) id << 32 | (long) f.group << 8 | f.kind;
      rec[r + PTR] = rows.store(base, f.payloadAt, f.payloadLength);
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
      keyHash = Arrays.copyOf(keyHash, id * 2);
      keyRows = Arrays.copyOf(keyRows, id * 2);
    }
    keyHash[id] = h;
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

  /** The key hash of key {@code id}. */
  long keyHash(int id) {
    return keyHash[id];
  }

  /** After {@link #sort}: the first row of key {@code id}'s run. */
  int runStart(int id) {
    return runStart[id];
  }

  /** After {@link #sort}: the row after key {@code id}'s run. */
  int runEnd(int id) {
    return runStart[id + 1];
  }

  /** Test hook: when positive, the bytes a partition may hold instead of its share of the heap. */
  static volatile long memoryShareForTesting = 0;

  /** Bytes a loaded row takes besides its payload, sorting included (records, sort arrays). */
  private static final long ROW_BYTES = 8L * STRIDE + 8L * STRIDE + 4;

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
  void checkMemory(int part, int expectedRows) {
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

  /**
   * Points {@code answer} at the payload at {@code address}: its spine payload ({@code group} -1)
   * or group {@code group}'s match (valid while this object lives).
   */
  void pointTo(AnswerRow answer, int group, long address, long event, long created) {
    byte[] c = chunks[(int) (address >>> 32)];
    int at = (int) address;
    int size = (int) Platform.getLong(c, Platform.BYTE_ARRAY_OFFSET + at);
    long offset = Platform.BYTE_ARRAY_OFFSET + at + 8;
    if (group < 0) {
      answer.spine(c, offset, size);
    } else {
      answer.match(group, c, offset, size, event, created);
    }
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
    ArrayPool.release(rec);
    for (int i = 0; i < chunkCount; i++) {
      ArrayPool.release(chunks[i]);
      chunks[i] = null;
    }
    rec = null;
    chunkCount = 0;
  }

  long arenaBytes() {
    return arenaBytes;
  }

  private int add() {
    if ((size + 1) * STRIDE > rec.length) {
      long[] r = ArrayPool.longs(size * 2 * STRIDE);
      System.arraycopy(rec, 0, r, 0, size * STRIDE);
      ArrayPool.release(rec);
      rec = r;
    }
    return size++;
  }

  /**
   * Sorts the rows by entity, then (time, kind): a counting sort by key id moves each record to its
   * entity's run in one pass; each run is then sorted on its own (its records are in cache).
   */
  void sort() {
    int keys = keyCount;
    runStart = new int[keys + 1];
    for (int k = 0; k < keys; k++) {
      runStart[k + 1] = runStart[k] + keyRows[k];
    }
    int[] next = Arrays.copyOf(runStart, keys);
    long[] in = rec;
    long[] out = ArrayPool.longs(Math.max(1, size) * STRIDE);
    for (int i = 0, at = 0; i < size; i++, at += STRIDE) {
      int to = next[keyId(in[at + META])]++ * STRIDE;
      out[to] = in[at];
      out[to + 1] = in[at + 1];
      out[to + 2] = in[at + 2];
      out[to + 3] = in[at + 3];
      out[to + 4] = in[at + 4];
      out[to + 5] = in[at + 5];
    }
    rec = out;
    ArrayPool.release(in);
    RunSorter sorter = new RunSorter();
    for (int k = 0; k < keys; k++) {
      sorter.sort(rec, runStart[k], runStart[k + 1]);
    }
  }

  /**
   * Sorts runs of records by (time, kind), in place: each record's position in the run packed
   * below its time (relative to the run's earliest) and kind, so that the JDK's primitive sort
   * does the work; a run whose times span too much for that is sorted with a comparator.
   */
  static final class RunSorter {
    private long[] packed = new long[64];
    private long[] copy = new long[64 * STRIDE];

    /** Sorts records [from, to) of {@code rec}. */
    void sort(long[] rec, int from, int to) {
      int n = to - from;
      if (n < 2) {
        return;
      }
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      boolean sorted = true;
      long previousTime = Long.MIN_VALUE;
      int previousKind = 0;
      for (int i = from; i < to; i++) {
        long t = rec[i * STRIDE + TIME];
        int kind = kind(rec[i * STRIDE + META]);
        min = Math.min(min, t);
        max = Math.max(max, t);
        sorted &= t > previousTime || t == previousTime && kind >= previousKind;
        previousTime = t;
        previousKind = kind;
      }
      if (sorted) {
        return;
      }
      int indexBits = 32 - Integer.numberOfLeadingZeros(n - 1);
      long span = max - min;
      if (packed.length < n) {
        packed = new long[Math.max(n, 2 * packed.length)];
        copy = new long[packed.length * STRIDE];
      }
      if (span >= 0 && span < 1L << (62 - indexBits)) {
        for (int i = 0; i < n; i++) {
          int at = (from + i) * STRIDE;
          packed[i] = ((rec[at + TIME] - min) << 1 | kind(rec[at + META])) << indexBits | i;
        }
        Arrays.sort(packed, 0, n);
        int mask = (1 << indexBits) - 1;
        System.arraycopy(rec, from * STRIDE, copy, 0, n * STRIDE);
        for (int i = 0; i < n; i++) {
          System.arraycopy(copy, (int) (packed[i] & mask) * STRIDE, rec, (from + i) * STRIDE, STRIDE);
        }
        return;
      }
      // Too wide to pack with the positions: an LSD radix sort of ((time - min) << 1 | kind) with
      // the positions alongside (stable, so ties stay in arrival order).
      long[] keys = new long[n];
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        int at = (from + i) * STRIDE;
        keys[i] = (rec[at + TIME] - min) << 1 | kind(rec[at + META]);
        order[i] = i;
      }
      radixSort(keys, order, n);
      System.arraycopy(rec, from * STRIDE, copy, 0, n * STRIDE);
      for (int i = 0; i < n; i++) {
        System.arraycopy(copy, order[i] * STRIDE, rec, (from + i) * STRIDE, STRIDE);
      }
    }
  }

  /** Bits per radix digit; digits that are the same in every key are skipped. */
  private static final int DIGIT = 11;

  /**
   * Sorts {@code keys[0..n)} ascending as unsigned longs, moving {@code values} along; stable (an
   * LSD radix sort).
   */
  static void radixSort(long[] keys, int[] values, int n) {
    if (n < 2) {
      return;
    }
    long first = keys[0];
    int radix = 1 << DIGIT;
    int mask = radix - 1;
    int digits = (64 + DIGIT - 1) / DIGIT;
    int[][] counts = new int[digits][radix];
    for (int i = 0; i < n; i++) {
      long k = keys[i];
      for (int d = 0; d < digits; d++) {
        counts[d][(int) (k >>> (DIGIT * d)) & mask]++;
      }
    }
    long[] srcK = keys;
    int[] srcV = values;
    long[] dstK = new long[n];
    int[] dstV = new int[n];
    for (int d = 0; d < digits; d++) {
      int[] c = counts[d];
      if (c[(int) (first >>> (DIGIT * d)) & mask] == n) {
        continue;
      }
      int sum = 0;
      for (int x = 0; x < radix; x++) {
        int cx = c[x];
        c[x] = sum;
        sum += cx;
      }
      int shift = DIGIT * d;
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

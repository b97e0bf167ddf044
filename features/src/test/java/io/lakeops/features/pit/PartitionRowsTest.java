package io.lakeops.features.pit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Product2;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** Loading and sorting a partition, the run sort and the long index, against brute-force oracles. */
class PartitionRowsTest {

  /** Spark's timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z. */
  private static final long MIN_MICROS = -62_135_596_800_000_000L;
  private static final long MAX_MICROS = 253_402_300_799_999_999L;

  /**
   * Loading and sorting against a brute-force order: each entity's rows together (entities in the
   * order they first arrive), in (time, kind) order, ties in arrival order; with colliding key
   * hashes, keys that are prefixes of others, and times anywhere in Spark's range (so that some
   * entities' times span too much for the packed sort).
   */
  @Test
  void loadGroupsEachEntitysRowsInTimeThenKindOrder() {
    SplittableRandom random = new SplittableRandom(13);
    StructType payload = new StructType().add("v", DataTypes.LongType);
    DataType[] keyTypes = {DataTypes.StringType};
    RangeBounds one = RangeBounds.of(List.of(), 1);
    for (int round = 0; round < 60; round++) {
      int n = random.nextInt(1, 3000);
      int keys = 1 + random.nextInt(round % 3 == 0 ? 3 : 300);
      List<Object[]> input = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String key = "k" + random.nextInt(keys) + (random.nextInt(10) == 0 ? "x" : "");
        long micros = switch (round % 4) {
          case 0 -> random.nextBoolean() ? MIN_MICROS + random.nextLong(1000) : MAX_MICROS - random.nextLong(1000);
          case 1 -> random.nextLong(-3_000_000L, 3_000_000L);
          default -> random.nextLong(0, 20) * 1_000_000L;
        };
        int kind = random.nextInt(4) == 0 ? MatchRecords.KIND_SPINE : MatchRecords.KIND_FEATURE;
        // Few hashes, so that distinct keys collide.
        long hash = Math.floorMod(key.hashCode(), round % 2 == 0 ? 3 : 1 << 20);
        input.add(new Object[] {key, micros, kind, hash, (long) i});
      }
      Iterator<InternalRow> records = records(input, keyTypes, payload, one);
      PartitionRows rows = PartitionRows.load(0, records, keyTypes, one, null, n);
      // The oracle: stable sort by (first arrival of the key, time, kind).
      Map<String, Integer> firstSeen = new HashMap<>();
      input.forEach(r -> firstSeen.putIfAbsent((String) r[0], firstSeen.size()));
      List<Object[]> expected = new ArrayList<>(input);
      expected.sort(Comparator.<Object[]>comparingInt(r -> firstSeen.get((String) r[0]))
          .thenComparingLong(r -> (Long) r[1]).thenComparingInt(r -> (Integer) r[2]));
      assertEquals(n, rows.size);
      assertEquals(firstSeen.size(), rows.keyCount());
      for (int i = 0; i < n; i++) {
        Object[] e = expected.get(i);
        int at = i * PartitionRows.STRIDE;
        long meta = rows.rec[at + PartitionRows.META];
        assertEquals(e[1], rows.rec[at + PartitionRows.TIME], "round " + round + " position " + i);
        assertEquals(e[2], PartitionRows.kind(meta), "round " + round + " position " + i);
        assertEquals(e[0], rows.keyValues(PartitionRows.keyId(meta))[0], "round " + round + " position " + i);
        // The row itself (its payload holds its arrival index).
        assertEquals(e[4], rows.payload(rows.rec[at + PartitionRows.PTR], 1).getLong(0),
            "round " + round + " position " + i);
        int k = PartitionRows.keyId(meta);
        assertTrue(rows.runStart(k) <= i && i < rows.runEnd(k));
        assertEquals(e[3], rows.keyHash(k));
      }
      rows.release();
    }
  }

  /** Records as the map side writes them, from (key, micros, kind, hash, payload) rows. */
  private static Iterator<InternalRow> records(List<Object[]> input, DataType[] keyTypes,
      StructType payload, RangeBounds bounds) {
    List<InternalRow> out = new ArrayList<>();
    MatchRecords.Writer spine = new MatchRecords.Writer(MatchRecords.KIND_SPINE, 0, keyTypes, payload, bounds);
    MatchRecords.Writer feature = new MatchRecords.Writer(MatchRecords.KIND_FEATURE, 0, keyTypes, payload, bounds);
    for (Object[] r : input) {
      UTF8String key = UTF8String.fromString((String) r[0]);
      boolean isSpine = (Integer) r[2] == MatchRecords.KIND_SPINE;
      InternalRow row = isSpine
          ? new GenericInternalRow(new Object[] {r[3], r[1], key, r[4]})
          : new GenericInternalRow(new Object[] {r[3], r[1], 0L, 1L, r[4], key, r[4]});
      out.add(((UnsafeRow) (isSpine ? spine : feature).records(List.of(row).iterator()).next()._2()).copy());
    }
    return out.iterator();
  }

  @Test
  void radixSortMatchesAStableComparisonSort() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 200; round++) {
      int n = random.nextInt(0, 3000);
      long[] keys = new long[n];
      int[] values = new int[n];
      // Keys with many duplicates; some rounds vary only in a few digits (skipped passes).
      long base = random.nextLong(0, Long.MAX_VALUE);
      for (int i = 0; i < n; i++) {
        keys[i] = round % 3 == 0 ? base + random.nextInt(0, 5) * (1L << 33)
            : random.nextLong(0, round % 2 == 0 ? 50 : Long.MAX_VALUE);
        values[i] = i;
      }
      long[] original = keys.clone();
      Integer[] expected = new Integer[n];
      for (int i = 0; i < n; i++) {
        expected[i] = i;
      }
      Arrays.sort(expected, Comparator.comparingLong(i -> original[i])); // stable
      PartitionRows.radixSort(keys, values, n);
      for (int i = 0; i < n; i++) {
        assertEquals((int) expected[i], values[i], "round " + round + " position " + i);
        assertEquals(original[expected[i]], keys[i], "round " + round + " position " + i);
      }
    }
  }

  /** A run whose times span more than the packed sort holds is radix-sorted. */
  @Test
  void runSorterSortsRunsOfAnySpan() {
    SplittableRandom random = new SplittableRandom(5);
    PartitionRows.RunSorter sorter = new PartitionRows.RunSorter();
    for (int round = 0; round < 200; round++) {
      int n = random.nextInt(1, 200);
      long[] rec = new long[(n + 2) * PartitionRows.STRIDE];
      for (int i = 0; i < n + 2; i++) {
        int at = i * PartitionRows.STRIDE;
        rec[at + PartitionRows.TIME] = round % 2 == 0 ? random.nextLong(MIN_MICROS, MAX_MICROS)
            : random.nextLong(0, 5);
        rec[at + PartitionRows.META] = random.nextInt(2);
        rec[at + PartitionRows.ROW_ID] = i;
      }
      long[] before = rec.clone();
      sorter.sort(rec, 1, n + 1);
      Integer[] expected = new Integer[n];
      for (int i = 0; i < n; i++) {
        expected[i] = i + 1;
      }
      Arrays.sort(expected, Comparator.<Integer>comparingLong(i -> before[i * PartitionRows.STRIDE + PartitionRows.TIME])
          .thenComparingLong(i -> before[i * PartitionRows.STRIDE + PartitionRows.META]));
      for (int i = 0; i < n; i++) {
        assertEquals((long) expected[i], rec[(i + 1) * PartitionRows.STRIDE + PartitionRows.ROW_ID],
            "round " + round + " position " + i);
      }
      // The records outside the run are untouched.
      assertEquals(0, rec[PartitionRows.ROW_ID]);
      assertEquals(n + 1, rec[(n + 1) * PartitionRows.STRIDE + PartitionRows.ROW_ID]);
    }
  }

  @Test
  void fixedPayloadSizeIsTheUnsafeRowSize() {
    for (int fields : new int[] {1, 10, 64, 65, 130}) {
      org.apache.spark.sql.types.StructType type = new org.apache.spark.sql.types.StructType();
      Object[] values = new Object[fields];
      for (int i = 0; i < fields; i++) {
        type = type.add("f" + i, i % 2 == 0 ? org.apache.spark.sql.types.DataTypes.DoubleType
            : org.apache.spark.sql.types.DataTypes.IntegerType);
        values[i] = i % 3 == 0 ? null : i % 2 == 0 ? (Object) (i * 1.5) : (Object) i;
      }
      long actual = org.apache.spark.sql.catalyst.expressions.UnsafeProjection.create(type)
          .apply(new GenericInternalRow(values)).getSizeInBytes();
      assertEquals(actual, PointInTimeJoin.fixedSize(type), fields + " fields");
    }
    assertEquals(-1, PointInTimeJoin.fixedSize(new org.apache.spark.sql.types.StructType()
        .add("d", org.apache.spark.sql.types.DataTypes.DoubleType)
        .add("s", org.apache.spark.sql.types.DataTypes.StringType)));
  }

  @Test
  void longIndexMatchesHashMap() {
    SplittableRandom random = new SplittableRandom(11);
    LongIndex index = new LongIndex(4);
    Map<Long, Integer> oracle = new HashMap<>();
    for (int i = 0; i < 200_000; i++) {
      // Clustered ids (as Delta assigns them per file) and some spread ones.
      long id = random.nextInt(4) == 0 ? random.nextLong(0, Long.MAX_VALUE)
          : (random.nextLong(0, 64) << 32) + random.nextInt(0, 5000) * 64L;
      index.put(id, i);
      oracle.put(id, i);
    }
    assertEquals(oracle.size(), index.size());
    oracle.forEach((k, v) -> assertEquals(v.intValue(), index.get(k)));
    for (int i = 0; i < 10_000; i++) {
      long id = random.nextLong(0, Long.MAX_VALUE);
      assertEquals(oracle.getOrDefault(id, -1).intValue(), index.get(id));
    }
    assertArrayEquals(new int[] {-1}, new int[] {new LongIndex(1).get(5)});
  }

  /**
   * A partition far above the planned size (a hot key the sample missed) stops with an error
   * naming the partition and its heaviest key before it runs out of memory; one of the planned
   * size loads whatever the memory share.
   */
  @Test
  void aPartitionFarAboveItsPlannedSizeStopsWithAClearErrorInsteadOfRunningOutOfMemory() {
    StructType features = new StructType().add("f", DataTypes.DoubleType);
    RangeBounds one = RangeBounds.of(List.of(), 1);
    int n = 70_000;
    DataType[] keyTypes = {DataTypes.StringType};
    MatchRecords.Writer writer = new MatchRecords.Writer(MatchRecords.KIND_FEATURE, 0, keyTypes,
        features, one);
    // Feature rows as the writer reads them (h, t, created, ver, rid, k0, f0), as shuffle records.
    Supplier<Iterator<InternalRow>> rows = () -> {
      Iterator<Product2<Integer, InternalRow>> records = writer.records(IntStream.range(0, n).mapToObj(i -> {
        String key = i % 10 == 0 ? "k" + i : "hot";
        Object[] v = {(long) (key.hashCode() & 0x7fffff), 1_000_000L * i, 0L, 1L, (long) i,
            UTF8String.fromString(key), 1.5};
        return (InternalRow) new GenericInternalRow(v);
      }).iterator());
      return IntStream.range(0, n).mapToObj(i -> (InternalRow) records.next()._2().copy()).iterator();
    };
    try {
      PartitionRows.memoryShareForTesting = 1;
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> PartitionRows.load(0, rows.get(), keyTypes, one, null, 1000));
      String m = e.getMessage();
      assertTrue(m.startsWith("Point-in-time join: partition 0 of the match holds 65,536 rows"), m);
      assertTrue(m.contains("about 1,000 planned"), m);
      assertTrue(m.contains("heaviest entity key [hot] has 58,982 of those rows"), m);
      // As planned (or a share of the heap that holds it): loaded.
      assertEquals(n, PartitionRows.load(0, rows.get(), keyTypes, one, null, n).size);
      PartitionRows.memoryShareForTesting = 0;
      assertEquals(n, PartitionRows.load(0, rows.get(), keyTypes, one, null, 1000).size);
    } finally {
      PartitionRows.memoryShareForTesting = 0;
    }
  }
}

package io.lakeops.features.pit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Product2;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** The in-memory radix sort and the long index, against the JDK's sort and HashMap. */
class PartitionRowsTest {

  /** Spark's timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z. */
  private static final long MIN_MICROS = -62_135_596_800_000_000L;
  private static final long MAX_MICROS = 253_402_300_799_999_999L;

  @Test
  void radixSortMatchesAStableComparisonSort() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 200; round++) {
      int n = random.nextInt(0, 3000);
      long[] keys = new long[n];
      int stride = 1 + round % 3;
      long[] records = new long[n * stride];
      for (int i = 0; i < n; i++) {
        // Packed (hash, second) longs, with many duplicates and some extreme seconds.
        long hash = random.nextInt(0, round % 2 == 0 ? 5 : 1 << 23);
        long micros = switch (random.nextInt(0, 6)) {
          case 0 -> MIN_MICROS + random.nextLong(1_000_000_000L);
          case 1 -> MAX_MICROS - random.nextLong(1_000_000_000L);
          case 2 -> -random.nextLong(5_000_000L);
          default -> random.nextLong(0, 10_000_000L);
        };
        keys[i] = PartitionRows.order(hash, micros);
        for (int j = 0; j < stride; j++) {
          records[i * stride + j] = i * 10L + j; // identifies the row and the field
        }
      }
      Integer[] expected = new Integer[n];
      for (int i = 0; i < n; i++) {
        expected[i] = i;
      }
      long[] original = keys.clone();
      Arrays.sort(expected, Comparator.comparingLong(i -> original[i])); // stable
      // Whole keys, or (as the pass sorts) the high bits first and then each run of equal ones.
      int runBits = round % 3 == 0 ? 0 : random.nextInt(1, 63);
      records = PartitionRows.sortAndGather(keys, records, stride, n, runBits);
      for (int i = 0; i < n; i++) {
        assertEquals(original[expected[i]], keys[i], "round " + round + ", run bits " + runBits + ", position " + i);
        for (int j = 0; j < stride; j++) {
          assertEquals(expected[i] * 10L + j, records[i * stride + j], "round " + round + " position " + i);
        }
      }
    }
  }

  @Test
  void sortCompactsTheSortLongsAndKeepsTheOrderAndTheHashes() {
    SplittableRandom random = new SplittableRandom(13);
    for (int round = 0; round < 50; round++) {
      int n = random.nextInt(1, 4000);
      PartitionRows rows = new PartitionRows(n, new DataType[] {DataTypes.StringType});
      rows.order = new long[n];
      rows.rec = new long[n * PartitionRows.STRIDE];
      rows.size = n;
      long hashBase = random.nextInt(0, 1 << 22);
      long[] hashes = new long[n];
      long[] original = new long[n];
      for (int i = 0; i < n; i++) {
        hashes[i] = hashBase + random.nextInt(0, round % 2 == 0 ? 3 : 1 << 18);
        long micros = round % 5 == 0 ? MIN_MICROS + random.nextLong(1L << 50)
            : random.nextLong(-5_000_000_000L, 5_000_000_000L);
        original[i] = PartitionRows.order(hashes[i], micros);
        rows.order[i] = original[i];
        rows.rec[i * PartitionRows.STRIDE + PartitionRows.ROW_ID] = i;
      }
      Integer[] expected = new Integer[n];
      for (int i = 0; i < n; i++) {
        expected[i] = i;
      }
      Arrays.sort(expected, Comparator.comparingLong(i -> original[i]));
      rows.sort();
      for (int i = 0; i < n; i++) {
        int row = (int) rows.rec[i * PartitionRows.STRIDE + PartitionRows.ROW_ID];
        assertEquals(original[expected[i]], original[row], "round " + round + " position " + i);
        assertEquals(hashes[row], rows.hashAt(i), "hash at " + i);
        if (i > 0) {
          // Equal compacted longs exactly when the packed longs are equal.
          int previous = (int) rows.rec[(i - 1) * PartitionRows.STRIDE + PartitionRows.ROW_ID];
          assertEquals(original[previous] == original[row], rows.order[i - 1] == rows.order[i]);
        }
      }
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
  void orderIsMonotoneInHashThenTime() {
    long[] micros = {MIN_MICROS, -1_500_000, -1_000_001, -1_000_000, -1, 0, 1, 999_999,
        1_000_000, MAX_MICROS};
    for (long h = 0; h < 3; h++) {
      for (int i = 1; i < micros.length; i++) {
        long a = PartitionRows.order(h, micros[i - 1]);
        long b = PartitionRows.order(h, micros[i]);
        assertEquals(true, a <= b, micros[i - 1] + " then " + micros[i]);
        assertEquals(true, a >= 0);
      }
      assertEquals(true, PartitionRows.order(h, micros[micros.length - 1])
          < PartitionRows.order(h + 1, micros[0]));
    }
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

package io.lakeops.features.pit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** The shuffle records: what the map side writes is what the pass reads, for any values. */
class MatchRecordsTest {

  private static final RangeBounds ONE = RangeBounds.of(List.of(), 1);
  private static final StructType PAYLOAD = new StructType().add("d", DataTypes.DoubleType)
      .add("s", DataTypes.StringType);

  private static UnsafeRow write(int kind, int group, DataType[] keyTypes, Object[] row) {
    MatchRecords.Writer w = new MatchRecords.Writer(kind, group, keyTypes, PAYLOAD, ONE);
    UnsafeRow r = (UnsafeRow) w.records(List.<InternalRow>of(new GenericInternalRow(row)).iterator())
        .next()._2();
    assertEquals(0, r.getSizeInBytes() % 8, "an UnsafeRow's size is a multiple of 8");
    return r.copy();
  }

  private static byte[] keyBytes(UnsafeRow r, MatchRecords.Fields f) {
    byte[] out = new byte[f.keyLength];
    org.apache.spark.unsafe.Platform.copyMemory(r.getBaseObject(), f.keyAt, out,
        org.apache.spark.unsafe.Platform.BYTE_ARRAY_OFFSET, f.keyLength);
    return out;
  }

  @Test
  void featureRecordsRoundTripWithExtremeValues() {
    SplittableRandom random = new SplittableRandom(3);
    long[] specials = {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0, 1, 127, 128, -62_135_596_800_000_000L,
        253_402_300_799_999_999L};
    DataType[] keyTypes = {DataTypes.StringType};
    for (int i = 0; i < 2000; i++) {
      long time = i < 81 ? specials[i % 9] : random.nextLong();
      long created = i < 81 ? specials[i / 9] : random.nextBoolean() ? Long.MAX_VALUE : random.nextLong();
      long version = i % 3 == 0 ? random.nextLong(0, 10) : random.nextLong(0, Long.MAX_VALUE);
      long rowId = i % 5 == 0 ? -1 : random.nextLong(0, Long.MAX_VALUE);
      long hash = random.nextLong(0, 1 << 23);
      int group = random.nextInt(0, 300);
      String key = i % 7 == 0 ? "" : "key-" + random.nextInt();
      UnsafeRow r = write(MatchRecords.KIND_FEATURE, group, keyTypes, new Object[] {hash, time,
          created, version, rowId, UTF8String.fromString(key), i * 0.5, UTF8String.fromString("v" + i)});
      MatchRecords.Fields f = new MatchRecords.Fields();
      f.read(r.getBaseObject(), r.getBaseOffset());
      String at = "record " + i;
      assertEquals(time, f.time, at);
      assertEquals(hash, f.hash, at);
      assertEquals(MatchRecords.KIND_FEATURE, f.kind, at);
      assertEquals(group, f.group, at);
      assertEquals(created, f.created, at);
      assertEquals(version, f.version, at);
      assertEquals(rowId, f.rowId, at);
      assertEquals(key, new String(keyBytes(r, f), java.nio.charset.StandardCharsets.UTF_8), at);
      UnsafeRow payload = new UnsafeRow(2);
      payload.pointTo(r.getBaseObject(), f.payloadAt, f.payloadLength);
      assertEquals(i * 0.5, payload.getDouble(0), at);
      assertEquals("v" + i, payload.getUTF8String(1).toString(), at);
    }
  }

  @Test
  void spineRecordsCarryNoTieBreakFields() {
    DataType[] keyTypes = {DataTypes.LongType};
    UnsafeRow r = write(MatchRecords.KIND_SPINE, 0, keyTypes, new Object[] {42L, -5L, -7L, 1.5,
        UTF8String.fromString("x")});
    MatchRecords.Fields f = new MatchRecords.Fields();
    f.read(r.getBaseObject(), r.getBaseOffset());
    assertEquals(MatchRecords.KIND_SPINE, f.kind);
    assertEquals(42L, f.hash);
    assertEquals(-5L, f.time);
    assertEquals(-7L, MatchRecords.keyValues(keyBytes(r, f), keyTypes)[0]);
  }

  /** Equal keys have equal bytes and different keys different bytes, in each key encoding. */
  @Test
  void keyBytesAreEqualExactlyWhenTheKeysAre() {
    Object[][] cases = {
        {new DataType[] {DataTypes.IntegerType}, new Object[] {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 64, -64}},
        {new DataType[] {DataTypes.LongType}, new Object[] {0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40}},
        {new DataType[] {DataTypes.DateType}, new Object[] {0, -719162, 2932896}},
        {new DataType[] {DataTypes.BooleanType}, new Object[] {true, false}},
        {new DataType[] {DataTypes.StringType}, new Object[] {UTF8String.fromString(""),
            UTF8String.fromString("a"), UTF8String.fromString("ab"), UTF8String.fromString("é")}},
        {new DataType[] {DataTypes.createDecimalType(30, 2)}, new Object[] {
            Decimal.apply(new BigDecimal("1.50"), 30, 2), Decimal.apply(new BigDecimal("-1.50"), 30, 2),
            Decimal.apply(new BigDecimal("123456789012345678901234.99"), 30, 2)}},
    };
    for (Object[] c : cases) {
      DataType[] keyTypes = (DataType[]) c[0];
      Object[] values = (Object[]) c[1];
      byte[][] bytes = new byte[values.length][];
      for (int i = 0; i < values.length; i++) {
        bytes[i] = key(keyTypes, values[i]);
        Object decoded = MatchRecords.keyValues(bytes[i], keyTypes)[0];
        assertNotEquals(null, decoded);
      }
      for (int i = 0; i < values.length; i++) {
        for (int j = 0; j < values.length; j++) {
          assertEquals(i == j, Arrays.equals(bytes[i], bytes[j]), keyTypes[0] + " " + values[i] + " " + values[j]);
        }
      }
    }
    // Two key columns (an UnsafeRow of them).
    DataType[] two = {DataTypes.StringType, DataTypes.IntegerType};
    byte[] a = key(two, UTF8String.fromString("a"), 1);
    assertArrayEquals(a, key(two, UTF8String.fromString("a"), 1));
    assertEquals(false, Arrays.equals(a, key(two, UTF8String.fromString("a"), 2)));
    assertEquals(List.of("a", 1), Arrays.asList(MatchRecords.keyValues(a, two)));
  }

  /**
   * Fixed-width payloads are copied straight from an UnsafeRow input: the same bytes as the
   * projection writes from any other row, nulls and narrow types included.
   */
  @Test
  void aFixedWidthPayloadCopiedFromTheInputRowIsTheProjectedOne() {
    StructType payload = new StructType().add("d", DataTypes.DoubleType).add("i", DataTypes.IntegerType)
        .add("s", DataTypes.ShortType).add("b", DataTypes.BooleanType).add("day", DataTypes.DateType)
        .add("m", DataTypes.createDecimalType(10, 2)).add("l", DataTypes.LongType);
    StructType input = new StructType().add("h", DataTypes.LongType).add("t", DataTypes.LongType)
        .add("c", DataTypes.LongType).add("v", DataTypes.LongType).add("r", DataTypes.LongType)
        .add("k", DataTypes.StringType);
    for (org.apache.spark.sql.types.StructField f : payload.fields()) {
      input = input.add(f);
    }
    org.apache.spark.sql.catalyst.expressions.UnsafeProjection toUnsafe =
        org.apache.spark.sql.catalyst.expressions.UnsafeProjection.create(input);
    DataType[] keyTypes = {DataTypes.StringType};
    SplittableRandom random = new SplittableRandom(9);
    for (int i = 0; i < 500; i++) {
      Object[] v = {random.nextLong(0, 1 << 23), random.nextLong(), random.nextLong(), 3L, 4L,
          UTF8String.fromString("k" + i), random.nextDouble(), random.nextInt(), (short) random.nextInt(),
          random.nextBoolean(), random.nextInt(-1000, 1000),
          Decimal.apply(new BigDecimal(random.nextInt(-100000, 100000)).movePointLeft(2), 10, 2),
          random.nextLong()};
      for (int j = 6; j < v.length; j++) {
        if (random.nextInt(4) == 0) {
          v[j] = null;
        }
      }
      GenericInternalRow generic = new GenericInternalRow(v);
      UnsafeRow unsafe = toUnsafe.apply(generic);
      MatchRecords.Writer w = new MatchRecords.Writer(MatchRecords.KIND_FEATURE, 1, keyTypes, payload, ONE);
      byte[] projected = ((UnsafeRow) w.records(List.<InternalRow>of(generic).iterator()).next()._2()).getBytes();
      byte[] copied = ((UnsafeRow) w.records(List.<InternalRow>of(unsafe).iterator()).next()._2()).getBytes();
      assertArrayEquals(projected, copied, "row " + i);
    }
  }

  /** A record written after a longer one (the writer's buffer reused) has the same bytes. */
  @Test
  void aReusedBufferLeavesNothingOfTheRecordBefore() {
    DataType[] keyTypes = {DataTypes.StringType};
    Object[] longer = {1L, 2L, 3L, 4L, 5L, UTF8String.fromString("a much longer key than the next"),
        1.0, UTF8String.fromString("a much longer payload string than the next")};
    Object[] shorter = {1L, 2L, 3L, 4L, 5L, UTF8String.fromString("k"), 1.0, UTF8String.fromString("p")};
    MatchRecords.Writer w = new MatchRecords.Writer(MatchRecords.KIND_FEATURE, 0, keyTypes, PAYLOAD, ONE);
    var records = w.records(List.<InternalRow>of(new GenericInternalRow(longer),
        new GenericInternalRow(shorter)).iterator());
    records.next();
    UnsafeRow reused = (UnsafeRow) records.next()._2();
    assertArrayEquals(write(MatchRecords.KIND_FEATURE, 0, keyTypes, shorter).getBytes(), reused.getBytes());
  }

  private static byte[] key(DataType[] keyTypes, Object... key) {
    Object[] row = new Object[5 + key.length + 2];
    row[0] = 1L;
    row[1] = 2L;
    row[2] = 3L;
    row[3] = 4L;
    row[4] = 5L;
    System.arraycopy(key, 0, row, 5, key.length);
    row[5 + key.length] = 0.0;
    row[6 + key.length] = UTF8String.fromString("payload");
    UnsafeRow r = write(MatchRecords.KIND_FEATURE, 0, keyTypes, row);
    MatchRecords.Fields f = new MatchRecords.Fields();
    f.read(r.getBaseObject(), r.getBaseOffset());
    return keyBytes(r, f);
  }
}

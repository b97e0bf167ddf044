package io.lakeops.features.pit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.MutablePair;
import scala.Product2;

/**
 * The records of the point-in-time join's shuffle: one compact byte record per spine row and per
 * feature row, written on the map side straight from the scan's rows and read back by {@link
 * PartitionRows}.
 *
 * <p>Why not a row of Spark's with a column per field: a union of the spine and all groups needs
 * one schema, so every row carried the fields of all the others (the spine's payload, each
 * group's feature struct, their null flags), and Spark's code for a struct column boxes every
 * value into a generic row before writing it. Here a feature row is its narrow fields, its key
 * bytes and its group's values as one {@link UnsafeRow}; the shuffle (Spark's, with its {@link
 * org.apache.spark.sql.execution.UnsafeRowSerializer}) sees each record as an opaque {@code
 * UnsafeRow} of those bytes, sent to the partition {@link RangeBounds} gives it.
 *
 * <p>Layout (numbers in native order, as {@link Platform} reads them; "varint" is 7 bits a byte,
 * low bits first, and "zigzag" maps small negative numbers to small varints):
 * <pre>
 *   8 bytes   time (micros)
 *   4 bytes   key hash &lt;&lt; 1 | kind   (kind: 0 feature row, 1 spine row)
 *   feature rows only:
 *     varint  group (its index in the key set)
 *     varint  zigzag(created - time), wrapping (created: Long.MAX_VALUE without created_ts)
 *     varint  Delta commit version
 *     varint  Delta row id
 *   varint    key length, then payload length (bytes)
 *   the key bytes, then the payload (an UnsafeRow of the spine payload or the group's feature
 *   values), then zeros to a multiple of 8 bytes (the size of an UnsafeRow)
 * </pre>
 * The narrow fields take about 20 bytes instead of 48 as longs: the shuffle writes, compresses and
 * reads a sixth fewer bytes per feature row of ten doubles.
 *
 * <p>Key bytes: a single string key is its UTF-8 bytes; a single integral key (integers, dates,
 * timestamps, booleans) the zigzag varint of its value; other keys an {@code UnsafeRow} of the key
 * columns. Equal keys have equal bytes in each of these forms (Spark's writer zeroes unused
 * bytes), so the pass compares keys as bytes.
 */
final class MatchRecords {

  private MatchRecords() {}

  static final int KIND_FEATURE = 0;
  static final int KIND_SPINE = 1;

  static final int KEY_GENERIC = 0;
  static final int KEY_STRING = 1;
  static final int KEY_INTEGRAL = 2;

  /** The key encoding for these key column types. */
  static int keyMode(DataType[] keyTypes) {
    if (keyTypes.length != 1) {
      return KEY_GENERIC;
    }
    return keyTypes[0] instanceof StringType ? KEY_STRING
        : integral(keyTypes[0]) ? KEY_INTEGRAL : KEY_GENERIC;
  }

  static boolean integral(DataType type) {
    return type instanceof org.apache.spark.sql.types.IntegralType
        || type instanceof org.apache.spark.sql.types.DateType
        || type instanceof org.apache.spark.sql.types.TimestampType
        || type instanceof org.apache.spark.sql.types.TimestampNTZType
        || type instanceof org.apache.spark.sql.types.BooleanType;
  }

  /** An integral, date, timestamp or boolean key column as a long (equal exactly when equal). */
  static long readIntegral(InternalRow row, int ordinal, DataType type) {
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

  /** The key values of key bytes (for messages: dates and timestamps as Java time values). */
  static Object[] keyValues(byte[] key, DataType[] keyTypes) {
    int mode = keyMode(keyTypes);
    if (mode == KEY_STRING) {
      return new Object[] {UTF8String.fromBytes(key).toString()};
    }
    if (mode == KEY_INTEGRAL) {
      long v = 0;
      for (int i = key.length - 1; i >= 0; i--) {
        v = v << 7 | (key[i] & 0x7F);
      }
      v = unzigzag(v);
      DataType type = keyTypes[0];
      Object value = type instanceof org.apache.spark.sql.types.DateType
          ? java.time.LocalDate.ofEpochDay(v)
          : type instanceof org.apache.spark.sql.types.TimestampType
              || type instanceof org.apache.spark.sql.types.TimestampNTZType
          ? org.apache.spark.sql.catalyst.util.DateTimeUtils.microsToInstant(v)
          : type instanceof org.apache.spark.sql.types.BooleanType ? (Object) (v != 0) : (Object) v;
      return new Object[] {value};
    }
    UnsafeRow row = new UnsafeRow(keyTypes.length);
    row.pointTo(key, key.length);
    Object[] out = new Object[keyTypes.length];
    for (int i = 0; i < keyTypes.length; i++) {
      out[i] = org.apache.spark.sql.catalyst.CatalystTypeConverters.convertToScala(
          row.get(i, keyTypes[i]), keyTypes[i]);
    }
    return out;
  }

  static long pad8(long n) {
    return (n + 7) & ~7L;
  }

  /** Most bytes a varint of a long takes. */
  private static final int MAX_VARINT = 10;

  /** Writes {@code v} as a varint at {@code at}; returns the offset after it. */
  static long putVarint(Object base, long at, long v) {
    while ((v & ~0x7FL) != 0) {
      Platform.putByte(base, at++, (byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    Platform.putByte(base, at++, (byte) v);
    return at;
  }

  static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /**
   * A record's fields, decoded by {@link #read}: one object reused for a partition's records.
   */
  static final class Fields {
    long time;
    long hash;
    int kind;
    int group;
    long created;
    long version;
    long rowId;
    long keyAt;
    int keyLength;
    long payloadAt;
    int payloadLength;
    /** The offset after the last varint read. */
    private long at;

    /** Decodes the record at {@code (base, offset)}. */
    void read(Object base, long offset) {
      time = Platform.getLong(base, offset);
      int word = Platform.getInt(base, offset + 8);
      hash = word >>> 1;
      kind = word & 1;
      at = offset + 12;
      if (kind == KIND_FEATURE) {
        group = (int) varint(base);
        created = time + unzigzag(varint(base));
        version = varint(base);
        rowId = varint(base);
      } else {
        group = 0;
      }
      keyLength = (int) varint(base);
      payloadLength = (int) varint(base);
      keyAt = at;
      payloadAt = at + keyLength;
    }

    private long varint(Object base) {
      long v = 0;
      int shift = 0;
      byte b;
      do {
        b = Platform.getByte(base, at++);
        v |= (long) (b & 0x7F) << shift;
        shift += 7;
      } while (b < 0);
      return v;
    }
  }

  /** The shuffle's partitioner: a record's key is its partition. */
  static final class ByPartition extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    ByPartition(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByPartition b && b.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }

  /**
   * Writes the records of one input (the spine, or one group's feature rows) from rows laid out
   * as: key hash, time, [created, version, row id for feature rows], the key columns, the payload
   * columns.
   */
  static final class Writer implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int kind;
    private final int group;
    private final DataType[] keyTypes;
    private final StructType payloadType;
    private final RangeBounds bounds;

    Writer(int kind, int group, DataType[] keyTypes, StructType payloadType, RangeBounds bounds) {
      this.kind = kind;
      this.group = group;
      this.keyTypes = keyTypes.clone();
      this.payloadType = payloadType;
      this.bounds = bounds;
    }

    private UnsafeProjection projection(int from, DataType[] types) {
      List<Expression> refs = new ArrayList<>();
      for (int i = 0; i < types.length; i++) {
        refs.add(new BoundReference(from + i, types[i], true));
      }
      return UnsafeProjection.create(
          scala.collection.JavaConverters.asScalaBuffer(refs).toSeq());
    }

    /**
     * The records of a partition of input rows, each as (target partition, record). The record
     * object and its buffer are reused: the shuffle writes each one before asking for the next.
     */
    Iterator<Product2<Integer, InternalRow>> records(Iterator<InternalRow> rows) {
      int keyFrom = kind == KIND_FEATURE ? 5 : 2;
      int payloadFrom = keyFrom + keyTypes.length;
      int mode = keyMode(keyTypes);
      UnsafeProjection keys = mode == KEY_GENERIC ? projection(keyFrom, keyTypes) : null;
      DataType[] payloadTypes = new DataType[payloadType.size()];
      StructField[] fields = payloadType.fields();
      for (int i = 0; i < fields.length; i++) {
        payloadTypes[i] = fields[i].dataType();
      }
      UnsafeProjection payload = projection(payloadFrom, payloadTypes);
      // Fixed-width values (numbers, dates, timestamps, booleans) are copied straight from the
      // input row's fields: the payload row is its own null bits, then those 8-byte fields as
      // they are (a null field's slot holds zeros in both).
      boolean fixed = true;
      for (DataType t : payloadTypes) {
        fixed &= UnsafeRow.isFixedLength(t);
      }
      boolean fixedPayload = fixed;
      int payloadFields = payloadTypes.length;
      int payloadBitsetBytes = UnsafeRow.calculateBitSetWidthInBytes(payloadFields);
      int fixedPayloadLength = payloadBitsetBytes + 8 * payloadFields;
      DataType keyType = keyTypes[0];
      return new Iterator<>() {
        private byte[] buffer = new byte[256];
        private final UnsafeRow record = new UnsafeRow(1);
        private final MutablePair<Integer, InternalRow> pair = new MutablePair<>();

        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public Product2<Integer, InternalRow> next() {
          InternalRow row = rows.next();
          long hash = row.getLong(0);
          long time = row.getLong(1);
          int keyLength;
          UTF8String string = null;
          long integral = 0;
          UnsafeRow keyRow = null;
          if (mode == KEY_STRING) {
            string = row.getUTF8String(keyFrom);
            keyLength = string.numBytes();
          } else if (mode == KEY_INTEGRAL) {
            integral = readIntegral(row, keyFrom, keyType);
            keyLength = 0; // measured when written
          } else {
            keyRow = keys.apply(row);
            keyLength = keyRow.getSizeInBytes();
          }
          UnsafeRow input = fixedPayload && row instanceof UnsafeRow u ? u : null;
          UnsafeRow values = input != null ? null : payload.apply(row);
          int payloadLength = input != null ? fixedPayloadLength : values.getSizeInBytes();
          long need = 12 + 6 * MAX_VARINT + keyLength + payloadLength + 8;
          if (need > buffer.length) {
            buffer = new byte[(int) Math.max(need, 2L * buffer.length)];
          }
          byte[] b = buffer;
          long base = Platform.BYTE_ARRAY_OFFSET;
          Platform.putLong(b, base, time);
          Platform.putInt(b, base + 8, (int) (hash << 1 | kind));
          long at = base + 12;
          if (kind == KIND_FEATURE) {
            at = putVarint(b, at, group);
            at = putVarint(b, at, zigzag(row.getLong(2) - time));
            at = putVarint(b, at, row.getLong(3));
            at = putVarint(b, at, row.getLong(4));
          }
          if (mode == KEY_INTEGRAL) {
            // The key as a zigzag varint, measured first: its length comes before it.
            long z = zigzag(integral);
            keyLength = 1;
            for (long v = z >>> 7; v != 0; v >>>= 7) {
              keyLength++;
            }
            at = putVarint(b, at, keyLength);
            at = putVarint(b, at, payloadLength);
            at = putVarint(b, at, z);
          } else {
            at = putVarint(b, at, keyLength);
            at = putVarint(b, at, payloadLength);
            if (mode == KEY_STRING) {
              string.writeToMemory(b, at);
            } else {
              keyRow.writeToMemory(b, at);
            }
            at += keyLength;
          }
          if (input != null) {
            for (long w = 0; w < payloadBitsetBytes; w += 8) {
              Platform.putLong(b, at + w, 0L);
            }
            for (int i = 0; i < payloadFields; i++) {
              if (input.isNullAt(payloadFrom + i)) {
                org.apache.spark.unsafe.bitset.BitSetMethods.set(b, at, i);
              }
            }
            long from = input.getBaseOffset()
                + UnsafeRow.calculateBitSetWidthInBytes(input.numFields()) + 8L * payloadFrom;
            Platform.copyMemory(input.getBaseObject(), from, b, at + payloadBitsetBytes,
                8L * payloadFields);
          } else {
            values.writeToMemory(b, at);
          }
          at += payloadLength;
          int size = (int) pad8(at - base);
          // Zeros after the payload: the buffer is reused.
          for (long z = at; z < base + size; z++) {
            Platform.putByte(b, z, (byte) 0);
          }
          record.pointTo(b, size);
          pair.update(bounds.partition(hash, time), record);
          return pair;
        }
      };
    }
  }
}

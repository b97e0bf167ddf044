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
 * <p>Layout, in 8-byte words (native order, as {@link Platform} reads them):
 * <pre>
 *   0  key hash &lt;&lt; 32 | group &lt;&lt; 8 | kind     (kind: 0 feature row, 1 spine row)
 *   1  time (micros)
 *   feature rows only:
 *   2  created (micros; Long.MAX_VALUE without created_ts)
 *   3  Delta commit version
 *   4  Delta row id
 *   next: key length &lt;&lt; 32 | payload length   (bytes)
 *   then the key bytes, padded to 8, and the payload (an UnsafeRow of the spine payload or the
 *   group's feature values)
 * </pre>
 * Key bytes: a single string key is its UTF-8 bytes; a single integral key (integers, dates,
 * timestamps, booleans) its value as a long; other keys an {@code UnsafeRow} of the key columns.
 * Equal keys have equal bytes in each of these forms (Spark's writer zeroes unused bytes), so
 * the pass compares keys as bytes.
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
      long v = Platform.getLong(key, Platform.BYTE_ARRAY_OFFSET);
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

  /** Words before the lengths word. */
  static int headerWords(int kind) {
    return kind == KIND_FEATURE ? 5 : 2;
  }

  static long pad8(long n) {
    return (n + 7) & ~7L;
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
      int header = headerWords(kind);
      int keyFrom = header;
      int payloadFrom = keyFrom + keyTypes.length;
      int mode = keyMode(keyTypes);
      UnsafeProjection keys = mode == KEY_GENERIC ? projection(keyFrom, keyTypes) : null;
      DataType[] payloadTypes = new DataType[payloadType.size()];
      StructField[] fields = payloadType.fields();
      for (int i = 0; i < fields.length; i++) {
        payloadTypes[i] = fields[i].dataType();
      }
      UnsafeProjection payload = projection(payloadFrom, payloadTypes);
      long kindWord = (long) group << 8 | kind;
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
            keyLength = 8;
          } else {
            keyRow = keys.apply(row);
            keyLength = keyRow.getSizeInBytes();
          }
          UnsafeRow values = payload.apply(row);
          int payloadLength = values.getSizeInBytes();
          int at = 8 * (header + 1);
          int size = (int) (at + pad8(keyLength) + payloadLength);
          if (size > buffer.length) {
            buffer = new byte[Math.max(size, 2 * buffer.length)];
          }
          byte[] b = buffer;
          long base = Platform.BYTE_ARRAY_OFFSET;
          Platform.putLong(b, base, hash << 32 | kindWord);
          Platform.putLong(b, base + 8, time);
          if (kind == KIND_FEATURE) {
            Platform.putLong(b, base + 16, row.getLong(2));
            Platform.putLong(b, base + 24, row.getLong(3));
            Platform.putLong(b, base + 32, row.getLong(4));
          }
          Platform.putLong(b, base + at - 8, (long) keyLength << 32 | payloadLength);
          if ((keyLength & 7) != 0) {
            // The key's padding is zeroed: the buffer is reused.
            Platform.putLong(b, base + at + pad8(keyLength) - 8, 0L);
          }
          if (mode == KEY_STRING) {
            string.writeToMemory(b, base + at);
          } else if (mode == KEY_INTEGRAL) {
            Platform.putLong(b, base + at, integral);
          } else {
            keyRow.writeToMemory(b, base + at);
          }
          values.writeToMemory(b, base + at + pad8(keyLength));
          record.pointTo(b, size);
          pair.update(bounds.partition(hash, time), record);
          return pair;
        }
      };
    }
  }
}

package io.lakeops.features.pit;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.unsafe.types.CalendarInterval;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * One answer of the pass, as Spark reads it: the spine payload (a struct), per group its matched
 * feature values (a struct, null without a match), then per group the matched row's event time and
 * created time (micros). The structs are views over the partition's arena (or a carried row's
 * bytes), so an answer allocates nothing; the pass reuses one object, and its consumer (the scan
 * of the answers, an {@code UnsafeProjection}) copies each answer before asking for the next.
 */
final class AnswerRow extends InternalRow {

  private static final long serialVersionUID = 1L;

  private final int groups;
  private final UnsafeRow spine;
  private final UnsafeRow[] features;
  private final boolean[] matched;
  private final long[] eventTime;
  private final long[] createdTime;

  AnswerRow(int spineFields, int[] featureFields) {
    groups = featureFields.length;
    spine = new UnsafeRow(spineFields);
    features = new UnsafeRow[groups];
    for (int g = 0; g < groups; g++) {
      features[g] = new UnsafeRow(featureFields[g]);
    }
    matched = new boolean[groups];
    eventTime = new long[groups];
    createdTime = new long[groups];
  }

  /** Starts an answer for the spine payload {@code size} bytes at {@code (base, offset)}. */
  void spine(Object base, long offset, int size) {
    spine.pointTo(base, offset, size);
    java.util.Arrays.fill(matched, false);
  }

  /** Group {@code g}'s match: its feature values ({@code size} bytes at {@code (base, offset)}). */
  void match(int g, Object base, long offset, int size, long event, long created) {
    features[g].pointTo(base, offset, size);
    matched[g] = true;
    eventTime[g] = event;
    createdTime[g] = created;
  }

  @Override
  public int numFields() {
    return 1 + 3 * groups;
  }

  @Override
  public boolean isNullAt(int ordinal) {
    if (ordinal == 0) {
      return false;
    }
    int g = ordinal <= groups ? ordinal - 1 : (ordinal - 1 - groups) / 2;
    return !matched[g];
  }

  @Override
  public long getLong(int ordinal) {
    int i = ordinal - 1 - groups;
    return i % 2 == 0 ? eventTime[i / 2] : createdTime[i / 2];
  }

  @Override
  public InternalRow getStruct(int ordinal, int numFields) {
    return ordinal == 0 ? spine : features[ordinal - 1];
  }

  @Override
  public Object get(int ordinal, DataType dataType) {
    if (isNullAt(ordinal)) {
      return null;
    }
    return ordinal <= groups ? getStruct(ordinal, 0) : (Object) getLong(ordinal);
  }

  @Override
  public InternalRow copy() {
    Object[] values = new Object[numFields()];
    for (int i = 0; i < values.length; i++) {
      Object v = get(i, null);
      values[i] = v instanceof UnsafeRow u ? u.copy() : v;
    }
    return new GenericInternalRow(values);
  }

  @Override
  public void setNullAt(int i) {
    throw readOnly();
  }

  @Override
  public void update(int i, Object value) {
    throw readOnly();
  }

  private static UnsupportedOperationException readOnly() {
    return new UnsupportedOperationException("A point-in-time join answer is read-only");
  }

  private static UnsupportedOperationException notInAnswers(String type) {
    return new UnsupportedOperationException("A point-in-time join answer has no " + type
        + " field: its fields are structs and longs");
  }

  @Override
  public boolean getBoolean(int ordinal) {
    throw notInAnswers("boolean");
  }

  @Override
  public byte getByte(int ordinal) {
    throw notInAnswers("byte");
  }

  @Override
  public short getShort(int ordinal) {
    throw notInAnswers("short");
  }

  @Override
  public int getInt(int ordinal) {
    throw notInAnswers("int");
  }

  @Override
  public float getFloat(int ordinal) {
    throw notInAnswers("float");
  }

  @Override
  public double getDouble(int ordinal) {
    throw notInAnswers("double");
  }

  @Override
  public Decimal getDecimal(int ordinal, int precision, int scale) {
    throw notInAnswers("decimal");
  }

  @Override
  public UTF8String getUTF8String(int ordinal) {
    throw notInAnswers("string");
  }

  @Override
  public byte[] getBinary(int ordinal) {
    throw notInAnswers("binary");
  }

  @Override
  public CalendarInterval getInterval(int ordinal) {
    throw notInAnswers("interval");
  }

  @Override
  public ArrayData getArray(int ordinal) {
    throw notInAnswers("array");
  }

  @Override
  public MapData getMap(int ordinal) {
    throw notInAnswers("map");
  }
}

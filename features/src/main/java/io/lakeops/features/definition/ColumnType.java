package io.lakeops.features.definition;

import java.util.Locale;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** The column types a feature group schema can declare, with their Spark types. */
public enum ColumnType {
  STRING(DataTypes.StringType),
  INT(DataTypes.IntegerType),
  LONG(DataTypes.LongType),
  DOUBLE(DataTypes.DoubleType),
  BOOLEAN(DataTypes.BooleanType),
  DATE(DataTypes.DateType),
  TIMESTAMP(DataTypes.TimestampType);

  private final DataType sparkType;

  ColumnType(DataType sparkType) {
    this.sparkType = sparkType;
  }

  public DataType sparkType() {
    return sparkType;
  }

  public boolean isNumeric() {
    return this == INT || this == LONG || this == DOUBLE;
  }

  /** The name used in definitions and messages: {@code int}, {@code double}, ... */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ColumnType parse(String name) {
    return valueOf(name.trim().toUpperCase(Locale.ROOT));
  }
}

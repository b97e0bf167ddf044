package io.lakeops.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class SparkTestBaseTest extends SparkTestBase {

  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.IntegerType, true)
      .add("score", DataTypes.DoubleType, true);

  private static Dataset<Row> frame(Object[]... rows) {
    return spark().createDataFrame(
        java.util.Arrays.stream(rows).map(RowFactory::create).toList(), SCHEMA);
  }

  @Test
  void sharedSessionIsLocalWithUiOffAndFewShufflePartitions() {
    assertEquals("local[2]", spark().sparkContext().master());
    assertEquals("false", spark().conf().get("spark.ui.enabled"));
    assertEquals("2", spark().conf().get("spark.sql.shuffle.partitions"));
    assertTrue(spark().sparkContext().uiWebUrl().isEmpty());
    assertEquals("hive", spark().conf().get("spark.sql.catalogImplementation"));
  }

  @Test
  void deltaTablesRoundTripThroughTheHiveCatalog() {
    spark().sql("CREATE DATABASE IF NOT EXISTS testbase");
    spark().sql("DROP TABLE IF EXISTS testbase.roundtrip");
    frame(new Object[] {1, 0.5}, new Object[] {2, null})
        .write().format("delta").saveAsTable("testbase.roundtrip");

    Dataset<Row> read = spark().table("testbase.roundtrip");
    assertDataFrameNoOrderEquals(frame(new Object[] {2, null}, new Object[] {1, 0.5}), read);
    List<Row> detail = spark().sql("DESCRIBE DETAIL testbase.roundtrip").collectAsList();
    assertEquals("delta", detail.get(0).getAs("format"));
    String location = detail.get(0).getAs("location");
    assertTrue(java.net.URI.create(location).getPath().startsWith(SharedSpark.warehouseDir().toString()),
        "table should live under the test lakehouse, was " + location);
  }

  @Test
  void dataFrameAssertionsFailOnDifferentRows() {
    Dataset<Row> a = frame(new Object[] {1, 0.5});
    assertDataFrameEquals(a, frame(new Object[] {1, 0.5}));
    assertThrows(AssertionError.class, () -> assertDataFrameEquals(a, frame(new Object[] {1, 0.6})));
    assertDataFrameApproximateEquals(a, frame(new Object[] {1, 0.5000001}), 1e-3);
    assertThrows(AssertionError.class,
        () -> assertDataFrameApproximateEquals(a, frame(new Object[] {1, 0.6}), 1e-3));
  }
}

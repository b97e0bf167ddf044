package io.lakeops.testing;

import com.holdenkarau.spark.testing.JavaDataFrameSuiteBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Base class for JUnit 5 tests that need Spark: the JVM's shared session and spark-testing-base's
 * DataFrame assertions. Use JUnit's {@code @TempDir} for files; use a database of your own when a
 * test writes tables, so that tests sharing the session do not see each other's tables.
 */
public abstract class SparkTestBase {

  /** spark-testing-base's assertions, pointed at the shared session instead of their own. */
  private static final JavaDataFrameSuiteBase FRAMES = new JavaDataFrameSuiteBase() {
    @Override
    public SparkSession spark() {
      return SharedSpark.session();
    }

    @Override
    public org.apache.spark.sql.SQLContext sqlContext() {
      return SharedSpark.session().sqlContext();
    }
  };

  protected static SparkSession spark() {
    return SharedSpark.session();
  }

  /** Same schema and the same rows in the same order. */
  protected static void assertDataFrameEquals(Dataset<Row> expected, Dataset<Row> actual) {
    FRAMES.assertDataFrameEquals(expected, actual, FRAMES.assertDataFrameEquals$default$3());
  }

  /** Same schema and rows, order ignored (duplicates counted). */
  protected static void assertDataFrameNoOrderEquals(Dataset<Row> expected, Dataset<Row> actual) {
    FRAMES.assertDataFrameNoOrderEquals(expected, actual);
  }

  /** Same schema and rows in order, numbers equal within {@code tolerance}. */
  protected static void assertDataFrameApproximateEquals(
      Dataset<Row> expected, Dataset<Row> actual, double tolerance) {
    FRAMES.assertDataFrameApproximateEquals(
        expected, actual, tolerance, java.time.Duration.ZERO,
        FRAMES.assertDataFrameApproximateEquals$default$5());
  }
}

package io.lakeops.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The one local SparkSession of a test JVM: {@code local[2]}, UI off, two shuffle partitions,
 * Delta on, and a Hive catalog with an embedded Derby metastore under a temporary lakehouse, so
 * tests exercise the same catalog path as the jobs.
 */
public final class SharedSpark {

  private static SparkSession session;
  private static Path lakehouse;

  private SharedSpark() {}

  /** The shared session, created on first use and stopped when the JVM exits. */
  public static synchronized SparkSession session() {
    if (session == null) {
      lakehouse = createLakehouse();
      // Derby writes derby.log into the working directory unless told otherwise.
      System.setProperty("derby.stream.error.file", lakehouse.resolve("derby.log").toString());
      session = SparkSession.builder()
          .appName("lakeops-tests")
          .master("local[2]")
          .config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.sql.shuffle.partitions", "2")
          .config("spark.default.parallelism", "2")
          .config("spark.sql.session.timeZone", "UTC")
          .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
          .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
          .config("spark.databricks.delta.snapshotPartitions", "2")
          .config("spark.sql.warehouse.dir", warehouseDir().toUri().toString())
          .config("spark.hadoop.javax.jdo.option.ConnectionURL",
              "jdbc:derby:;databaseName=" + lakehouse.resolve("metastore_db") + ";create=true")
          .enableHiveSupport()
          .getOrCreate();
      Runtime.getRuntime().addShutdownHook(new Thread(SharedSpark::stop, "lakeops-test-spark-stop"));
    }
    return session;
  }

  /** The temporary lakehouse root of the shared session (warehouse, metastore, results). */
  public static synchronized Path lakehouseRoot() {
    session();
    return lakehouse;
  }

  public static Path warehouseDir() {
    return lakehouse.resolve("warehouse");
  }

  private static synchronized void stop() {
    if (session != null) {
      session.stop();
      session = null;
    }
    deleteTree(lakehouse);
  }

  private static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("Cannot delete the test lakehouse " + root + ": " + e.getMessage());
    }
  }

  private static Path createLakehouse() {
    try {
      return Files.createTempDirectory("lakeops-test-lakehouse-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary lakehouse for tests", e);
    }
  }
}

package io.lakeops.jobs.spark;

import io.lakeops.jobs.config.LakeOpsSettings;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The production session: under spark-submit (a master is set) it takes what the cluster
 * provides and adds only what LakeOps cannot run without (the Delta extension and catalog);
 * otherwise it runs {@code local[*]} on the embedded lakehouse: a warehouse and an embedded Derby
 * metastore under {@code lakeops.lakehouse}, so tables persist between runs.
 */
public final class LakehouseSessionFactory implements SparkSessionFactory {

  static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
  static final String DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";

  @Override
  public SparkSession create(String appName, LakeOpsSettings settings) {
    SparkConf submitted = new SparkConf(); // spark-submit passes its settings as spark.* properties
    boolean local = !submitted.contains("spark.master");
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    if (local) {
      LakeOpsSettings.Lakehouse lakehouse = settings.lakehouse();
      // Derby writes derby.log into the working directory unless told otherwise; it needs the
      // folder to exist, or it complains on stderr at the first run.
      if (System.getProperty("derby.stream.error.file") == null && !lakehouse.root().contains(":")) {
        try {
          java.nio.file.Files.createDirectories(java.nio.file.Path.of(lakehouse.root()));
        } catch (java.io.IOException e) {
          throw new io.lakeops.jobs.JobFailure(io.lakeops.jobs.ExitCode.FAILURE, "Cannot create the "
              + "lakehouse folder " + lakehouse.root() + ": " + e.getMessage()
              + ". Check lakeops.lakehouse.root and the folder's permissions.", e);
        }
        System.setProperty("derby.stream.error.file", lakehouse.root() + "/derby.log");
      }
      builder.master(settings.spark().localMaster())
          .config("spark.sql.warehouse.dir", lakehouse.warehouseDir())
          .config("spark.hadoop.javax.jdo.option.ConnectionURL",
              "jdbc:derby:;databaseName=" + lakehouse.metastoreDir() + ";create=true")
          .config("spark.sql.shuffle.partitions", settings.spark().localShufflePartitions());
      settings.spark().localConf().forEach((k, v) -> setIfAbsent(builder, submitted, k, v));
    }
    settings.spark().conf().forEach((k, v) -> setIfAbsent(builder, submitted, k, v));
    builder.config("spark.sql.extensions", withDelta(submitted.get("spark.sql.extensions", "")));
    setIfAbsent(builder, submitted, "spark.sql.catalog.spark_catalog", DELTA_CATALOG);
    // Every timestamp is stored and shown in UTC unless the cluster says otherwise.
    setIfAbsent(builder, submitted, "spark.sql.session.timeZone", "UTC");
    if (useHiveCatalog(submitted, settings.spark().conf())) {
      builder.enableHiveSupport();
    }
    return builder.getOrCreate();
  }

  @Override
  public void release(SparkSession session) {
    session.stop();
  }

  /** Like spark-shell: Hive catalog when Hive is on the classpath, unless configured otherwise. */
  static boolean useHiveCatalog(SparkConf submitted, Map<String, String> conf) {
    String configured = submitted.get("spark.sql.catalogImplementation",
        conf.getOrDefault("spark.sql.catalogImplementation", "hive"));
    if (!"hive".equals(configured)) {
      return false;
    }
    try {
      Class.forName("org.apache.hadoop.hive.conf.HiveConf", false,
          LakehouseSessionFactory.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  static String withDelta(String extensions) {
    if (extensions.contains(DELTA_EXTENSION)) {
      return extensions;
    }
    return extensions.isBlank() ? DELTA_EXTENSION : extensions + "," + DELTA_EXTENSION;
  }

  private static void setIfAbsent(SparkSession.Builder builder, SparkConf submitted, String key,
      String value) {
    if (!submitted.contains(key)) {
      builder.config(key, value);
    }
  }
}

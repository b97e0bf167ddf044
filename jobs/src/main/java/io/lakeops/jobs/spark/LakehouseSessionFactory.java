package io.lakeops.jobs.spark;

import io.lakeops.jobs.config.LakeOpsSettings;
import java.util.LinkedHashMap;
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
    Map<String, String> submittedMap = new LinkedHashMap<>();
    for (scala.Tuple2<String, String> kv : submitted.getAll()) {
      submittedMap.put(kv._1(), kv._2());
    }
    boolean local = !submitted.contains("spark.master");
    if (local) {
      prepareLocalLakehouse(settings.lakehouse());
    }
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    Map<String, String> conf = sessionConf(settings, submittedMap);
    conf.forEach(builder::config);
    if (useHiveCatalog(conf, submittedMap)) {
      builder.enableHiveSupport();
    }
    return builder.getOrCreate();
  }

  /**
   * What LakeOps sets on the builder, lowest precedence first: its defaults, then (local runs)
   * the embedded lakehouse and {@code lakeops.spark.local-conf}, then {@code lakeops.spark.conf};
   * keys spark-submit already set are left out, so the cluster's word stands. The Delta
   * extension is merged into whatever extensions are configured.
   */
  static Map<String, String> sessionConf(LakeOpsSettings settings, Map<String, String> submitted) {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.sql.catalog.spark_catalog", DELTA_CATALOG);
    // Every timestamp is stored and shown in UTC unless configured otherwise.
    conf.put("spark.sql.session.timeZone", "UTC");
    // Dates and times before 1900 (or 1582) are written as they are (proleptic Gregorian), not
    // refused with SparkUpgradeException: Delta readers are all Spark 3+.
    conf.put("spark.sql.parquet.datetimeRebaseModeInWrite", "CORRECTED");
    conf.put("spark.sql.parquet.int96RebaseModeInWrite", "CORRECTED");
    // Timestamps are written as Parquet INT64 micros, not Spark's default INT96 (deprecated in
    // Parquet, and decoded value by value: a sixth of a point-in-time join's feature scan, which
    // reads event_ts and created_ts of every row, in a profile). Every Spark 3 and Delta reader
    // reads both; tables written before keep their INT96 files.
    conf.put("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS");
    boolean local = !submitted.containsKey("spark.master");
    if (local) {
      LakeOpsSettings.Lakehouse lakehouse = settings.lakehouse();
      conf.put("spark.master", settings.spark().localMaster());
      conf.put("spark.sql.warehouse.dir", lakehouse.warehouseDir());
      conf.put("spark.hadoop.javax.jdo.option.ConnectionURL",
          "jdbc:derby:;databaseName=" + localPath(lakehouse.metastoreDir()) + ";create=true");
      conf.put("spark.sql.shuffle.partitions", String.valueOf(settings.spark().localShufflePartitions()));
      conf.putAll(settings.spark().localConf());
    }
    conf.putAll(settings.spark().conf());
    String extensions = submitted.getOrDefault("spark.sql.extensions", conf.getOrDefault("spark.sql.extensions", ""));
    submitted.keySet().forEach(conf::remove);
    conf.put("spark.sql.extensions", withDelta(extensions));
    return conf;
  }

  @Override
  public void release(SparkSession session) {
    session.stop();
  }

  private static void prepareLocalLakehouse(LakeOpsSettings.Lakehouse lakehouse) {
    // Derby writes derby.log into the working directory unless told otherwise; it needs the
    // folder to exist, or it complains on stderr at the first run.
    if (System.getProperty("derby.stream.error.file") == null) {
      String root = localPath(lakehouse.root());
      try {
        java.nio.file.Files.createDirectories(java.nio.file.Path.of(root));
      } catch (java.io.IOException | RuntimeException e) {
        throw new io.lakeops.jobs.JobFailure(io.lakeops.jobs.ExitCode.FAILURE, "Cannot create the "
            + "lakehouse folder " + root + ": " + e.getMessage()
            + ". Check lakeops.lakehouse.root and the folder's permissions.", e);
      }
      System.setProperty("derby.stream.error.file", root + "/derby.log");
    }
  }

  /** A local path from a path or a {@code file:} URI; other schemes cannot hold a local metastore. */
  static String localPath(String location) {
    if (location.startsWith("file:")) {
      return java.nio.file.Path.of(java.net.URI.create(location)).toString();
    }
    if (location.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
      throw new io.lakeops.jobs.config.InvalidConfigException(java.util.List.of(
          new io.lakeops.jobs.config.ConfigProblem("lakeops.lakehouse.root", "", "Cannot keep the "
              + "embedded metastore and warehouse of a local run under " + location + ": a local "
              + "run needs a local path. Use a local lakeops.lakehouse.root, or run under "
              + "spark-submit, where the cluster's metastore is used.")));
    }
    return location;
  }

  /** Like spark-shell: Hive catalog when Hive is on the classpath, unless configured otherwise. */
  static boolean useHiveCatalog(Map<String, String> conf, Map<String, String> submitted) {
    String configured = submitted.getOrDefault("spark.sql.catalogImplementation",
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
}

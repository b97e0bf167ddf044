package io.lakeops.features.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Atomic Delta writes through the DataFrameWriterV2 API: the first write creates the table, the
 * next ones replace exactly the rows a condition selects, in one commit. (The V1 writer's
 * {@code mode("overwrite")} also rewrites the Hive metastore entry, which an embedded metastore
 * logs as an error for every Delta table.)
 */
public final class DeltaWrites {

  private DeltaWrites() {}

  /** Replaces the rows matching {@code condition} by {@code rows}; creates the table if needed. */
  public static void replace(SparkSession spark, Dataset<Row> rows, String table, Column condition,
      String comment) {
    try {
      replaceOrCreate(spark, rows, table, condition, comment);
    } catch (org.apache.spark.sql.AnalysisException e) {
      throw new IllegalStateException("Cannot write " + table + ": " + e.getMessage(), e);
    }
  }

  private static void replaceOrCreate(SparkSession spark, Dataset<Row> rows, String table,
      Column condition, String comment) throws org.apache.spark.sql.AnalysisException {
    ensureDatabase(spark, table);
    if (!spark.catalog().tableExists(table)) {
      rows.writeTo(table).using("delta").tableProperty("comment", comment).create();
    } else {
      rows.writeTo(table).overwrite(condition);
    }
  }

  /**
   * Replaces the whole table by {@code rows}. With the same schema this is an overwrite through
   * the V2 writer (the Hive metastore is not asked to alter the table); a changed schema replaces
   * the table definition.
   */
  public static void replaceAll(SparkSession spark, Dataset<Row> rows, String table,
      java.util.Map<String, String> properties) {
    ensureDatabase(spark, table);
    try {
      if (spark.catalog().tableExists(table)
          && spark.table(table).schema().equals(rows.schema())) {
        rows.writeTo(table).overwrite(org.apache.spark.sql.functions.lit(true));
        return;
      }
      var writer = rows.writeTo(table).using("delta");
      for (var p : properties.entrySet()) {
        writer = writer.tableProperty(p.getKey(), p.getValue());
      }
      writer.createOrReplace();
    } catch (org.apache.spark.sql.AnalysisException e) {
      throw new IllegalStateException("Cannot write " + table + ": " + e.getMessage(), e);
    }
  }

  public static void append(SparkSession spark, Dataset<Row> rows, String table, String comment) {
    ensureDatabase(spark, table);
    try {
      if (!spark.catalog().tableExists(table)) {
        rows.writeTo(table).using("delta").tableProperty("comment", comment).create();
      } else {
        rows.writeTo(table).append();
      }
    } catch (org.apache.spark.sql.AnalysisException e) {
      throw new IllegalStateException("Cannot write " + table + ": " + e.getMessage(), e);
    }
  }

  /**
   * The database of {@code table}, and the table itself when an earlier run created it and was
   * killed between its Delta commit and its metastore entry (the first write of a table commits
   * version 0, then registers the name): that orphan, a complete Delta table at the table's
   * default location, is registered by location (an external table) instead of stopping every
   * later run with "the location is not empty".
   */
  public static void ensureDatabase(SparkSession spark, String table) {
    int dot = table.indexOf('.');
    if (dot > 0) {
      spark.sql("CREATE DATABASE IF NOT EXISTS " + table.substring(0, dot));
    }
    adoptInterruptedCreate(spark, table);
  }

  private static void adoptInterruptedCreate(SparkSession spark, String table) {
    if (spark.catalog().tableExists(table)) {
      return;
    }
    try {
      var catalog = spark.sessionState().catalog();
      java.net.URI location = catalog.defaultTablePath(
          spark.sessionState().sqlParser().parseTableIdentifier(table));
      org.apache.hadoop.fs.Path log = new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(location), "_delta_log");
      var fs = log.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(log) || fs.globStatus(new org.apache.hadoop.fs.Path(log, "*.json")).length == 0) {
        return;
      }
      spark.sql("CREATE TABLE IF NOT EXISTS " + table + " USING delta LOCATION '"
          + location.toString().replace("\\", "\\\\").replace("'", "\\'") + "'");
    } catch (java.io.IOException | org.apache.spark.sql.catalyst.parser.ParseException e) {
      throw new IllegalStateException("Cannot check the location of " + table + ": " + e.getMessage(), e);
    }
  }
}

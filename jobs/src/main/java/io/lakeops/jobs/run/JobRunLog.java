package io.lakeops.jobs.run;

import io.delta.tables.DeltaTable;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code lakeops.job_runs}: one Delta row per run, keyed by (job, run_id): {@code RUNNING} when
 * the run starts (a blind append; merged for a run id seen before), the final status when it
 * ends (a merge that names the run by literals, so Delta reads only the files whose statistics can
 * hold it). A run killed in between stays {@code RUNNING}, which is the truth. A retry with the
 * same run id (Airflow keeps {@code run_id} across retries) reuses the row and counts
 * {@code attempt} up.
 */
public final class JobRunLog {

  public static final String RUNNING = "RUNNING";

  public static final StructType SCHEMA = new StructType(new StructField[] {
      field("job", DataTypes.StringType, false, "Subcommand that ran (ingest, materialize, demo, ...)"),
      field("run_id", DataTypes.StringType, false, "Run id; also the userMetadata of the run's Delta commits"),
      field("attempt", DataTypes.IntegerType, false, "1 for the first run of this run id; a scheduler retry with the same run id counts up"),
      field("logical_date", DataTypes.DateType, true, "The --run-date of a dated job (UTC), else null"),
      field("status", DataTypes.StringType, false, "RUNNING, SUCCEEDED, FAILED, USAGE_ERROR, INPUT_REJECTED, GATE_REJECTED, DRIFT_DETECTED"),
      field("exit_code", DataTypes.IntegerType, true, "Process exit code; null while running"),
      field("started_at", DataTypes.TimestampType, false, "Start of the run (UTC)"),
      field("ended_at", DataTypes.TimestampType, true, "End of the run (UTC); null while running"),
      field("duration_ms", DataTypes.LongType, true, "ended_at - started_at in milliseconds"),
      field("rows_in", DataTypes.LongType, true, "Rows read, where known"),
      field("rows_out", DataTypes.LongType, true, "Rows written, where known"),
      field("config_hash", DataTypes.StringType, true, "SHA-256 of the effective configuration, secrets excluded"),
      field("error_message", DataTypes.StringType, true, "What went wrong, for runs that did not succeed"),
      field("lakeops_version", DataTypes.StringType, true, "Version of the job jar"),
      field("spark_app_id", DataTypes.StringType, true, "Spark application id of the run"),
  });

  private static final int MERGE_ATTEMPTS = 5;

  private final SparkSession spark;
  private final String table;

  public JobRunLog(SparkSession spark, String table) {
    this.spark = spark;
    this.table = table;
  }

  /** Creates the database and table if they do not exist. */
  public void ensureTable() {
    // The database, and a job_runs table whose creation a kill -9 cut short (see DeltaWrites).
    io.lakeops.features.spark.DeltaWrites.ensureDatabase(spark, table);
    // One DDL with the comments in it (COMMENT ON TABLE afterwards makes an embedded Hive
    // metastore log a spurious error for Delta tables).
    spark.sql("CREATE TABLE IF NOT EXISTS " + table + " (" + SCHEMA.toDDL()
        + ") USING delta COMMENT 'LakeOps: one row per job run'"
        // The run starts' application transaction ids (see started) are kept a month, not forever.
        + " TBLPROPERTIES ('delta.setTransactionRetentionDuration' = 'interval 30 days')");
    // A table made by an older LakeOps lacks the newer columns: add them (nullable).
    java.util.Set<String> existing = new java.util.HashSet<>(java.util.Arrays.asList(spark.table(table).columns()));
    List<String> missing = new java.util.ArrayList<>();
    for (StructField f : SCHEMA.fields()) {
      if (!existing.contains(f.name())) {
        missing.add("`" + f.name() + "` " + f.dataType().sql());
      }
    }
    if (!missing.isEmpty()) {
      spark.sql("ALTER TABLE " + table + " ADD COLUMNS (" + String.join(", ", missing) + ")");
    }
  }

  /**
   * Records the start. A run id seen before (a scheduler retry passes the same {@code run_id})
   * keeps its one row: the attempt counts up and the row starts over as RUNNING.
   *
   * <p>A new run id (nearly every run) is appended, not merged: a MERGE runs several Spark jobs,
   * reads the table and conflicts with other runs' commits; a blind append conflicts with
   * none (in a fresh job JVM the whole run was about a second faster). The append carries a
   * Delta application transaction id of the run ({@code txnAppId}): two starts of one run id at
   * once, both finding no row, cannot both commit: the second fails with a concurrent transaction
   * conflict, is retried, finds the first's row and merges.
   */
  public void started(String job, String runId, LocalDate logicalDate, Instant startedAt,
      String configHash, String version) {
    Row row = RowFactory.create(job, runId, 1, date(logicalDate), RUNNING, null,
        Timestamp.from(startedAt), null, null, null, null, configHash, null, version, appId());
    Dataset<Row> start = spark.createDataFrame(List.of(row), SCHEMA);
    Map<String, String> restart = new LinkedHashMap<>();
    for (StructField f : SCHEMA.fields()) {
      restart.put(f.name(), "s." + f.name());
    }
    restart.put("attempt", "t.attempt + 1");
    long micros = Math.multiplyExact(startedAt.getEpochSecond(), 1_000_000L) + startedAt.getNano() / 1000;
    retrying(() -> {
      boolean seen = !spark.table(table).where(functions.col("job").equalTo(job)
          .and(functions.col("run_id").equalTo(runId))).isEmpty();
      if (seen) {
        mergeOnce(start, job, runId, restart);
      } else {
        // A later start of the same run id has a later txnVersion, so Delta never skips it.
        start.write().format("delta").mode("append")
            .option("txnAppId", "lakeops.job_runs:" + job + ":" + runId)
            .option("txnVersion", micros)
            .saveAsTable(table);
      }
    });
  }

  public void finished(JobResult result, String version) {
    Row row = RowFactory.create(result.job(), result.runId(), 1, date(result.logicalDate()),
        result.exitCode().status(), result.exitCode().code(), Timestamp.from(result.startedAt()),
        Timestamp.from(result.endedAt()), result.durationMs(), boxed(result.rowsIn()),
        boxed(result.rowsOut()), result.configHash(),
        result.exitCode().code() == 0 ? null : result.message(), version, appId());
    Map<String, String> finish = new LinkedHashMap<>();
    for (StructField f : SCHEMA.fields()) {
      if (!f.name().equals("attempt")) {
        finish.put(f.name(), "s." + f.name());
      }
    }
    merge(spark.createDataFrame(List.of(row), SCHEMA), result.job(), result.runId(), finish);
  }

  private void merge(Dataset<Row> update, String job, String runId, Map<String, String> whenMatched) {
    retrying(() -> mergeOnce(update, job, runId, whenMatched));
  }

  /**
   * The target side of the condition names the run by literals too, so that Delta reads only the
   * files whose statistics can hold it (the table grows by a row per run).
   */
  private void mergeOnce(Dataset<Row> update, String job, String runId, Map<String, String> whenMatched) {
    DeltaTable.forName(spark, table).as("t")
        .merge(update.as("s"), "t.job = " + literal(job) + " AND t.run_id = " + literal(runId)
            + " AND t.job = s.job AND t.run_id = s.run_id")
        .whenMatched().updateExpr(whenMatched)
        .whenNotMatched().insertAll()
        .execute();
  }

  /** A SQL string literal (run ids and job names hold no quote or backslash, but to be safe). */
  private static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** Runs {@code write}, again after a concurrent commit to the table (each attempt is safe to repeat). */
  private static void retrying(Runnable write) {
    for (int attempt = 1; ; attempt++) {
      try {
        write.run();
        return;
      } catch (io.delta.exceptions.DeltaConcurrentModificationException e) {
        // Another run committed to the table meanwhile.
        if (attempt >= MERGE_ATTEMPTS) {
          throw e;
        }
        sleep(200L * attempt);
      }
    }
  }

  private String appId() {
    return spark.sparkContext().applicationId();
  }

  private static Date date(LocalDate d) {
    return d == null ? null : Date.valueOf(d);
  }

  private static Long boxed(OptionalLong v) {
    return v.isPresent() ? v.getAsLong() : null;
  }

  private static StructField field(String name, org.apache.spark.sql.types.DataType type,
      boolean nullable, String comment) {
    Metadata metadata = new MetadataBuilder().putString("comment", comment).build();
    return new StructField(name, type, nullable, metadata);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

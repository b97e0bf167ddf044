package io.lakeops.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs jobs in this JVM on the shared session: the demo end to end, the job_runs row, the result
 * JSON on stdout and in the results folder, run ids in Delta commits, and failure paths.
 */
class JobRunTest extends SparkTestBase {

  private static final String RUNS = "jobrun_test.job_runs";
  private static final String DB = "demo_jobrun";

  @TempDir
  Path dir;

  private final Launch.SharedSessions sessions = new Launch.SharedSessions(SparkTestBase::spark);

  private Launch.Result launch(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"),
        "-Dlakeops.features.definitions-dir=" + Path.of(System.getProperty("lakeops.root", ".."), "conf", "features").toAbsolutePath(),
        "-Dlakeops.features.database=features_jobrun",
        "-Dlakeops.features.tables.feature-catalog=jobrun_test.feature_catalog",
        "-Dlakeops.job-runs.table=" + RUNS, "-Dlakeops.demo.database=" + DB,
        "-Dlakeops.demo.customers=60", "-Dlakeops.demo.days=150",
        "-Dlakeops.demo.drift-start-date=2025-04-15"));
    return Launch.run(dir, sessions, Map.of(), all.toArray(String[]::new));
  }

  private static Row runRow(String runId) {
    List<Row> rows = spark().sql("SELECT * FROM " + RUNS + " WHERE run_id = '" + runId + "'").collectAsList();
    assertEquals(1, rows.size(), "job_runs rows for " + runId);
    return rows.get(0);
  }

  @Test
  void demoRunsEndToEndAndRecordsItself() throws IOException {
    Launch.Result first = launch("demo");
    assertEquals(0, first.exitCode(), first.err());
    JsonNode json = first.json();
    String runId = json.get("run_id").asText();
    assertEquals("demo", json.get("job").asText());
    assertEquals("SUCCEEDED", json.get("status").asText());
    assertTrue(json.get("logical_date").isNull());
    JsonNode tables = json.get("outputs").get("tables");
    long customers = spark().table(DB + ".customers").count();
    long transactions = spark().table(DB + ".transactions").count();
    long labels = spark().table(DB + ".churn_labels").count();
    assertEquals(60, customers);
    assertEquals(transactions, tables.get(DB + ".transactions").asLong());
    assertEquals(labels, tables.get(DB + ".churn_labels").asLong());
    assertTrue(transactions > 500 && labels > 0, "transactions " + transactions + ", labels " + labels);
    assertEquals(customers + transactions + labels, json.get("rows_out").asLong());
    assertEquals(json.get("rows_in").asLong(), json.get("rows_out").asLong());
    // The raw orders went through ingest and materialisation: one feature row per order time.
    JsonNode features = json.get("outputs").get("feature_tables");
    assertEquals(spark().sql("SELECT DISTINCT customer_id, ts FROM " + DB + ".transactions").count(),
        features.get("features_jobrun.demo_customer_activity").asLong());
    assertEquals(60, features.get("features_jobrun.demo_customer_profile").asLong());
    assertEquals(15, spark().table("jobrun_test.feature_catalog").count());

    // The same JSON is in the results folder.
    Path resultFile = Path.of(json.get("outputs").get("result_path").asText());
    assertEquals(dir.resolve("lakehouse/results/demo/" + runId + ".json"), resultFile);
    assertEquals(first.outLines().get(first.outLines().size() - 1), Files.readString(resultFile).strip());

    // Raw files: one per day that has orders, plus customers and labels.
    Path raw = dir.resolve("lakehouse/raw/demo");
    try (Stream<Path> days = Files.list(raw.resolve("transactions"))) {
      assertEquals(json.get("outputs").get("tables").size(), 3);
      assertTrue(days.count() >= 140);
    }
    assertTrue(Files.readString(raw.resolve("customers.csv")).startsWith(
        "customer_id,signup_date,region,age,gender,plan,email_opt_in\nC000001,"));

    // The job_runs row.
    Row row = runRow(runId);
    assertEquals("demo", row.getAs("job"));
    assertEquals("SUCCEEDED", row.getAs("status"));
    assertEquals(0, (int) row.getAs("exit_code"));
    assertNull(row.getAs("logical_date"));
    assertEquals(json.get("rows_in").asLong(), (long) row.getAs("rows_in"));
    assertEquals(json.get("rows_out").asLong(), (long) row.getAs("rows_out"));
    assertEquals(json.get("config_hash").asText(), row.getAs("config_hash"));
    assertEquals(json.get("duration_ms").asLong(), (long) row.getAs("duration_ms"));
    assertEquals(json.get("started_at").asText(), ((java.sql.Timestamp) row.getAs("started_at")).toInstant().toString());
    assertNull(row.getAs("error_message"));
    assertEquals(LakeOps.version(), row.getAs("lakeops_version"));

    // Every Delta commit of the run carries its run id.
    for (String table : List.of(DB + ".transactions", DB + ".customers", DB + ".churn_labels", RUNS)) {
      List<Row> history = spark().sql("DESCRIBE HISTORY " + table).where("userMetadata = '" + runId + "'")
          .collectAsList();
      assertTrue(!history.isEmpty(), "no commit of " + table + " names run " + runId);
    }
    assertTrue(spark().conf().getOption(JobCommand.DELTA_USER_METADATA).isEmpty(),
        "the run id must not stay on the shared session");

    // Running it again replaces the data instead of duplicating it.
    Dataset<Row> before = spark().table(DB + ".transactions").localCheckpoint();
    Launch.Result second = launch("demo", "--run-id", "manual__2025-06-01T00:00:00+00:00",
        "-Dlakeops.demo.feature-store=false");
    assertEquals(0, second.exitCode(), second.err());
    assertEquals("manual__2025-06-01T00:00:00+00:00", second.json().get("run_id").asText());
    assertEquals(transactions, spark().table(DB + ".transactions").count());
    assertEquals(0, before.exceptAll(spark().table(DB + ".transactions")).count());
    assertEquals(0, spark().table(DB + ".transactions").exceptAll(before).count());
    assertEquals("SUCCEEDED", runRow("manual__2025-06-01T00:00:00+00:00").getAs("status"));
    assertEquals(1, (int) runRow("manual__2025-06-01T00:00:00+00:00").getAs("attempt"));

    // A scheduler retry with the same run id keeps one row and counts the attempt.
    Launch.Result retry = launch("demo", "--run-id", "manual__2025-06-01T00:00:00+00:00",
        "-Dlakeops.demo.feature-store=false");
    assertEquals(0, retry.exitCode(), retry.err());
    Row retried = runRow("manual__2025-06-01T00:00:00+00:00");
    assertEquals(2, (int) retried.getAs("attempt"));
    assertEquals(retry.json().get("started_at").asText(),
        ((java.sql.Timestamp) retried.getAs("started_at")).toInstant().toString());
    // The configuration differs (feature-store off), and so does its hash.
    assertTrue(!json.get("config_hash").asText().equals(second.json().get("config_hash").asText()));
  }

  @Test
  void aFailingJobExitsOneAndRecordsItsError() throws IOException {
    Path notADirectory = Files.writeString(dir.resolve("raw-is-a-file"), "x");
    Launch.Result r = launch("demo", "-Dlakeops.lakehouse.raw-dir=" + notADirectory.resolve("sub"),
        "-Dlakeops.demo.feature-store=false");
    assertEquals(1, r.exitCode(), r.err());
    JsonNode json = r.json();
    assertEquals("FAILED", json.get("status").asText());
    assertTrue(json.get("message").asText().startsWith("Job demo failed: "), json.toString());
    Row row = runRow(json.get("run_id").asText());
    assertEquals("FAILED", row.getAs("status"));
    assertEquals(1, (int) row.getAs("exit_code"));
    assertEquals(json.get("message").asText(), row.getAs("error_message"));
    assertNotNull(row.getAs("ended_at"));
    Path resultFile = Path.of(json.get("outputs").get("result_path").asText());
    assertTrue(Files.readString(resultFile).contains("\"status\":\"FAILED\""));
  }

  @Test
  void sqlPrintsTablesAndABadQueryIsAUsageError() throws IOException {
    spark().sql("CREATE DATABASE IF NOT EXISTS sql_test");
    spark().sql("CREATE OR REPLACE TABLE sql_test.t USING delta AS "
        + "SELECT * FROM VALUES (1, 'a', TIMESTAMP '2025-03-30 01:30:00'), (22, NULL, NULL) AS v(n, s, ts)");
    Files.writeString(dir.resolve("q.sql"),
        "-- two statements\nSELECT n, s, ts FROM sql_test.t ORDER BY n;\nSELECT count(*) AS rows FROM sql_test.t;\n");
    Launch.Result r = launch("sql", "-f", "q.sql");
    assertEquals(0, r.exitCode(), r.err());
    System.err.println(r.out());
    assertEquals(List.of(
        "n  | s    | ts",
        "---+------+--------------------",
        " 1 | a    | 2025-03-30 01:30:00",
        "22 | NULL | NULL",
        "(2 rows)",
        "rows",
        "----",
        "   2",
        "(1 row)"), r.outLines().subList(0, 9));
    assertEquals(2, r.json().get("outputs").get("statements").asInt());
    assertEquals(0, sessions.created.get() - 1);

    Launch.Result truncated = launch("sql", "--max-rows", "1", "SELECT n FROM sql_test.t ORDER BY n");
    assertTrue(truncated.out().contains("(first 1 rows shown; more exist: raise --max-rows or add LIMIT)"),
        truncated.out());

    Launch.Result sameNames = launch("sql", "SELECT 1 AS a, 2 AS a");
    assertEquals(0, sameNames.exitCode(), sameNames.err());
    assertEquals(List.of("a | a", "--+--", "1 | 2", "(1 row)"), sameNames.outLines().subList(0, 4));

    Launch.Result bad = launch("sql", "SELECT * FROM sql_test.missing");
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("Cannot run statement 1 (SELECT * FROM sql_test.missing): "
        + "[TABLE_OR_VIEW_NOT_FOUND]"), bad.err());
  }
}

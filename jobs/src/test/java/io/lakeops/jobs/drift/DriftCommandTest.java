package io.lakeops.jobs.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeops.jobs.Launch;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drift job end to end on the demo data set (smaller, without the feature store): the
 * planted drift is found after the drift start date and nothing is flagged before it; exit 5
 * only with --fail-on-drift; a rerun reuses the stored profile and replaces its metrics rows;
 * spec typos stop the job before Spark starts.
 */
class DriftCommandTest extends SparkTestBase {

  private static final Path ROOT = Path.of(System.getProperty("lakeops.root", "..")).toAbsolutePath().normalize();
  private static final String SPEC = ROOT.resolve("conf/drift/demo_transactions.conf").toString();

  @TempDir
  static Path dir;

  private static Launch.Result lakeops(Launch.SharedSessions sessions, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"),
        "-Dlakeops.drift.tables.drift-metrics=drift_job_test.drift_metrics",
        "-Dlakeops.drift.tables.drift-profiles=drift_job_test.drift_profiles",
        "-Dlakeops.job-runs.table=drift_job_test.job_runs"));
    return Launch.run(ROOT, sessions, Map.of(), all.toArray(String[]::new));
  }

  private static Launch.Result lakeops(String... args) {
    return lakeops(new Launch.SharedSessions(SparkTestBase::spark), args);
  }

  private static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  @Test
  void findsThePlantedDemoDriftAndNothingBeforeIt() throws IOException {
    Launch.Result demo = lakeops("demo", "-Dlakeops.demo.customers=600", "-Dlakeops.demo.feature-store=false");
    assertEquals(0, demo.exitCode(), demo.out() + demo.err());
    // The demo runs the report itself on its planted drift and says where the page is.
    JsonNode demoDrift = demo.json().get("outputs").get("drift");
    assertTrue(demoDrift.get("drifted").asBoolean(), demo.out());
    assertTrue(Files.isRegularFile(Path.of(demoDrift.get("report_html").asText())), demo.out());
    assertTrue(demo.out().contains("  HTML report: " + demoDrift.get("report_html").asText()), demo.out());
    assertTrue(demo.out().matches("(?s).*Drift report demo_transactions/2025-12-31 .*: DRIFT; flagged: .*amount DRIFT .*"), demo.out());

    Launch.Result after = lakeops("drift", "--spec", SPEC, "--run-date", "2025-12-31");
    assertEquals(0, after.exitCode(), after.out() + after.err());
    JsonNode out = after.json().get("outputs");
    assertEquals("DRIFT", out.get("status").asText(), after.out());
    assertTrue(out.get("drifted").asBoolean());
    assertEquals(List.of("amount", "category", "channel"), texts(out.get("drifted_columns")).stream().sorted().toList(), after.out());
    assertEquals(List.of("amount"), texts(out.get("critical_drifted")));
    assertFalse(out.get("profile_reused").asBoolean());
    assertEquals(2, out.get("spark_jobs").asInt());
    assertTrue(after.out().contains("data set: DRIFT"), after.out());

    String html = Files.readString(Path.of(out.get("report_html").asText()));
    assertTrue(html.contains("subscriptions"), "the new category is named in the report");
    assertTrue(html.contains("<svg"));
    JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Path.of(out.get("report_json").asText()).toFile());
    JsonNode category = StreamSupport.stream(report.get("columns").spliterator(), false)
        .filter(c -> c.get("column").asText().equals("category")).findFirst().orElseThrow();
    double unseen = StreamSupport.stream(category.get("metrics").spliterator(), false)
        .filter(m -> m.get("method").asText().equals("unseen_share")).findFirst().orElseThrow().get("value").asDouble();
    assertTrue(unseen > 0.01, "share of the new category: " + unseen);
    assertTrue(report.get("segments").size() >= 3 * 2, "per gender");

    // Same date again: the stored profile is reused, the metrics rows replaced, not added.
    long rows = spark().table("drift_job_test.drift_metrics").count();
    Launch.Result again = lakeops("drift", "--spec", SPEC, "--run-date", "2025-12-31", "--fail-on-drift");
    assertEquals(5, again.exitCode(), again.out() + again.err());
    assertEquals("DRIFT_DETECTED", again.json().get("status").asText());
    assertTrue(again.json().get("outputs").get("profile_reused").asBoolean());
    assertEquals(1, again.json().get("outputs").get("spark_jobs").asInt());
    assertEquals(rows, spark().table("drift_job_test.drift_metrics").count());

    // Before the drift start: nothing drifts, and --fail-on-drift exits 0.
    Launch.Result before = lakeops("drift", "--spec", SPEC, "--run-date", "2025-10-31", "--fail-on-drift");
    assertEquals(0, before.exitCode(), before.out() + before.err());
    JsonNode b = before.json().get("outputs");
    assertFalse(b.get("drifted").asBoolean(), before.out());
    assertEquals(List.of(), texts(b.get("drifted_columns")), before.out());
    assertEquals(2, spark().sql("SELECT DISTINCT run_date FROM drift_job_test.drift_metrics "
        + "WHERE report_name = 'demo_transactions'").count());
  }

  @Test
  void aTrainingSetReferenceReadsItsPinnedVersionAndAnUnknownIdNamesTheClosest() throws IOException {
    spark().sql("CREATE DATABASE IF NOT EXISTS drift_job_test");
    // Version 0 of the training set's table is like the current orders; version 1 (a later
    // rebuild) is not, and has fewer rows. The manifest pins version 0.
    spark().range(0, 3000).selectExpr("10 + randn(1) AS amount",
            "CASE WHEN id % 3 = 0 THEN 'app' ELSE 'web' END AS channel",
            "date_add(DATE'2025-01-01', CAST(id % 60 AS INT)) AS txn_date")
        .write().format("delta").mode("overwrite").saveAsTable("drift_job_test.churn_ts");
    spark().range(0, 2000).selectExpr("40 + randn(2) AS amount", "'app' AS channel",
            "date_add(DATE'2025-01-01', CAST(id % 60 AS INT)) AS txn_date")
        .write().format("delta").mode("overwrite").saveAsTable("drift_job_test.churn_ts");
    spark().sql("CREATE OR REPLACE TABLE drift_job_test.training_sets (training_set_id STRING, "
        + "output_table STRING, output_version BIGINT, created_at TIMESTAMP) USING delta");
    spark().sql("INSERT INTO drift_job_test.training_sets VALUES "
        + "('demo_churn-0001', 'drift_job_test.churn_ts', 0, TIMESTAMP'2025-02-01 00:00:00')");
    spark().range(0, 3000).selectExpr("10 + randn(3) AS amount",
            "CASE WHEN id % 3 = 0 THEN 'app' ELSE 'web' END AS channel",
            "date_add(DATE'2025-03-01', CAST(id % 30 AS INT)) AS txn_date")
        .write().format("delta").mode("overwrite").saveAsTable("drift_job_test.orders");
    Path spec = dir.resolve("training_set_reference.conf");
    Files.writeString(spec, String.join("\n",
        "source { table = drift_job_test.orders, time-column = txn_date }",
        "reference { training-set = \"demo_churn-0001\" }",
        "columns { numeric = [amount], categorical = [channel] }"));
    String manifest = "-Dlakeops.features.tables.training-sets=drift_job_test.training_sets";

    Launch.Result r = lakeops("drift", "--spec", spec.toString(), "--run-date", "2025-03-30", manifest);
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode out = r.json().get("outputs");
    assertEquals(3000, out.get("reference_rows").asLong(), "the pinned version's rows: " + r.out());
    assertEquals(List.of(), texts(out.get("drifted_columns")), r.out());

    Files.writeString(spec, Files.readString(spec).replace("demo_churn-0001", "demo_churn-001"));
    Launch.Result unknown = lakeops("drift", "--spec", spec.toString(), "--run-date", "2025-03-30", manifest);
    assertEquals(2, unknown.exitCode(), unknown.out() + unknown.err());
    String message = unknown.json().get("message").asText();
    assertTrue(message.contains("Cannot find training set 'demo_churn-001' in drift_job_test.training_sets "
        + "(reference.training-set of " + spec + "). The closest id is 'demo_churn-0001'."), message);
  }

  @Test
  void specTyposStopTheJobBeforeSparkWithTheClosestKey() throws IOException {
    Path spec = dir.resolve("typo.conf");
    Files.writeString(spec, String.join("\n",
        "source { table = demo.transactions, time-column = txn_date }",
        "reference { from = \"2025-06-01\", to = \"2025-08-31\" }",
        "columns { numeric = [amount], categorial = [channel] }",
        "thresholds { psi = 0.05 }"));
    Launch.SharedSessions sessions = new Launch.SharedSessions(SparkTestBase::spark);
    Launch.Result r = lakeops(sessions, "drift", "--spec", spec.toString(), "--run-date", "2025-12-31");
    assertEquals(2, r.exitCode(), r.out() + r.err());
    assertEquals(0, sessions.created.get(), "no Spark session for a bad spec");
    String message = r.json().get("message").asText();
    assertTrue(message.contains("Unknown key 'columns.categorial'. The closest known key is 'columns.categorical'."), message);
    assertTrue(message.contains(spec + " line 3"), message);
    assertTrue(message.contains("Cannot set psi-warning to 0.1, the value must not exceed psi (0.05)"), message);
  }
}

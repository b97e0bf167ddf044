package io.lakeops.jobs.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeops.jobs.Launch;
import io.lakeops.testing.SharedData;
import io.lakeops.testing.SharedDataCondition;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped adult_census definition on the raw UCI files, with counts checked against an
 * oracle that reads the same files with plain Java (no Spark, no LakeOps code).
 */
@SharedData
class AdultIngestTest extends SparkTestBase {

  private static final Path ROOT = Path.of(System.getProperty("lakeops.root", "..")).toAbsolutePath().normalize();

  @TempDir
  Path dir;

  /** Counts by reading adult.data and adult.test line by line. */
  record Oracle(long dataRows, long banner, long blank, Map<String, Long> missingByColumn, long rowsWithMissing) {}

  static Oracle oracle() throws IOException {
    String[] names = {"age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
        "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week",
        "native_country", "income"};
    long data = 0, banner = 0, blank = 0, withMissing = 0;
    Map<String, Long> missing = new HashMap<>();
    Path raw = SharedDataCondition.sharedDataDir().resolve("adult/raw");
    for (String file : List.of("adult.data", "adult.test")) {
      for (String line : Files.readAllLines(raw.resolve(file))) {
        if (line.isBlank()) {
          blank++;
        } else if (line.startsWith("|1x3 Cross validator")) {
          banner++;
        } else {
          data++;
          String[] fields = line.split(",");
          boolean any = false;
          for (int i = 0; i < fields.length; i++) {
            if (fields[i].trim().equals("?")) {
              missing.merge(names[i], 1L, Long::sum);
              any = true;
            }
          }
          withMissing += any ? 1 : 0;
        }
      }
    }
    return new Oracle(data, banner, blank, missing, withMissing);
  }

  private Launch.Result ingest(Path definitions) {
    return Launch.run(ROOT, new Launch.SharedSessions(SparkTestBase::spark), Map.of(),
        "ingest", "--group", "adult_census", "--run-date", "2026-01-01",
        "-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"),
        "-Dlakeops.features.definitions-dir=" + definitions,
        "-Dlakeops.features.database=adult_test",
        "-Dlakeops.features.tables.quarantine=adult_test.quarantine",
        "-Dlakeops.features.tables.validation-results=adult_test.validation_results",
        "-Dlakeops.job-runs.enabled=false");
  }

  @Test
  void theShippedDefinitionTakesEveryRowAndCountsWhatItSkipped() throws IOException {
    Oracle o = oracle();
    assertEquals(48_842, o.dataRows());
    Path defs = Files.createDirectories(dir.resolve("shipped"));
    Files.copy(ROOT.resolve("conf/features/adult_census.conf"), defs.resolve("adult_census.conf"));
    Launch.Result r = ingest(defs);
    assertEquals(0, r.exitCode(), r.err());
    JsonNode counts = r.json().get("outputs").get("counts");
    assertEquals(o.dataRows(), counts.get("input_rows").asLong());
    assertEquals(o.dataRows(), counts.get("accepted").asLong());
    assertEquals(0, counts.get("quarantined").asLong());
    assertEquals(o.banner(), counts.get("skipped_lines").asLong());
    assertEquals(o.blank(), counts.get("blank_lines").asLong());
    // Missing shares are measured exactly: "?" is a null marker.
    Map<String, Double> shares = new HashMap<>();
    spark().sql("SELECT column, metric FROM adult_test.validation_results WHERE check = 'missing_share' "
        + "AND run_id = '" + r.json().get("run_id").asText() + "'")
        .collectAsList().forEach(x -> shares.put(x.getString(0), x.getDouble(1)));
    for (String column : List.of("workclass", "occupation", "native_country")) {
      assertEquals((double) o.missingByColumn().get(column) / o.dataRows(), shares.get(column), 1e-12, column);
    }
    // adult.test's labels lose their trailing dot: every label is one of the two classes.
    List<Row> labels = spark().sql("SELECT income, count(*) FROM adult_test.adult_census_ingested "
        + "GROUP BY income ORDER BY income").collectAsList();
    assertEquals(List.of(Row.fromSeq(scala.collection.JavaConverters.asScalaBuffer(List.<Object>of("<=50K", 37_155L)).toSeq()),
        Row.fromSeq(scala.collection.JavaConverters.asScalaBuffer(List.<Object>of(">50K", 11_687L)).toSeq())), labels);
  }

  @Test
  void aStrictVariantQuarantinesExactlyTheRowsWithMissingValuesAndIsRejected() throws IOException {
    Oracle o = oracle();
    Path defs = Files.createDirectories(dir.resolve("strict"));
    String strict = Files.readString(ROOT.resolve("conf/features/adult_census.conf"))
        .replace("{ name = workclass, type = string,", "{ name = workclass, type = string, not-null = true,")
        .replace("{ name = occupation, type = string }", "{ name = occupation, type = string, not-null = true }")
        .replace("{ name = native_country, type = string }", "{ name = native_country, type = string, not-null = true }")
        .replace("max-rejected-share = 0.1", "max-rejected-share = 0.05");
    Files.writeString(defs.resolve("adult_census.conf"), strict);
    String ingested = "adult_test.adult_census_ingested";
    long before = spark().catalog().tableExists(ingested) ? spark().table(ingested).count() : -1;
    Launch.Result r = ingest(defs);
    assertEquals(3, r.exitCode(), r.out() + r.err());
    JsonNode json = r.json();
    assertEquals("INPUT_REJECTED", json.get("status").asText());
    assertEquals(o.rowsWithMissing(), json.get("outputs").get("counts").get("quarantined").asLong());
    assertEquals(3_620, o.rowsWithMissing());
    assertTrue(json.get("message").asText().contains("rejected_share: 3620 of 48842 rows rejected"),
        json.get("message").asText());
    // The batch is rejected as a whole: the ingested table is as it was.
    assertEquals(before, spark().catalog().tableExists(ingested) ? spark().table(ingested).count() : -1);
    assertEquals(0, spark().sql("SELECT * FROM adult_test.validation_results WHERE run_id = '"
        + json.get("run_id").asText() + "' AND check = 'rejected_share' AND passed").count());

    // Every reason is there, once per missing column of the row.
    Map<String, Long> byReason = new HashMap<>();
    spark().sql("SELECT reason, count(*) FROM adult_test.quarantine LATERAL VIEW explode(reasons) r AS reason "
        + "WHERE group_name = 'adult_census' GROUP BY reason").collectAsList()
        .forEach(x -> byReason.put(x.getString(0), x.getLong(1)));
    assertEquals(Map.of(
        "column workclass: missing value (required)", o.missingByColumn().get("workclass"),
        "column occupation: missing value (required)", o.missingByColumn().get("occupation"),
        "column native_country: missing value (required)", o.missingByColumn().get("native_country")), byReason);
    // Rows are kept whole, with their file and line.
    Row first = spark().sql("SELECT source, row_number, raw FROM adult_test.quarantine "
        + "WHERE source LIKE '%adult.test' ORDER BY row_number LIMIT 1").first();
    List<String> testLines = Files.readAllLines(SharedDataCondition.sharedDataDir().resolve("adult/raw/adult.test"));
    assertEquals(testLines.get((int) first.getLong(1) - 1), first.getString(2));
  }
}

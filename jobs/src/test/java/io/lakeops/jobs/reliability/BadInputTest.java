package io.lakeops.jobs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeops.jobs.Launch;
import io.lakeops.testing.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kinds of bad source input IngestJobTest does not cover, through the CLI: bytes that are not
 * UTF-8, old (1900) and far-future event times, an empty file, added and missing columns in a typed
 * source. Each row is accepted or quarantined with its reason, and input = accepted + quarantined;
 * a structural problem rejects the batch (exit 3) naming the file and the column.
 */
class BadInputTest extends SparkTestBase {

  private static final String DB = "bad_input";

  @TempDir
  Path dir;

  private Launch.Result ingest(String group, Path defs) {
    return Launch.run(dir, new Launch.SharedSessions(SparkTestBase::spark), Map.of(),
        "ingest", "--group", group, "--run-date", "2025-03-02",
        "-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"),
        "-Dlakeops.features.definitions-dir=" + defs,
        "-Dlakeops.features.database=" + DB,
        "-Dlakeops.features.tables.quarantine=" + DB + ".quarantine",
        "-Dlakeops.features.tables.validation-results=" + DB + ".validation_results",
        "-Dlakeops.job-runs.table=" + DB + ".job_runs");
  }

  private static String definition(String name, String format, Path path) {
    return """
        name = %s
        entity-keys = [order_id]
        source {
          format = %s
          path = "%s"
          header = true
          event-time { column = ts, format = "yyyy-MM-dd HH:mm:ss" }
        }
        columns = [
          { name = order_id, type = string, not-null = true, regex = "O[0-9]+" }
          { name = ts, type = string, not-null = true }
          { name = amount, type = double, not-null = true, min = 0 }
        ]
        checks { max-rejected-share = 0.9 }
        """.formatted(name, format, path);
  }

  @Test
  void invalidUtf8AncientAndFutureTimesAreQuarantinedAndCountsReconcile() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path file = dir.resolve("orders.csv");
    Files.writeString(defs.resolve("bad_bytes.conf"), definition("bad_bytes", "csv", file));
    ByteArrayOutputStream csv = new ByteArrayOutputStream();
    byte[] notUtf8 = {(byte) 0xFF, (byte) 0xFE, (byte) 0xC3};
    csv.writeBytes("order_id,ts,amount\n".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes("O1,2025-03-01 10:00:00,1.5\n".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes("O2,2025-03-01 10:00:00,".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes(notUtf8);
    csv.writeBytes("\nO".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes(notUtf8);
    csv.writeBytes(",2025-03-01 11:00:00,2.0\n".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes("O4,2025-03-01 12:00:".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes(notUtf8);
    csv.writeBytes(",2.0\n".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes(("O5,9999-12-31 23:59:59,3.0\n"
        + "O6,2025-03-03 00:00:00,3.0\n"
        + "O7,1900-01-02 00:00:00,4.0\n").getBytes(StandardCharsets.UTF_8));
    Files.write(file, csv.toByteArray());

    Launch.Result r = ingest("bad_bytes", defs);
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode counts = r.json().get("outputs").get("counts");
    assertEquals(7, counts.get("input_rows").asLong());
    assertEquals(counts.get("input_rows").asLong(),
        counts.get("accepted").asLong() + counts.get("quarantined").asLong(), counts.toString());

    Map<Long, List<String>> reasons = new TreeMap<>();
    for (Row q : spark().sql("SELECT row_number, reasons FROM " + DB + ".quarantine WHERE group_name = 'bad_bytes'")
        .collectAsList()) {
      reasons.put(q.getLong(0), q.getList(1));
    }
    // Lines 3-5 carry bytes that are not UTF-8 (each read as U+FFFD): a double, a regex and an
    // event time cannot match them. 9999 and the day after the run date are in the future.
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L), List.copyOf(reasons.keySet()), reasons.toString());
    assertTrue(reasons.get(3L).get(0).startsWith("column amount: value '"), reasons.toString());
    assertTrue(reasons.get(3L).get(0).endsWith("' is not a double"), reasons.toString());
    assertTrue(reasons.get(4L).get(0).startsWith("column order_id: value 'O"), reasons.toString());
    assertTrue(reasons.get(5L).get(0).startsWith("event time column ts: value '2025-03-01 12:00:"), reasons.toString());
    assertEquals(List.of("event time column ts: value '9999-12-31 23:59:59' is after the run date 2025-03-02 (UTC)"),
        reasons.get(6L));
    // An old time is a valid instant: taken as it is, stored in UTC. (Before 1900-01-01 the
    // Parquet writer refuses it under Spark's default rebase mode: see the README, Reliability.)
    assertEquals(2, counts.get("accepted").asLong());
    assertEquals("1900-01-02 00:00:00", spark().sql("SELECT CAST(event_ts AS STRING) FROM " + DB
        + ".bad_bytes_ingested WHERE order_id = 'O7'").first().getString(0));
  }

  @Test
  void anEmptyFileAndTypedSourcesWithAddedOrMissingColumnsRejectTheBatchNamingFileAndColumn() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path empty = Files.createFile(dir.resolve("empty.csv"));
    Path added = dir.resolve("added.json");
    Path missing = dir.resolve("missing.json");
    Files.writeString(added, "{\"order_id\":\"O1\",\"ts\":\"2025-03-01 10:00:00\",\"amount\":1.0,\"coupon\":\"X\"}\n");
    Files.writeString(missing, "{\"order_id\":\"O1\",\"amount\":1.0}\n");
    Files.writeString(defs.resolve("empty_file.conf"), definition("empty_file", "csv", empty));
    Files.writeString(defs.resolve("added_col.conf"), definition("added_col", "json", added).replace("  header = true\n", ""));
    Files.writeString(defs.resolve("missing_col.conf"), definition("missing_col", "json", missing).replace("  header = true\n", ""));

    List<String> messages = new ArrayList<>();
    for (String group : List.of("empty_file", "added_col", "missing_col")) {
      Launch.Result r = ingest(group, defs);
      assertEquals(3, r.exitCode(), group + ": " + r.err());
      assertEquals("INPUT_REJECTED", r.json().get("status").asText());
      messages.add(r.json().get("message").asText());
    }
    assertTrue(messages.get(0).contains("no data rows"), messages.get(0));
    assertTrue(messages.get(1).contains("Cannot ingest " + added + " for group added_col: the source has a "
        + "column 'coupon' that the definition does not declare"), messages.get(1));
    assertTrue(messages.get(2).contains("Cannot ingest " + missing + " for group missing_col: the declared "
        + "column 'ts' is missing from the source"), messages.get(2));
    assertEquals(0, spark().sql("SHOW TABLES IN " + DB + " LIKE '*_col_ingested|empty_file_ingested'").count(),
        "a rejected batch writes no rows");
  }
}

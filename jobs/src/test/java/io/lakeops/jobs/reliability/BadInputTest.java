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
 * UTF-8 (quarantined naming the column, or decoded in the source's declared encoding), old (1900) and far-future event times, an empty file, added and missing columns in a typed
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
    // Lines 3-5 carry bytes that are not UTF-8: named first, then what else fails (a double, a
    // regex and an event time cannot match U+FFFD). 9999 and the day after the run date are in
    // the future.
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L), List.copyOf(reasons.keySet()), reasons.toString());
    assertTrue(reasons.get(3L).get(0).startsWith("column amount: invalid UTF-8: "), reasons.toString());
    assertTrue(reasons.get(3L).get(1).startsWith("column amount: value '"), reasons.toString());
    assertTrue(reasons.get(3L).get(1).endsWith("' is not a double"), reasons.toString());
    assertTrue(reasons.get(4L).get(0).startsWith("column order_id: invalid UTF-8: "), reasons.toString());
    assertTrue(reasons.get(4L).get(1).startsWith("column order_id: value 'O"), reasons.toString());
    assertTrue(reasons.get(5L).get(0).startsWith("column ts: invalid UTF-8: "), reasons.toString());
    assertTrue(reasons.get(5L).get(1).startsWith("event time column ts: value '2025-03-01 12:00:"), reasons.toString());
    assertEquals(List.of("event time column ts: value '9999-12-31 23:59:59' is after the run date 2025-03-02 (UTC)"),
        reasons.get(6L));
    // An old time is a valid instant: taken as it is, stored in UTC. (Before 1900-01-01 the
    // Parquet writer refuses it under Spark's default rebase mode: see the README, Reliability.)
    assertEquals(2, counts.get("accepted").asLong());
    assertEquals("1900-01-02 00:00:00", spark().sql("SELECT CAST(event_ts AS STRING) FROM " + DB
        + ".bad_bytes_ingested WHERE order_id = 'O7'").first().getString(0));
  }

  /**
   * A free-text column (no type, regex or allowed values to catch U+FFFD) with bytes that are not
   * UTF-8: the row is quarantined with a reason naming the column and "invalid UTF-8", where it was
   * accepted before. A real U+FFFD (valid UTF-8) and quoted text with the delimiter pass. A file
   * declared as ISO-8859-1 is decoded with it, so the same byte is a letter there.
   */
  @Test
  void invalidUtf8InAFreeTextColumnIsQuarantinedNamingTheColumnUnlessTheSourceDeclaresItsEncoding() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path utf8 = dir.resolve("notes.csv");
    Path latin1 = dir.resolve("notes-latin1.csv");
    String columns = """
        columns = [
          { name = order_id, type = string, not-null = true }
          { name = ts, type = string, not-null = true }
          { name = note, type = string }
        ]
        checks { max-rejected-share = 0.9 }
        """;
    String source = """
        name = %s
        entity-keys = [order_id]
        source {
          format = csv
          path = "%s"
          header = true
          event-time { column = ts, format = "yyyy-MM-dd HH:mm:ss" }
          %s
        }
        """;
    Files.writeString(defs.resolve("notes_utf8.conf"), source.formatted("notes_utf8", utf8, "") + columns);
    Files.writeString(defs.resolve("notes_latin1.conf"),
        source.formatted("notes_latin1", latin1, "options { encoding = \"ISO-8859-1\" }") + columns);
    ByteArrayOutputStream csv = new ByteArrayOutputStream();
    csv.writeBytes("order_id,ts,note\n".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes("O1,2025-03-01 10:00:00,caf\u00e9 ok \uFFFD\n".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes("O2,2025-03-01 10:00:00,caf".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes(new byte[] {(byte) 0xE9}); // ISO-8859-1 e-acute: not UTF-8
    csv.writeBytes("\nO3,2025-03-01 11:00:00,\"a, b ".getBytes(StandardCharsets.UTF_8));
    csv.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xC3});
    csv.writeBytes("\"\nO4,2025-03-01 12:00:00,\"a, b\"\n".getBytes(StandardCharsets.UTF_8));
    Files.write(utf8, csv.toByteArray());

    Launch.Result r = ingest("notes_utf8", defs);
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode counts = r.json().get("outputs").get("counts");
    assertEquals(4, counts.get("input_rows").asLong());
    assertEquals(2, counts.get("accepted").asLong(), counts.toString());
    assertEquals(2, counts.get("quarantined").asLong(), counts.toString());
    Map<Long, List<String>> reasons = new TreeMap<>();
    for (Row q : spark().sql("SELECT row_number, reasons FROM " + DB + ".quarantine WHERE group_name = 'notes_utf8'")
        .collectAsList()) {
      reasons.put(q.getLong(0), q.getList(1));
    }
    assertEquals(List.of(3L, 4L), List.copyOf(reasons.keySet()), reasons.toString());
    for (long line : List.of(3L, 4L)) {
      assertEquals(1, reasons.get(line).size(), reasons.toString());
      assertTrue(reasons.get(line).get(0).startsWith("column note: invalid UTF-8: "), reasons.toString());
    }
    assertEquals(List.of("caf\u00e9 ok \uFFFD", "a, b"), spark().sql("SELECT note FROM " + DB
        + ".notes_utf8_ingested ORDER BY order_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList());

    // JSON: a record with such bytes is quarantined naming the column (Spark cannot parse it), and
    // so is broken JSON, instead of rejecting the batch for an undeclared _corrupt_record column.
    Path json = dir.resolve("notes.json");
    Files.writeString(defs.resolve("notes_json.conf"), source.formatted("notes_json", json, "")
        .replace("csv", "json").replace("header = true", "") + columns);
    ByteArrayOutputStream records = new ByteArrayOutputStream();
    records.writeBytes("{\"order_id\":\"O1\",\"ts\":\"2025-03-01 10:00:00\",\"note\":\"ok\"}\n".getBytes(StandardCharsets.UTF_8));
    records.writeBytes("{\"order_id\":\"O2\",\"ts\":\"2025-03-01 10:00:00\",\"note\":\"caf".getBytes(StandardCharsets.UTF_8));
    records.writeBytes(new byte[] {(byte) 0xE9});
    records.writeBytes("\"}\n{\"order_id\":\"O3\", broken\n".getBytes(StandardCharsets.UTF_8));
    Files.write(json, records.toByteArray());
    Launch.Result j = ingest("notes_json", defs);
    assertEquals(0, j.exitCode(), j.out() + j.err());
    JsonNode jc = j.json().get("outputs").get("counts");
    assertEquals(List.of(3L, 1L, 2L), List.of(jc.get("input_rows").asLong(), jc.get("accepted").asLong(),
        jc.get("quarantined").asLong()), jc.toString());
    List<String> jsonReasons = spark().sql("SELECT concat_ws(' | ', reasons) FROM " + DB
            + ".quarantine WHERE group_name = 'notes_json' ORDER BY raw")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertTrue(jsonReasons.get(0).startsWith("column note: invalid UTF-8: "), jsonReasons.toString());
    assertTrue(jsonReasons.get(1).startsWith("malformed record: not valid JSON"), jsonReasons.toString());

    // The same kind of byte in a file declared ISO-8859-1 is a letter.
    Files.write(latin1, ("order_id,ts,note\nO1,2025-03-01 10:00:00,caf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1));
    Launch.Result l = ingest("notes_latin1", defs);
    assertEquals(0, l.exitCode(), l.out() + l.err());
    assertEquals(1, l.json().get("outputs").get("counts").get("accepted").asLong(), l.out());
    assertEquals("caf\u00e9", spark().sql("SELECT note FROM " + DB + ".notes_latin1_ingested").first().getString(0));
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

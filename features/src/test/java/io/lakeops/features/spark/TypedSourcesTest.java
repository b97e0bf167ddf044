package io.lakeops.features.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.features.IngestResult;
import io.lakeops.features.definition.Checks;
import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.ColumnType;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.SourceSpec;
import io.lakeops.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON files and Delta tables go through the same row checks as text. */
class TypedSourcesTest extends SparkTestBase {

  private static final LocalDate RUN_DATE = LocalDate.of(2024, 3, 1);

  @TempDir
  Path dir;

  private static FeatureGroup group(String name, String format, Optional<String> path, Optional<String> table) {
    SourceSpec source = new SourceSpec(format, path, table, true, ",", false, List.of(), List.of(),
        "ts", "", "UTC", Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    List<ColumnSpec> columns = List.of(
        new ColumnSpec("id", ColumnType.STRING, "", true, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("ts", ColumnType.TIMESTAMP, "", true, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("amount", ColumnType.DOUBLE, "", true, Optional.of(0.0), Optional.empty(), List.of(), Optional.empty(), Optional.empty()));
    return new FeatureGroup(name, "", "", List.of(), 1, List.of("id"), source, columns, true,
        new Checks(0.9, Map.of(), Map.of(), List.of(), Optional.empty(), 7), List.of(), List.of(),
        Duration.ofDays(30), "test");
  }

  private static final FeatureTables TABLES = new FeatureTables("typed_test", "typed_test.quarantine",
      "typed_test.validation_results", "typed_test.feature_catalog");

  private static List<String> reasons(String group) {
    return spark().sql("SELECT reasons FROM typed_test.quarantine WHERE group_name = '" + group
        + "' ORDER BY raw").collectAsList().stream().map(r -> String.join("; ", r.<String>getList(0))).toList();
  }

  @Test
  void jsonRecordsAreValidatedAndQuarantinedAsJson() throws Exception {
    Path json = Files.writeString(dir.resolve("orders.json"), """
        {"id": "a", "ts": "2024-03-01T10:00:00Z", "amount": 5.0}
        {"id": "b", "ts": "2024-03-01T11:00:00Z", "amount": -2.0}
        {"id": null, "ts": "2024-03-01T12:00:00Z", "amount": 1.0}
        {"id": "d", "ts": "2024-03-02T12:00:00Z", "amount": 1.0}
        """);
    IngestResult r = new IngestJob(spark(), TABLES).run(group("json_orders", "json",
        Optional.of(json.toString()), Optional.empty()), RUN_DATE, "run-json", Instant.now(), Map.of());
    assertEquals(4, r.dataRows());
    assertEquals(1, r.accepted());
    assertEquals(3, r.quarantined());
    assertEquals(List.of(
        "column amount: value -2.0 is below the minimum 0",
        "event time column ts: value '2024-03-02T12:00:00Z' is after the run date 2024-03-01 (UTC)",
        "column id: missing value (required)"), reasons("json_orders"));
    Row kept = spark().table("typed_test.json_orders_ingested").first();
    assertEquals("a", kept.getAs("id"));
    assertEquals(Instant.parse("2024-03-01T10:00:00Z"), ((java.sql.Timestamp) kept.getAs("event_ts")).toInstant());
  }

  @Test
  void deltaTablesAreASource() {
    spark().sql("CREATE DATABASE IF NOT EXISTS typed_src");
    spark().sql("CREATE OR REPLACE TABLE typed_src.orders USING delta AS SELECT * FROM VALUES "
        + "('a', TIMESTAMP '2024-03-01 10:00:00', 5.0D), ('a', TIMESTAMP '2024-03-01 10:00:00', 6.0D), "
        + "('c', TIMESTAMP '2024-02-28 09:00:00', double('NaN')) AS v(id, ts, amount)");
    IngestResult r = new IngestJob(spark(), TABLES).run(group("delta_orders", "delta", Optional.empty(),
        Optional.of("typed_src.orders")), RUN_DATE, "run-delta", Instant.now(), Map.of());
    assertEquals(3, r.dataRows());
    assertEquals(0, r.accepted());
    assertEquals(3, r.quarantined());
    List<String> reasons = reasons("delta_orders");
    assertEquals(2, reasons.stream().filter(x -> x.startsWith("duplicate (keys, event time): id=a, event_ts=2024-03-01 10:00:00 appears 2 times")).count(), reasons.toString());
    assertTrue(reasons.contains("column amount: value 'NaN' is not a finite number"), reasons.toString());
  }
}

package io.lakeops.features.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.features.IngestResult;
import io.lakeops.features.MaterializeResult;
import io.lakeops.features.definition.Checks;
import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.ColumnType;
import io.lakeops.features.definition.DerivedFeature;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.SourceSpec;
import io.lakeops.features.definition.WindowAggregate;
import io.lakeops.features.definition.WindowAggregate.Function;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Materialisation against a brute-force oracle: plain loops over the generated events compute
 * every windowed aggregate, days_since_previous and the derived feature for every output row.
 */
class MaterializeJobTest extends SparkTestBase {

  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private static final LocalDate START = LocalDate.of(2024, 1, 1);
  private static final String[] CATEGORIES = {"a", "b", "c"};

  @TempDir
  Path dir;

  record Event(String key, Instant ts, double amount, String category) {}

  private static List<Event> events(long seed) {
    Random r = new Random(seed);
    List<Event> events = new ArrayList<>();
    for (int k = 0; k < 12; k++) {
      String key = "k" + k;
      for (int day = 0; day < 50; day++) {
        if (r.nextDouble() < 0.3) {
          int n = 1 + r.nextInt(3);
          Instant base = START.plusDays(day).atStartOfDay(ZoneOffset.UTC).toInstant()
              .plusSeconds(r.nextInt(86_400));
          for (int i = 0; i < n; i++) {
            // Same instant for some, later the same day for others.
            Instant ts = r.nextBoolean() ? base : base.plusSeconds(r.nextInt(3600));
            events.add(new Event(key, ts, Math.round(r.nextDouble() * 10000) / 100.0, CATEGORIES[r.nextInt(3)]));
          }
        }
      }
      // Exactly at a 7-day boundary: the event 7 days before must fall out of the window.
      Instant edge = START.plusDays(55).atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(3600);
      events.add(new Event(key, edge.minus(Duration.ofDays(7)), 1.0, "a"));
      events.add(new Event(key, edge, 2.0, "b"));
    }
    return events;
  }

  private static FeatureGroup group(String name, Path csv) {
    SourceSpec source = new SourceSpec("csv", Optional.of(csv.toString()), Optional.empty(), true,
        ",", true, List.of(), List.of(), "ts", "yyyy-MM-dd HH:mm:ss", "UTC", Optional.empty(),
        Optional.empty(), Optional.empty(), Map.of());
    List<ColumnSpec> columns = List.of(
        new ColumnSpec("customer_id", ColumnType.STRING, "", true, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("ts", ColumnType.STRING, "", true, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("amount", ColumnType.DOUBLE, "Order amount", true, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("category", ColumnType.STRING, "", false, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty()));
    List<WindowAggregate> aggregates = List.of(
        new WindowAggregate("orders_7d", Function.COUNT, Optional.empty(), 7, "Orders in 7 days"),
        new WindowAggregate("spend_7d", Function.SUM, Optional.of("amount"), 7, ""),
        new WindowAggregate("avg_30d", Function.AVG, Optional.of("amount"), 30, ""),
        new WindowAggregate("min_30d", Function.MIN, Optional.of("amount"), 30, ""),
        new WindowAggregate("max_30d", Function.MAX, Optional.of("amount"), 30, ""),
        new WindowAggregate("categories_30d", Function.COUNT_DISTINCT, Optional.of("category"), 30, ""),
        new WindowAggregate("days_since_previous", Function.DAYS_SINCE_PREVIOUS, Optional.empty(), 10, ""));
    List<DerivedFeature> derived = List.of(new DerivedFeature("avg_order_7d", "spend_7d / orders_7d", "Spend per order"));
    Checks checks = new Checks(0.0, Map.of(), Map.of(), List.of(), Optional.empty(), 7);
    return new FeatureGroup(name, "Test purchases", "tests", List.of("t"), 1, List.of("customer_id"),
        source, columns, false, checks, derived, aggregates, Duration.ofDays(30), "test");
  }

  private static Path writeCsv(Path file, List<Event> events) throws IOException {
    StringBuilder csv = new StringBuilder("customer_id,ts,amount,category\n");
    for (Event e : events) {
      csv.append(e.key()).append(',').append(TS.format(LocalDateTime.ofInstant(e.ts(), ZoneOffset.UTC)))
          .append(',').append(e.amount()).append(',').append(e.category()).append('\n');
    }
    return Files.writeString(file, csv.toString());
  }

  /** The oracle: every feature of every (key, instant) by nested loops. */
  private static Map<String, Map<String, Object>> bruteForce(List<Event> events, LocalDate from, LocalDate to) {
    Map<String, Map<String, Object>> rows = new TreeMap<>();
    Set<String> seen = new HashSet<>();
    for (Event e : events) {
      LocalDate day = LocalDate.ofInstant(e.ts(), ZoneOffset.UTC);
      if (day.isBefore(from) || day.isAfter(to) || !seen.add(e.key() + "@" + e.ts())) {
        continue;
      }
      Map<String, Object> f = new HashMap<>();
      long count7 = 0;
      double sum7 = 0;
      double sum30 = 0;
      long count30 = 0;
      double min30 = Double.MAX_VALUE;
      double max30 = -Double.MAX_VALUE;
      Set<String> cats = new HashSet<>();
      Instant previous = null;
      for (Event o : events) {
        if (!o.key().equals(e.key()) || o.ts().isAfter(e.ts())) {
          continue;
        }
        if (o.ts().isAfter(e.ts().minus(Duration.ofDays(7)))) {
          count7++;
          sum7 += o.amount();
        }
        if (o.ts().isAfter(e.ts().minus(Duration.ofDays(30)))) {
          count30++;
          sum30 += o.amount();
          min30 = Math.min(min30, o.amount());
          max30 = Math.max(max30, o.amount());
          cats.add(o.category());
        }
        if (o.ts().isBefore(e.ts()) && (previous == null || o.ts().isAfter(previous))) {
          previous = o.ts();
        }
      }
      f.put("orders_7d", count7);
      f.put("spend_7d", sum7);
      f.put("avg_30d", sum30 / count30);
      f.put("min_30d", min30);
      f.put("max_30d", max30);
      f.put("categories_30d", (long) cats.size());
      Double gap = previous == null ? null : (e.ts().getEpochSecond() - previous.getEpochSecond()) / 86_400.0;
      f.put("days_since_previous", gap != null && gap <= 10 ? gap : null);
      f.put("avg_order_7d", sum7 / count7);
      rows.put(e.key() + "@" + e.ts(), f);
    }
    return rows;
  }

  private static void assertMatchesOracle(List<Row> actual, Map<String, Map<String, Object>> expected) {
    assertEquals(expected.size(), actual.size(), "rows out");
    for (Row row : actual) {
      String id = row.getAs("customer_id") + "@" + ((java.sql.Timestamp) row.getAs("event_ts")).toInstant();
      Map<String, Object> want = expected.get(id);
      assertTrue(want != null, "unexpected row " + id);
      for (Map.Entry<String, Object> e : want.entrySet()) {
        Object got = row.getAs(e.getKey());
        if (e.getValue() == null) {
          assertNull(got, id + " " + e.getKey());
        } else if (e.getValue() instanceof Double d) {
          assertEquals(d, ((Number) got).doubleValue(), 1e-9, id + " " + e.getKey());
        } else {
          assertEquals(e.getValue(), ((Number) got).longValue(), id + " " + e.getKey());
        }
      }
    }
  }

  @Test
  void featuresEqualTheBruteForceOracleAndReRunsLeaveIdenticalRows() throws Exception {
    List<Event> events = events(7);
    Path csv = writeCsv(dir.resolve("events.csv"), events);
    FeatureTables tables = new FeatureTables("mat_test", "mat_test.quarantine",
        "mat_test.validation_results", "mat_test.feature_catalog");
    FeatureGroup group = group("purchases", csv);
    IngestResult ingest = new IngestJob(spark(), tables).run(group, START.plusDays(60), "run-1",
        Instant.parse("2024-03-01T00:00:00Z"), Map.of());
    assertTrue(ingest.passed(), ingest.toString());
    assertEquals(events.size(), ingest.accepted());

    // Backfill in chunks, two at a time, then compare every row with the oracle.
    BackfillJob.Result backfill = new BackfillJob(spark(), tables).run(group, START.plusDays(20),
        START.plusDays(59), 10, 2, "backfill-1", line -> { });
    assertEquals(4, backfill.chunks());
    String table = tables.features(group);
    List<Row> rows = spark().table(table).collectAsList();
    assertMatchesOracle(rows, bruteForce(events, START.plusDays(20), START.plusDays(59)));

    // Resuming finds every chunk done.
    BackfillJob.Result again = new BackfillJob(spark(), tables).run(group, START.plusDays(20),
        START.plusDays(59), 10, 2, "backfill-2", line -> { });
    assertEquals(4, again.skipped());

    // Materialising a day twice leaves identical rows, created_ts included.
    LocalDate day = START.plusDays(55);
    List<Row> before = spark().table(table).orderBy("customer_id", "event_ts").collectAsList();
    MaterializeResult r = new MaterializeJob(spark(), tables).run(group, day, day, Instant.parse("2030-01-01T00:00:00Z"));
    assertEquals(0, r.inserted() + r.updated() + r.deleted(), r.toString());
    assertEquals(before, spark().table(table).orderBy("customer_id", "event_ts").collectAsList());

    // Changed input: the changed row gets new values and a new created_ts; a vanished event's row goes.
    List<Event> changed = new ArrayList<>(events);
    Event edge = changed.stream().filter(e -> e.key().equals("k0") && e.amount() == 2.0
        && LocalDate.ofInstant(e.ts(), ZoneOffset.UTC).equals(day)).findFirst().orElseThrow();
    changed.set(changed.indexOf(edge), new Event("k0", edge.ts(), 5.0, "b"));
    Event removed = changed.stream().filter(e -> e.key().equals("k1") && e.amount() == 2.0
        && LocalDate.ofInstant(e.ts(), ZoneOffset.UTC).equals(day)).findFirst().orElseThrow();
    changed.remove(removed);
    writeCsv(csv, changed);
    new IngestJob(spark(), tables).run(group, START.plusDays(60), "run-2", Instant.parse("2024-03-02T00:00:00Z"), Map.of());
    Instant later = Instant.parse("2031-01-01T00:00:00Z");
    MaterializeResult r2 = new MaterializeJob(spark(), tables).run(group, day, day, later);
    assertEquals(1, r2.deleted(), r2.toString());
    assertTrue(r2.updated() >= 1, r2.toString());
    List<Row> dayRows = spark().table(table).where("event_date = DATE'" + day + "'").collectAsList();
    assertMatchesOracle(dayRows, bruteForce(changed, day, day));
    Row k0 = dayRows.stream().filter(x -> x.getAs("customer_id").equals("k0")
        && ((java.sql.Timestamp) x.getAs("event_ts")).toInstant().equals(edge.ts())).findFirst().orElseThrow();
    assertEquals(later, ((java.sql.Timestamp) k0.getAs("created_ts")).toInstant());
    long unchanged = dayRows.stream().filter(x -> !((java.sql.Timestamp) x.getAs("created_ts")).toInstant().equals(later)).count();
    assertTrue(unchanged > 0, "rows whose values did not change keep their created_ts");
    for (Row x : spark().table(table).where("event_date <> DATE'" + day + "'").collectAsList()) {
      assertNotEquals(later, ((java.sql.Timestamp) x.getAs("created_ts")).toInstant());
    }

    // Table properties, comments and the catalog.
    Map<String, String> props = new HashMap<>();
    spark().sql("SHOW TBLPROPERTIES " + table).collectAsList().forEach(p -> props.put(p.getString(0), p.getString(1)));
    assertEquals("1", props.get("lakeops.definition-version"));
    assertEquals("customer_id", props.get("lakeops.entity-keys"));
    String comment = spark().sql("DESCRIBE TABLE " + table).where("col_name = 'orders_7d'").first().getString(2);
    assertEquals("Orders in 7 days", comment);
    List<Row> catalog = spark().table(tables.catalog()).where("group_name = 'purchases'").orderBy("feature").collectAsList();
    assertEquals(8, catalog.size());
    Row spend = catalog.stream().filter(c -> c.getAs("feature").equals("spend_7d")).findFirst().orElseThrow();
    assertEquals("sum(amount) over 7 days", spend.getAs("expression"));
    assertEquals("double", spend.getAs("data_type"));
    assertEquals(dayRows.size(), (long) spend.getAs("stats_rows"));
    double meanSpend = dayRows.stream().mapToDouble(x -> x.<Double>getAs("spend_7d")).average().orElseThrow();
    assertEquals(meanSpend, (double) spend.getAs("stats_mean"), 1e-9);
  }
}

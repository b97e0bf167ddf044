package io.lakeops.jobs.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.jobs.Launch;
import io.lakeops.testing.SharedData;
import io.lakeops.testing.SharedDataCondition;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CDNOW's raw purchase log through the shipped cdnow_customers definition: ingest, backfill the
 * whole 18 months, and compare the features of sampled customers with values computed by hand
 * from the raw file (plain loops over its lines).
 */
@SharedData
class CdnowFeaturesTest extends SparkTestBase {

  private static final Path ROOT = Path.of(System.getProperty("lakeops.root", "..")).toAbsolutePath().normalize();
  private static final DateTimeFormatter YYYYMMDD = DateTimeFormatter.ofPattern("yyyyMMdd");

  @TempDir
  Path dir;

  record Purchase(String customer, LocalDate date, int cds, double dollars) {}

  private Launch.Result lakeops(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"),
        "-Dlakeops.features.definitions-dir=" + ROOT.resolve("conf/features"),
        "-Dlakeops.features.database=cdnow_test",
        "-Dlakeops.features.tables.quarantine=cdnow_test.quarantine",
        "-Dlakeops.features.tables.validation-results=cdnow_test.validation_results",
        "-Dlakeops.features.tables.feature-catalog=cdnow_test.feature_catalog",
        "-Dlakeops.job-runs.table=cdnow_test.job_runs"));
    return Launch.run(ROOT, new Launch.SharedSessions(SparkTestBase::spark), Map.of(), all.toArray(String[]::new));
  }

  @Test
  void customerFeaturesAsOfEachPurchaseDateMatchHandComputedValues() throws IOException {
    List<Purchase> log = new ArrayList<>();
    for (String line : Files.readAllLines(SharedDataCondition.sharedDataDir().resolve("cdnow/raw/CDNOW_master.txt"))) {
      String[] f = line.strip().split("\\s+");
      if (f[0].equals("customer_id")) {
        continue;
      }
      log.add(new Purchase(f[0], LocalDate.parse(f[1], YYYYMMDD), Integer.parseInt(f[2]), Double.parseDouble(f[3])));
    }
    assertEquals(69_659, log.size());

    Launch.Result ingest = lakeops("ingest", "--group", "cdnow_customers", "--run-date", "1998-06-30");
    assertEquals(0, ingest.exitCode(), ingest.out() + ingest.err());
    assertEquals(69_659, ingest.json().get("outputs").get("counts").get("accepted").asLong());
    assertEquals(1, ingest.json().get("outputs").get("counts").get("header_lines").asLong());

    Launch.Result backfill = lakeops("backfill", "--group", "cdnow_customers", "--from", "1997-01-01",
        "--to", "1998-06-30", "--chunk-days", "300", "--parallelism", "2");
    assertEquals(0, backfill.exitCode(), backfill.out() + backfill.err());
    assertTrue(backfill.out().contains("backfill cdnow_customers: 2/2 chunks done"), backfill.out());

    // One row per customer and purchase day.
    long days = log.stream().map(p -> p.customer() + p.date()).distinct().count();
    assertEquals(days, spark().table("cdnow_test.cdnow_customers").count());

    // Hand-computed features of every purchase day of some customers.
    Map<String, TreeMap<LocalDate, double[]>> byCustomer = new TreeMap<>();
    for (String customer : List.of("00001", "00002", "00011", "00052", "00106", "01234", "12345", "23570")) {
      TreeMap<LocalDate, double[]> expected = new TreeMap<>();
      List<Purchase> mine = log.stream().filter(p -> p.customer().equals(customer)).toList();
      for (Purchase p : mine) {
        LocalDate asOf = p.date();
        double[] f = new double[8];
        LocalDate previous = null;
        for (Purchase q : mine) {
          long age = asOf.toEpochDay() - q.date().toEpochDay();
          if (age < 0) {
            continue;
          }
          if (age < 30) { f[0]++; f[3] += q.dollars(); }
          if (age < 90) { f[1]++; f[4] += q.dollars(); }
          if (age < 365) { f[2]++; f[5] += q.dollars(); }
          if (age > 0 && (previous == null || q.date().isAfter(previous))) {
            previous = q.date();
          }
        }
        f[6] = previous == null || asOf.toEpochDay() - previous.toEpochDay() > 365 ? Double.NaN
            : asOf.toEpochDay() - previous.toEpochDay();
        f[7] = f[4] / f[1];
        expected.put(asOf, f);
      }
      byCustomer.put(customer, expected);
      List<Row> rows = spark().sql("SELECT * FROM cdnow_test.cdnow_customers WHERE customer_id = '"
          + customer + "' ORDER BY event_ts").collectAsList();
      assertEquals(expected.size(), rows.size(), customer);
      int i = 0;
      for (Map.Entry<LocalDate, double[]> e : expected.entrySet()) {
        Row row = rows.get(i++);
        double[] f = e.getValue();
        String at = customer + " " + e.getKey();
        assertEquals(e.getKey(), ((java.sql.Date) row.getAs("event_date")).toLocalDate(), at);
        assertEquals((long) f[0], (long) row.getAs("purchases_30d"), at);
        assertEquals((long) f[1], (long) row.getAs("purchases_90d"), at);
        assertEquals((long) f[2], (long) row.getAs("purchases_365d"), at);
        assertEquals(f[3], row.<Double>getAs("spend_30d"), 1e-9, at);
        assertEquals(f[4], row.<Double>getAs("spend_90d"), 1e-9, at);
        assertEquals(f[5], row.<Double>getAs("spend_365d"), 1e-9, at);
        if (Double.isNaN(f[6])) {
          assertNull(row.getAs("days_since_last_purchase"), at);
        } else {
          assertEquals(f[6], row.<Double>getAs("days_since_last_purchase"), 1e-9, at);
        }
        assertEquals(f[7], row.<Double>getAs("avg_order_value_90d"), 1e-9, at);
      }
    }

    // Materialising a date again changes nothing; the catalog lists the features.
    List<Row> before = spark().sql("SELECT * FROM cdnow_test.cdnow_customers WHERE event_date = DATE'1997-03-15' "
        + "ORDER BY customer_id").collectAsList();
    Launch.Result again = lakeops("materialize", "--group", "cdnow_customers", "--run-date", "1997-03-15");
    assertEquals(0, again.exitCode(), again.err());
    assertEquals(0, again.json().get("outputs").get("inserted").asLong() + again.json().get("outputs").get("updated").asLong()
        + again.json().get("outputs").get("deleted").asLong());
    assertEquals(before, spark().sql("SELECT * FROM cdnow_test.cdnow_customers WHERE event_date = DATE'1997-03-15' "
        + "ORDER BY customer_id").collectAsList());
    assertEquals(8, spark().sql("SELECT * FROM cdnow_test.feature_catalog WHERE group_name = 'cdnow_customers' "
        + "AND description <> '' AND definition_version = 1").count());

    assertTrainingSet(log, byCustomer, days);
  }

  /**
   * The shipped cdnow_repurchase spec: a spine 30 days after each purchase day with a
   * repurchase-within-90-days label, joined point in time to the features just checked. Spot
   * checks against the raw file: the label, and the features of the latest purchase day on or
   * before the spine date. Then a rebuild reproduces the digest.
   */
  private void assertTrainingSet(List<Purchase> log, Map<String, TreeMap<LocalDate, double[]>> byCustomer,
      long spineRows) {
    Launch.Result built = lakeops("training-set", "--spec",
        ROOT.resolve("conf/training-sets/cdnow_repurchase.conf").toString(),
        "-Dlakeops.training-sets.database=cdnow_test",
        "-Dlakeops.features.tables.training-sets=cdnow_test.training_sets");
    assertEquals(0, built.exitCode(), built.out() + built.err());
    assertEquals("cdnow_repurchase_v1", built.json().get("outputs").get("training_set_id").asText());
    assertEquals(spineRows, built.json().get("rows_out").asLong());
    assertEquals(spineRows, spark().table("cdnow_test.cdnow_repurchase").count());
    for (Map.Entry<String, TreeMap<LocalDate, double[]>> c : byCustomer.entrySet()) {
      List<LocalDate> purchases = log.stream().filter(p -> p.customer().equals(c.getKey()))
          .map(Purchase::date).distinct().sorted().toList();
      List<Row> rows = spark().sql("SELECT * FROM cdnow_test.cdnow_repurchase WHERE customer_id = '"
          + c.getKey() + "' ORDER BY as_of").collectAsList();
      assertEquals(purchases.size(), rows.size(), c.getKey());
      for (int i = 0; i < purchases.size(); i++) {
        Row row = rows.get(i);
        LocalDate asOf = purchases.get(i).plusDays(30);
        String at = c.getKey() + " as of " + asOf;
        assertEquals(asOf, ((java.sql.Date) row.getAs("as_of")).toLocalDate(), at);
        boolean again = purchases.stream().anyMatch(d -> d.isAfter(asOf) && !d.isAfter(asOf.plusDays(90)));
        assertEquals(again ? 1 : 0, (int) row.<Integer>getAs("repurchase_90d"), at);
        LocalDate latest = c.getValue().floorKey(asOf);
        double[] f = c.getValue().get(latest);
        assertEquals(java.sql.Timestamp.from(latest.atStartOfDay(java.time.ZoneOffset.UTC).toInstant()),
            row.getAs("cdnow_customers__feature_ts"), at);
        assertEquals((long) f[1], (long) row.getAs("cdnow_customers__purchases_90d"), at);
        assertEquals(f[5], row.<Double>getAs("cdnow_customers__spend_365d"), 1e-9, at);
      }
    }
    Launch.Result rebuilt = lakeops("training-set", "--rebuild", "cdnow_repurchase_v1",
        "--output-table", "cdnow_test.cdnow_repurchase_rebuilt",
        "-Dlakeops.features.tables.training-sets=cdnow_test.training_sets");
    assertEquals(0, rebuilt.exitCode(), rebuilt.out() + rebuilt.err());
    assertTrue(rebuilt.json().get("outputs").get("digest_matches").asBoolean());
    assertEquals(built.json().get("outputs").get("digest").asText(),
        rebuilt.json().get("outputs").get("digest").asText());
  }
}

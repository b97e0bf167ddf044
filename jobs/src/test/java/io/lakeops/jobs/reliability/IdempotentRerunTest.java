package io.lakeops.jobs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.jobs.Launch;
import io.lakeops.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every job that writes, run twice for the same date, leaves identical content: the digests of
 * every table it writes are equal after the first and the second run (run ids and write times
 * aside; for materialised features {@code created_ts} included, since an unchanged value keeps
 * the time it became known).
 */
class IdempotentRerunTest extends SparkTestBase {

  private static final Path CONF = Path.of(System.getProperty("lakeops.root", "..")).resolve("conf/features")
      .toAbsolutePath().normalize();

  @TempDir
  Path dir;

  private Launch.Result launch(String db, Path defs, String... jobArgs) {
    Launch.Result r = Launch.run(dir, new Launch.SharedSessions(SparkTestBase::spark), Map.of(),
        OrdersFixture.inDatabase(db, dir.resolve("lakehouse"), defs, jobArgs));
    assertEquals(0, r.exitCode(), r.err());
    return r;
  }

  private static Map<String, TableDigest> digests(List<String> tables, Set<String> excluded) {
    Map<String, TableDigest> digests = new LinkedHashMap<>();
    tables.forEach(t -> digests.put(t, TableDigest.of(spark().table(t), excluded)));
    return digests;
  }

  @Test
  void ingestMaterializeAndBackfillTwiceLeaveIdenticalTables() throws Exception {
    String db = "idempotent_jobs";
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("orders.csv");
    Files.writeString(defs.resolve("idem_orders.conf"), OrdersFixture.group("idem_orders", source, """
        checks { max-rejected-share = 0.1 }
        aggregates = [
          { name = orders_2d, function = count, window-days = 2 }
          { name = spend_3d, function = sum, column = amount, window-days = 3 }
          { name = gap_3d, function = days_since_previous, window-days = 3 }
        ]
        """));
    List<String> orders = OrdersFixture.orders(7, 4, 80, 5);
    Files.write(source, orders);
    List<String> ingested = List.of(db + ".idem_orders_ingested", db + ".quarantine");
    List<String> features = List.of(db + ".idem_orders");

    String[] ingest = {"ingest", "--group", "idem_orders", "--run-date", "2025-03-04"};
    launch(db, defs, ingest);
    Map<String, TableDigest> first = digests(ingested, TableDigest.VOLATILE);
    launch(db, defs, ingest);
    assertEquals(first, digests(ingested, TableDigest.VOLATILE), "ingest twice");
    assertEquals(4 * 80 - 5, first.get(db + ".idem_orders_ingested").rows());
    assertEquals(5, first.get(db + ".quarantine").rows());

    // created_ts counts here: a rerun keeps the time a value became known.
    Set<String> runIdsOnly = Set.of();
    String[] materialize = {"materialize", "--group", "idem_orders", "--run-date", "2025-03-03"};
    launch(db, defs, materialize);
    Map<String, TableDigest> materialised = digests(features, runIdsOnly);
    launch(db, defs, materialize);
    assertEquals(materialised, digests(features, runIdsOnly), "materialize twice");

    String[] backfill = {"backfill", "--group", "idem_orders", "--from", "2025-03-01", "--to", "2025-03-04",
        "--chunk-days", "2"};
    launch(db, defs, backfill);
    Map<String, TableDigest> backfilled = digests(features, TableDigest.VOLATILE);
    Launch.Result again = launch(db, defs, backfill);
    assertTrue(again.out().contains("2 chunks of 2 days, 2 already done"), again.out());
    assertEquals(backfilled, digests(features, TableDigest.VOLATILE), "backfill twice");
    assertEquals(4 * 80 - 5, backfilled.get(db + ".idem_orders").rows());
  }

  /**
   * {@code training-set} twice: the same spine, output and one manifest row (the second run
   * reuses the build's id; only the Delta versions it records move on). {@code drift} twice for a
   * date: the same profile, metrics and reports (the second run reuses the stored profile).
   */
  @Test
  void trainingSetAndDriftTwiceLeaveIdenticalTablesAndReports() throws Exception {
    String db = "idempotent_ml";
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("orders.csv");
    Files.writeString(defs.resolve("idem_ml.conf"), OrdersFixture.group("idem_ml", source,
        "aggregates = [ { name = spend_2d, function = sum, column = amount, window-days = 2 } ]"));
    Files.write(source, OrdersFixture.orders(8, 3, 60, 0));
    launch(db, defs, "ingest", "--group", "idem_ml", "--run-date", "2025-03-03");
    launch(db, defs, "backfill", "--group", "idem_ml", "--from", "2025-03-01", "--to", "2025-03-03");

    Path spec = dir.resolve("idem_train.conf");
    Files.writeString(spec, """
        name = idem_train
        spine {
          query = "SELECT customer_id, event_ts AS label_ts, amount > 25 AS big FROM %s.idem_ml_ingested"
          entity-keys = [customer_id]
          time = label_ts
          label = big
        }
        features = ["idem_ml:*"]
        """.formatted(db));
    Set<String> versions = new java.util.HashSet<>(TableDigest.VOLATILE);
    versions.addAll(List.of("spine_version", "output_version", "input_versions"));
    List<String> built = List.of(db + ".idem_train", db + ".idem_train__spine");
    launch(db, defs, "training-set", "--spec", spec.toString());
    Map<String, TableDigest> first = digests(built, TableDigest.VOLATILE);
    TableDigest manifest = TableDigest.of(spark().table(db + ".training_sets"), versions);
    Launch.Result again = launch(db, defs, "training-set", "--spec", spec.toString());
    assertEquals(first, digests(built, TableDigest.VOLATILE), "training-set twice");
    assertEquals(manifest, TableDigest.of(spark().table(db + ".training_sets"), versions), "one manifest row, the same");
    assertEquals(1, manifest.rows());
    assertEquals("idem_train_v1", again.json().get("outputs").get("training_set_id").asText(), "the id is reused");
    assertEquals(180, first.get(db + ".idem_train").rows());

    Path drift = dir.resolve("idem_drift.conf");
    Files.writeString(drift, OrdersFixture.driftSpec("idem_drift",
        "SELECT customer_id, amount, event_date FROM " + db + ".idem_ml_ingested", 4));
    Set<String> computedAt = new java.util.HashSet<>(TableDigest.VOLATILE);
    computedAt.add("computed_at");
    Path report = dir.resolve("lakehouse/results/drift/idem_drift/2025-03-03.json");
    launch(db, defs, "drift", "--spec", drift.toString(), "--run-date", "2025-03-03");
    TableDigest metrics = TableDigest.of(spark().table(db + ".drift_metrics"), computedAt);
    TableDigest profiles = TableDigest.of(spark().table(db + ".drift_profiles"));
    String json = Files.readString(report);
    launch(db, defs, "drift", "--spec", drift.toString(), "--run-date", "2025-03-03");
    assertEquals(metrics, TableDigest.of(spark().table(db + ".drift_metrics"), computedAt), "drift twice");
    assertEquals(profiles, TableDigest.of(spark().table(db + ".drift_profiles")));
    assertTrue(metrics.rows() > 0);
    // The second run reused the stored profile; the report says so, and is otherwise the same.
    String reused = "\"(profile_reused|spark_jobs)\"\\s*:\\s*[a-z0-9]+";
    assertEquals(json.replaceAll(reused, ""), Files.readString(report).replaceAll(reused, ""));
  }

  @Test
  void theDemoTwiceLeavesIdenticalTables() {
    String db = "idempotent_demo";
    String[] demo = {"demo", "-Dlakeops.demo.customers=100", "-Dlakeops.demo.days=150",
        "-Dlakeops.demo.drift-start-date=2025-04-15", "-Dlakeops.demo.database=" + db + "_raw"};
    List<String> tables = List.of(db + "_raw.customers", db + "_raw.transactions", db + "_raw.churn_labels",
        db + ".demo_customer_activity_ingested", db + ".demo_customer_profile_ingested",
        db + ".demo_customer_activity", db + ".demo_customer_profile");
    launch(db, CONF, demo);
    Map<String, TableDigest> first = digests(tables, TableDigest.VOLATILE);
    launch(db, CONF, demo);
    assertEquals(first, digests(tables, TableDigest.VOLATILE));
    assertEquals(100, first.get(db + "_raw.customers").rows());
  }
}

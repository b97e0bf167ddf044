package io.lakeops.jobs.reliability;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.jobs.Launch;
import io.lakeops.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runs of the same job for the same date at the same time ({@code ingest}, {@code materialize},
 * {@code training-set}, {@code drift}) (two threads through the CLI, on
 * the test JVM's session; the embedded Derby metastore admits one JVM, so this is how two runs
 * meet on one local lakehouse). Either both succeed and leave what one run leaves, or Delta
 * refuses one: exit 1 with a message that says so and that a retry is safe. Never duplicates.
 */
class ConcurrentRunsTest extends SparkTestBase {

  private static final String CONFLICT = "another run wrote the same Delta table at the same time";

  @TempDir
  Path dir;

  private Launch.Result launch(String db, String... jobArgs) {
    return Launch.run(dir, new Launch.SharedSessions(SparkTestBase::spark), Map.of(),
        OrdersFixture.inDatabase(db, dir.resolve("lakehouse"), dir.resolve("defs"), jobArgs));
  }

  /** Starts both at one instant; returns both results. */
  private List<Launch.Result> together(String db, String... jobArgs) throws Exception {
    CyclicBarrier start = new CyclicBarrier(2);
    List<CompletableFuture<Launch.Result>> runs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      runs.add(CompletableFuture.supplyAsync(() -> {
        try {
          start.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        return launch(db, jobArgs);
      }));
    }
    List<Launch.Result> results = new ArrayList<>();
    for (CompletableFuture<Launch.Result> r : runs) {
      results.add(r.get());
    }
    return results;
  }

  private static void assertOneSucceededAndAnyOtherSaysConflict(List<Launch.Result> results) {
    assertTrue(results.stream().anyMatch(r -> r.exitCode() == 0),
        "at least one of two concurrent runs succeeds: " + results);
    for (Launch.Result r : results) {
      if (r.exitCode() != 0) {
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.json().get("message").asText().contains(CONFLICT), r.json().toString());
      }
    }
  }

  @Test
  void concurrentIngestsAndMaterialisationsOfOneDateNeverDuplicateRows() throws Exception {
    String db = "concurrent_runs";
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(defs.resolve("cc_orders.conf"), OrdersFixture.group("cc_orders", data + "/{date}.csv", """
        checks { max-rejected-share = 0.5 }
        aggregates = [ { name = orders_2d, function = count, window-days = 2 } ]
        """));
    for (String day : List.of("2025-03-01", "2025-03-02")) {
      List<String> lines = new ArrayList<>(List.of("order_id,customer_id,ts,amount"));
      for (int i = 0; i < 200; i++) {
        lines.add(day + "-" + i + ",C" + (i % 17) + "," + day + " " + String.format("%02d:%02d:%02d",
            i / 60, i % 60, i % 7) + "," + (i == 0 ? "-1" : String.valueOf(i / 3.0)));
      }
      Files.write(data.resolve(day + ".csv"), lines);
    }
    // The tables exist before the race (the first run of a lakehouse creates them).
    assertEquals(0, launch(db, "ingest", "--group", "cc_orders", "--run-date", "2025-03-01").exitCode());
    assertEquals(0, launch(db, "materialize", "--group", "cc_orders", "--run-date", "2025-03-01").exitCode());

    List<Launch.Result> ingests = together(db, "ingest", "--group", "cc_orders", "--run-date", "2025-03-02");
    assertOneSucceededAndAnyOtherSaysConflict(ingests);
    Dataset<Row> ingested = spark().table(db + ".cc_orders_ingested");
    assertEquals(2 * 199, ingested.count());
    assertEquals(2 * 199, ingested.select("order_id").distinct().count());
    assertEquals(2, spark().table(db + ".quarantine").count(), "one rejected row per date, once");
    TableDigest afterRace = TableDigest.of(ingested);
    assertEquals(0, launch(db, "ingest", "--group", "cc_orders", "--run-date", "2025-03-02").exitCode());
    assertEquals(afterRace, TableDigest.of(spark().table(db + ".cc_orders_ingested")),
        "the race left what one run leaves");

    List<Launch.Result> materialisations = together(db, "materialize", "--group", "cc_orders",
        "--run-date", "2025-03-02");
    assertOneSucceededAndAnyOtherSaysConflict(materialisations);
    Dataset<Row> features = spark().table(db + ".cc_orders");
    assertEquals(2 * 199, features.count());
    assertEquals(2 * 199, features.select("customer_id", "event_ts").distinct().count());
    TableDigest raced = TableDigest.of(features);
    assertEquals(0, launch(db, "materialize", "--group", "cc_orders", "--run-date", "2025-03-02").exitCode());
    assertEquals(raced, TableDigest.of(spark().table(db + ".cc_orders")));
    System.out.println("concurrent ingest exit codes " + ingests.stream().map(Launch.Result::exitCode).toList()
        + ", materialize " + materialisations.stream().map(Launch.Result::exitCode).toList());
    assertEquals(199, features.where(col("event_date").equalTo(java.sql.Date.valueOf("2025-03-02"))).count());

    // training-set: built once (its tables exist), then the same spec twice at once. The output
    // is one build's rows, and the manifest keeps one row: the same content reuses the id.
    Path spec = dir.resolve("cc_train.conf");
    Files.writeString(spec, """
        name = cc_train
        spine {
          query = "SELECT customer_id, event_ts AS label_ts, amount > 30 AS big FROM %s.cc_orders_ingested"
          entity-keys = [customer_id]
          time = label_ts
          label = big
        }
        features = ["cc_orders:*"]
        """.formatted(db));
    Launch.Result built = launch(db, "training-set", "--spec", spec.toString());
    assertEquals(0, built.exitCode(), built.err());
    TableDigest trainingSet = TableDigest.of(spark().table(db + ".cc_train"));
    List<Launch.Result> builds = together(db, "training-set", "--spec", spec.toString());
    assertOneSucceededAndAnyOtherSaysConflict(builds);
    assertEquals(trainingSet, TableDigest.of(spark().table(db + ".cc_train")), "one build's rows, once");
    assertEquals(2 * 199, trainingSet.rows());
    assertEquals(List.of("cc_train_v1"), spark().table(db + ".training_sets").select("training_set_id")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList(), "one manifest row");

    // drift: the profile is stored by a first run; then one date twice at once.
    Path drift = dir.resolve("cc_drift.conf");
    Files.writeString(drift, OrdersFixture.driftSpec("cc_drift",
        "SELECT customer_id, amount, event_date FROM " + db + ".cc_orders_ingested", 4));
    Launch.Result first = launch(db, "drift", "--spec", drift.toString(), "--run-date", "2025-03-02");
    assertEquals(0, first.exitCode(), first.err());
    java.util.Set<String> computedAt = new java.util.HashSet<>(TableDigest.VOLATILE);
    computedAt.add("computed_at");
    TableDigest metrics = TableDigest.of(spark().table(db + ".drift_metrics"), computedAt);
    List<Launch.Result> drifts = together(db, "drift", "--spec", drift.toString(), "--run-date", "2025-03-02");
    assertOneSucceededAndAnyOtherSaysConflict(drifts);
    Dataset<Row> rows = spark().table(db + ".drift_metrics");
    assertEquals(metrics, TableDigest.of(rows, computedAt), "one run's metrics, once");
    assertEquals(rows.count(), rows.select("report_id", "feature", "segment", "method").distinct().count());
    Path report = dir.resolve("lakehouse/results/drift/cc_drift/2025-03-02.json");
    new com.fasterxml.jackson.databind.ObjectMapper().readTree(report.toFile());
    System.out.println("concurrent training-set exit codes " + builds.stream().map(Launch.Result::exitCode).toList()
        + ", drift " + drifts.stream().map(Launch.Result::exitCode).toList());
  }
}

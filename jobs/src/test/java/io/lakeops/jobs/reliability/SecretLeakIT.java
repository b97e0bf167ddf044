package io.lakeops.jobs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.tables.DeltaTable;
import io.lakeops.jobs.JobProcess;
import io.lakeops.jobs.ProcessRun;
import io.lakeops.testing.SharedSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets planted in every way configuration takes them (an environment override, a
 * {@code ${?VAR}} substitution in a --config file, a command-line -D) for Spark options whose
 * names say secret, key or token, then searched for in everything a real job JVM leaves:
 * stdout, stderr, the result files, every byte of the lakehouse folder (Delta logs with their
 * commit info, the Derby metastore, derby.log), the rows of every Delta table (job_runs included)
 * and their history, and the {@code config} output. The JDBC password (from the environment or
 * a file) is checked the same way by JdbcIngestTest against a real PostgreSQL server.
 */
class SecretLeakIT {

  private static final Duration LIMIT = Duration.ofMinutes(6);

  @TempDir
  Path dir;

  @Test
  void plantedSecretsAppearNowhere() throws Exception {
    String fromEnv = "planted-env-" + UUID.randomUUID();
    String fromFile = "planted-subst-" + UUID.randomUUID();
    String fromOption = "planted-option-" + UUID.randomUUID();
    List<String> secrets = List.of(fromEnv, fromFile, fromOption);

    Path defs = Files.createDirectories(dir.resolve("defs"));
    Path source = Files.createDirectories(dir.resolve("data")).resolve("orders.csv");
    Files.writeString(defs.resolve("leak_orders.conf"), OrdersFixture.group("leak_orders", source, """
        checks { max-rejected-share = 0.5 }
        aggregates = [ { name = orders_2d, function = count, window-days = 2 } ]
        """));
    Files.write(source, OrdersFixture.orders(9, 2, 20, 2));
    Files.writeString(dir.resolve("secrets.conf"),
        "lakeops.spark.conf { \"spark.hadoop.fs.s3a.session.token\" = ${?PLANTED_TOKEN} }\n");
    Map<String, String> env = Map.of(
        "CONFIG_FORCE_lakeops_spark_conf_spark_hadoop_fs_s3a_secret_key", fromEnv,
        "PLANTED_TOKEN", fromFile);
    Path lakehouse = dir.resolve("lakehouse");
    List<String> common = List.of("--config", "secrets.conf",
        "-Dlakeops.spark.conf.spark.hadoop.fs.s3a.access.key=" + fromOption,
        "-Dlakeops.lakehouse.root=" + lakehouse, "-Dlakeops.features.definitions-dir=" + defs,
        "-Dlakeops.spark.local-master=local[2]");

    List<String> printed = new ArrayList<>();
    for (List<String> job : List.of(
        List.of("ingest", "--group", "leak_orders", "--run-date", "2025-03-02"),
        List.of("materialize", "--group", "leak_orders", "--run-date", "2025-03-02"),
        List.of("config", "--origins"))) {
      List<String> args = new ArrayList<>(job);
      args.addAll(common);
      try (JobProcess p = JobProcess.start(dir, env, args)) {
        ProcessRun r = p.await(LIMIT);
        assertEquals(0, r.exitCode(), r.describe());
        printed.add(r.out());
        printed.add(r.err());
      }
    }
    String config = printed.get(4);
    // The three secrets reached the configuration, masked.
    assertEquals(3, config.split("\\*\\*\\*\\*\\*\\*", -1).length - 1, config);

    List<String> places = new ArrayList<>();
    for (int i = 0; i < printed.size(); i++) {
      places.add(printed.get(i));
    }
    // Every byte left on disk: result files, Delta logs (commit info), Derby's files, derby.log.
    try (Stream<Path> files = Files.walk(lakehouse)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        places.add(f + ": " + new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    // Parquet pages are compressed: read every Delta table's rows and history instead.
    int tables = 0;
    try (Stream<Path> logs = Files.walk(lakehouse.resolve("warehouse"))) {
      for (Path log : logs.filter(p -> p.getFileName().toString().equals("_delta_log")).toList()) {
        String table = log.getParent().toString();
        places.add(table + " rows: " + SharedSpark.session().read().format("delta").load(table)
            .collectAsList());
        places.add(table + " history: " + DeltaTable.forPath(SharedSpark.session(), table).history()
            .collectAsList());
        tables++;
      }
    }
    // job_runs, quarantine, validation_results, the ingested and feature tables, the catalog.
    assertTrue(tables >= 6, tables + " Delta tables");
    for (String secret : secrets) {
      for (String place : places) {
        assertFalse(place.contains(secret), "a planted secret leaked into "
            + place.substring(0, Math.min(200, place.length())));
      }
    }
  }
}

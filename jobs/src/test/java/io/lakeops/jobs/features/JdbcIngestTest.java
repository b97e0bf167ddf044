package io.lakeops.jobs.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lakeops.jobs.Launch;
import io.lakeops.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JDBC source against a real PostgreSQL server (.ci/postgres.sh starts one on 127.0.0.1 and
 * exports LAKEOPS_PG_URL, LAKEOPS_PG_USER, LAKEOPS_PG_PASSWORD). Without them the test is
 * skipped with a message, unless LAKEOPS_REQUIRE_POSTGRES=1 (CI), where it fails.
 */
class JdbcIngestTest extends SparkTestBase {

  private static final String URL = System.getenv("LAKEOPS_PG_URL");
  private static final String USER = System.getenv("LAKEOPS_PG_USER");
  private static final String PASSWORD = System.getenv("LAKEOPS_PG_PASSWORD");

  @TempDir
  Path dir;

  @BeforeAll
  static void server() {
    if (URL == null && "1".equals(System.getenv("LAKEOPS_REQUIRE_POSTGRES"))) {
      throw new IllegalStateException("Cannot run the JDBC tests: LAKEOPS_PG_URL is not set and "
          + "LAKEOPS_REQUIRE_POSTGRES=1. Run eval \"$(.ci/postgres.sh)\" first.");
    }
    assumeTrue(URL != null, "Skipping JDBC tests: no PostgreSQL server (run eval \"$(.ci/postgres.sh)\").");
  }

  @Test
  void rowsFromPostgresAreValidatedAndTheCredentialsLeakNowhere() throws Exception {
    try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS jdbc_orders");
      s.execute("CREATE TABLE jdbc_orders (order_id text, customer_id text, ordered_at timestamptz, amount double precision)");
      s.execute("INSERT INTO jdbc_orders VALUES "
          + "('o1', 'c1', '2025-03-01 10:00:00+00', 12.5),"
          + "('o2', 'c2', '2025-03-01 11:00:00+00', 20.0),"
          + "('o3', NULL, '2025-03-01 12:00:00+00', 5.0),"
          + "('o4', 'c3', '2025-03-01 13:00:00+00', -1.0),"
          + "('o5', 'c4', '2025-03-01 14:00:00+00', 'NaN'),"
          + "('o6', 'c5', '2025-03-03 09:00:00+00', 7.0)");
    }
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Files.writeString(defs.resolve("pg_orders.conf"), """
        name = pg_orders
        entity-keys = [customer_id]
        source {
          format = jdbc
          table = "jdbc_orders"
          jdbc { url = "%s", user-env = LAKEOPS_PG_USER, password-env = LAKEOPS_PG_PASSWORD }
          event-time { column = ordered_at }
        }
        columns = [
          { name = order_id, type = string, not-null = true }
          { name = customer_id, type = string }
          { name = ordered_at, type = timestamp }
          { name = amount, type = double, min = 0 }
        ]
        checks { max-rejected-share = 0.9 }
        """.formatted(URL));
    Launch.Result r = Launch.run(dir, new Launch.SharedSessions(SparkTestBase::spark),
        Map.of("LAKEOPS_PG_USER", USER, "LAKEOPS_PG_PASSWORD", PASSWORD),
        "ingest", "--group", "pg_orders", "--run-date", "2025-03-02",
        "-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"),
        "-Dlakeops.features.definitions-dir=" + defs,
        "-Dlakeops.features.database=jdbc_test",
        "-Dlakeops.features.tables.quarantine=jdbc_test.quarantine",
        "-Dlakeops.features.tables.validation-results=jdbc_test.validation_results",
        "-Dlakeops.job-runs.table=jdbc_test.job_runs");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    var counts = r.json().get("outputs").get("counts");
    assertEquals(6, counts.get("input_rows").asLong());
    assertEquals(2, counts.get("accepted").asLong());
    assertEquals(4, counts.get("quarantined").asLong());

    List<Row> rejected = spark().sql("SELECT raw, reasons FROM jdbc_test.quarantine ORDER BY raw").collectAsList();
    assertEquals(List.of(
        List.of("column customer_id: missing value (required)"),
        List.of("column amount: value -1.0 is below the minimum 0"),
        List.of("column amount: value 'NaN' is not a finite number"),
        List.of("event time column ordered_at: value '2025-03-03 09:00:00' is after the run date 2025-03-02 (UTC)")),
        rejected.stream().map(x -> x.getList(1)).toList());
    assertTrue(rejected.get(0).getString(0).contains("\"order_id\":\"o3\""), rejected.get(0).getString(0));

    // The password is in none of what the run left behind.
    Path result = Path.of(r.json().get("outputs").get("result_path").asText());
    for (String text : List.of(r.out(), r.err(), Files.readString(result),
        spark().table("jdbc_test.job_runs").collectAsList().toString(),
        spark().sql("DESCRIBE HISTORY jdbc_test.pg_orders_ingested").collectAsList().toString(),
        spark().table("jdbc_test.quarantine").collectAsList().toString())) {
      assertFalse(text.contains(PASSWORD), "the JDBC password leaked");
    }
  }

  @Test
  void aPasswordFromAFileConnectsAndLeaksNowhere() throws Exception {
    try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS jdbc_file_orders");
      s.execute("CREATE TABLE jdbc_file_orders (order_id text, amount double precision)");
      s.execute("INSERT INTO jdbc_file_orders VALUES ('f1', 1.5), ('f2', 2.5), ('f3', -4)");
    }
    Path secret = dir.resolve("pg-password");
    Files.writeString(secret, PASSWORD + "\n");
    Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path defs = Files.createDirectories(dir.resolve("defs-file"));
    Files.writeString(defs.resolve("pg_file.conf"), """
        name = pg_file_orders
        entity-keys = [order_id]
        source {
          format = jdbc
          table = "jdbc_file_orders"
          jdbc { url = "%s", user-env = LAKEOPS_PG_USER, password-file = "%s" }
        }
        columns = [
          { name = order_id, type = string, not-null = true }
          { name = amount, type = double, min = 0 }
        ]
        checks { max-rejected-share = 0.5 }
        """.formatted(URL, secret));
    // Only the user comes from the environment: the password is the file's.
    Launch.Result r = Launch.run(dir, new Launch.SharedSessions(SparkTestBase::spark),
        Map.of("LAKEOPS_PG_USER", USER),
        "ingest", "--group", "pg_file_orders", "--run-date", "2025-03-02",
        "-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"),
        "-Dlakeops.features.definitions-dir=" + defs,
        "-Dlakeops.features.database=jdbc_file",
        "-Dlakeops.features.tables.quarantine=jdbc_file.quarantine",
        "-Dlakeops.features.tables.validation-results=jdbc_file.validation_results",
        "-Dlakeops.job-runs.table=jdbc_file.job_runs");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    var counts = r.json().get("outputs").get("counts");
    assertEquals(3, counts.get("input_rows").asLong());
    assertEquals(2, counts.get("accepted").asLong());
    assertEquals(1, counts.get("quarantined").asLong());
    Path result = Path.of(r.json().get("outputs").get("result_path").asText());
    for (String text : List.of(r.out(), r.err(), Files.readString(result),
        spark().table("jdbc_file.job_runs").collectAsList().toString(),
        spark().sql("DESCRIBE HISTORY jdbc_file.pg_file_orders_ingested").collectAsList().toString(),
        spark().sql("DESCRIBE HISTORY jdbc_file.quarantine").collectAsList().toString(),
        spark().table("jdbc_file.quarantine").collectAsList().toString(),
        spark().table("jdbc_file.validation_results").collectAsList().toString())) {
      assertFalse(text.contains(PASSWORD), "the JDBC password from the file leaked");
    }
  }

  @Test
  void aMissingCredentialVariableIsNamed() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs2"));
    Files.writeString(defs.resolve("pg.conf"), """
        name = pg_missing
        entity-keys = [id]
        source {
          format = jdbc
          table = "jdbc_orders"
          jdbc { url = "%s", user-env = LAKEOPS_PG_USER, password-env = NO_SUCH_PASSWORD_VAR }
        }
        columns = [ { name = id, type = string } ]
        """.formatted(URL));
    Launch.Result r = Launch.run(dir, new Launch.SharedSessions(SparkTestBase::spark),
        Map.of("LAKEOPS_PG_USER", USER), "ingest", "--group", "pg_missing", "--run-date", "2025-03-02",
        "-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"), "-Dlakeops.features.definitions-dir=" + defs,
        "-Dlakeops.job-runs.enabled=false");
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.err().contains("the environment variable NO_SUCH_PASSWORD_VAR is not set"), r.err());
  }
}

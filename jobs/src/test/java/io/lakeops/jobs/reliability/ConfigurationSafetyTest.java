package io.lakeops.jobs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.lakeops.jobs.Launch;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.spark.SparkSessionFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What configuration may not do: escape {@code lakeops.lakehouse.allowed-root} with {@code ../}
 * or a symbolic link, smuggle SQL in through table, database, group or column names, or point at
 * files that are missing or unreadable. Each stops the job with exit 2 before any Spark session,
 * naming the key, the value and where it was set.
 */
class ConfigurationSafetyTest {

  /** Fails the test if a job gets as far as asking for a session. */
  private static final SparkSessionFactory NO_SPARK = new SparkSessionFactory() {
    @Override
    public SparkSession create(String appName, LakeOpsSettings settings) {
      throw new AssertionError("no Spark session may start for a rejected configuration");
    }

    @Override
    public void release(SparkSession session) {}
  };

  @TempDir
  Path dir;

  private Launch.Result lakeops(String... args) {
    return Launch.run(dir, NO_SPARK, Map.of(), args);
  }

  private static void assertUsageError(Launch.Result r, String... fragments) {
    assertEquals(2, r.exitCode(), r.err());
    assertEquals("USAGE_ERROR", r.json().get("status").asText());
    for (String f : fragments) {
      assertTrue(r.err().contains(f), "expected \"" + f + "\" in:\n" + r.err());
    }
  }

  // ------------------------------------------------------------------------ allowed root

  @Test
  void lakehouseLocationsMustStayUnderTheAllowedRoot() throws Exception {
    Path root = Files.createDirectories(dir.resolve("allowed"));
    String allowed = "-Dlakeops.lakehouse.allowed-root=" + root;

    Launch.Result inside = lakeops("config", allowed, "-Dlakeops.lakehouse.root=" + root.resolve("lh"));
    assertEquals(0, inside.exitCode(), inside.err());

    Launch.Result dotDot = lakeops("config", allowed, "-Dlakeops.lakehouse.root=" + root.resolve("lh"),
        "-Dlakeops.lakehouse.results-dir=" + root.resolve("lh/../../elsewhere"));
    assertUsageError(dotDot, "Cannot use \"" + root.resolve("lh/../../elsewhere") + "\" for "
        + "'lakeops.lakehouse.results-dir': it resolves to " + dir.resolve("elsewhere")
        + ", outside lakeops.lakehouse.allowed-root (" + root + ")", "[command-line option -Dlakeops.lakehouse.results-dir]");

    // A link inside the root that points outside it: the path looks inside, the data would not be.
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(root.resolve("link"), outside);
    Launch.Result link = lakeops("config", allowed, "-Dlakeops.lakehouse.root=" + root.resolve("lh"),
        "-Dlakeops.lakehouse.raw-dir=" + root.resolve("link/raw"));
    assertUsageError(link, "'lakeops.lakehouse.raw-dir': it resolves to " + outside.resolve("raw"));

    // A link that exists further down the path is followed too.
    Files.createDirectories(outside.resolve("sub"));
    Files.createSymbolicLink(root.resolve("sublink"), outside.resolve("sub"));
    Launch.Result deeper = lakeops("config", allowed, "-Dlakeops.lakehouse.root=" + root.resolve("lh"),
        "-Dlakeops.lakehouse.warehouse-dir=" + root + "/sublink/wh/x");
    assertUsageError(deeper, "'lakeops.lakehouse.warehouse-dir': it resolves to " + outside.resolve("sub/wh/x"));
    // Lakehouse locations are normalised before use ('sublink/..' is dropped, as Hadoop paths do
    // too), so this one is written inside the root and is allowed.
    assertEquals(0, lakeops("config", allowed, "-Dlakeops.lakehouse.root=" + root.resolve("lh"),
        "-Dlakeops.lakehouse.warehouse-dir=" + root + "/sublink/../wh").exitCode());

    // The default root (a relative "lakehouse" in the working directory) is outside too.
    Launch.Result defaults = lakeops("config", allowed);
    assertUsageError(defaults, "'lakeops.lakehouse.root': it resolves to " + dir.resolve("lakehouse"));

    // URIs: compared on scheme, authority and path.
    assertEquals(0, lakeops("config", "-Dlakeops.lakehouse.allowed-root=hdfs://nn/lakeops",
        "-Dlakeops.lakehouse.root=hdfs://nn/lakeops/prod").exitCode());
    assertUsageError(lakeops("config", "-Dlakeops.lakehouse.allowed-root=hdfs://nn/lakeops",
        "-Dlakeops.lakehouse.root=hdfs://nn/lakeops-other"), "'lakeops.lakehouse.root'");
    assertUsageError(lakeops("config", "-Dlakeops.lakehouse.allowed-root=hdfs://nn/lakeops",
        "-Dlakeops.lakehouse.root=hdfs://other/lakeops"), "'lakeops.lakehouse.root'");
  }

  @Test
  void featureSourcePathsMustStayUnderTheAllowedRoot() throws Exception {
    Path root = Files.createDirectories(dir.resolve("allowed"));
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Files.createSymbolicLink(root.resolve("etc"), Path.of("/etc"));
    Files.writeString(defs.resolve("escape_dots.conf"), definition("escape_dots", root + "/data/../../secrets/*.csv"));
    Files.writeString(defs.resolve("escape_link.conf"), definition("escape_link", root + "/etc/passwd"));
    Launch.Result r = lakeops("ingest", "--group", "escape_dots", "--run-date", "2025-03-01",
        "-Dlakeops.lakehouse.allowed-root=" + root, "-Dlakeops.lakehouse.root=" + root.resolve("lh"),
        "-Dlakeops.features.definitions-dir=" + defs);
    assertUsageError(r,
        "Cannot use \"" + root + "/data/../../secrets/*.csv\" for 'source.path': it resolves to "
            + dir.resolve("secrets/*.csv"), defs.resolve("escape_dots.conf") + " line 5",
        "Cannot use \"" + root + "/etc/passwd\" for 'source.path': it resolves to /etc/passwd",
        defs.resolve("escape_link.conf") + " line 5");

    // Without an allowed root nothing is confined (the default): the same definitions load.
    Files.delete(defs.resolve("escape_link.conf"));
    Files.writeString(defs.resolve("inside.conf"), definition("inside", root + "/data/{date}.csv"));
    Launch.Result unconfined = lakeops("ingest", "--group", "escape_dots", "--run-date", "2025-03-01",
        "-Dlakeops.lakehouse.root=" + root.resolve("lh"), "-Dlakeops.features.definitions-dir=" + defs,
        "-Dlakeops.job-runs.enabled=false");
    assertFalse(unconfined.err().contains("allowed-root"), unconfined.err());
  }

  // ------------------------------------------------------------------ names carry no SQL

  @Test
  void tableAndDatabaseNamesFromConfigurationAreIdentifiers() {
    assertUsageError(lakeops("config", "-Dlakeops.job-runs.table=lakeops.job_runs; DROP TABLE demo.customers"),
        "Cannot use \"lakeops.job_runs; DROP TABLE demo.customers\" from 'lakeops.job-runs.table' as a table name");
    assertUsageError(lakeops("config", "-Dlakeops.features.database=features` ; DROP DATABASE x --"),
        "Cannot use \"features` ; DROP DATABASE x --\" from 'lakeops.features.database' as a database name");
    assertUsageError(lakeops("config", "-Dlakeops.features.tables.quarantine=a.b.c"),
        "'lakeops.features.tables.quarantine' as a table name");
    assertUsageError(lakeops("config", "-Dlakeops.demo.database=demo' OR '1'='1"),
        "'lakeops.demo.database' as a database name");
  }

  @Test
  void groupColumnAndFeatureNamesInDefinitionsAreIdentifiers() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Files.writeString(defs.resolve("bad.conf"), """
        name = "g; DROP TABLE lakeops.job_runs"
        entity-keys = ["id`) ; DROP TABLE x; --"]
        source { format = delta, table = "db.t; DELETE FROM lakeops.job_runs" }
        columns = [
          { name = "id`) ; DROP TABLE x; --", type = string }
          { name = amount, type = double }
        ]
        derived = [ { name = "f`; DROP", expression = "amount * 2" } ]
        """);
    Launch.Result r = lakeops("ingest", "--group", "anything", "--run-date", "2025-03-01",
        "-Dlakeops.features.definitions-dir=" + defs);
    assertUsageError(r,
        "Cannot use \"g; DROP TABLE lakeops.job_runs\" as a name in 'name'",
        "Cannot use \"id`) ; DROP TABLE x; --\" as a name in 'columns[0].name'",
        "Cannot use \"db.t; DELETE FROM lakeops.job_runs\" as a table name",
        "Cannot use \"f`; DROP\" as a name in 'derived[0].name'",
        defs.resolve("bad.conf") + " line 1");
  }

  // ------------------------------------------------------------- missing and unreadable

  @Test
  void missingAndUnreadableConfigurationFilesAreNamed() throws Exception {
    assertUsageError(lakeops("config", "--config", "no-such.conf"), dir.resolve("no-such.conf").toString());

    Path defs = dir.resolve("no-such-defs");
    assertUsageError(lakeops("ingest", "--group", "g", "--run-date", "2025-03-01",
        "-Dlakeops.features.definitions-dir=" + defs), "Cannot read feature group definitions from " + defs);

    Path locked = dir.resolve("locked.conf");
    Files.writeString(locked, "lakeops.sql.max-rows = 5\n");
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
    // root reads any file whatever its mode: this one case cannot be made here.
    assumeFalse(Files.isReadable(locked), "Skipping the unreadable-file case: this user (root?) "
        + "can read a file with mode 000.");
    assertUsageError(lakeops("config", "--config", "locked.conf"), locked.toString());
  }

  @Test
  void aJdbcPasswordFileMustExistAndCannotBeCombinedWithAVariable() throws Exception {
    Path defs = Files.createDirectories(dir.resolve("defs"));
    Files.writeString(defs.resolve("pg.conf"), """
        name = pg
        entity-keys = [id]
        source {
          format = jdbc
          table = orders
          jdbc { url = "jdbc:postgresql://127.0.0.1:1/x", password-file = "%s" }
        }
        columns = [ { name = id, type = string } ]
        """.formatted(dir.resolve("missing-secret")));
    Files.writeString(defs.resolve("pg2.conf"), """
        name = pg2
        entity-keys = [id]
        source {
          format = jdbc
          table = orders
          jdbc { url = "jdbc:postgresql://127.0.0.1:1/x", password-env = PG, password-file = "/etc/hostname" }
        }
        columns = [ { name = id, type = string } ]
        """);
    Launch.Result r = lakeops("ingest", "--group", "pg", "--run-date", "2025-03-01",
        "-Dlakeops.features.definitions-dir=" + defs);
    assertUsageError(r, "Cannot read the JDBC password file " + dir.resolve("missing-secret")
            + " of 'source.jdbc.password-file': no such file",
        "Cannot use both 'source.jdbc.password-env' and 'source.jdbc.password-file'");
  }

  static String definition(String name, String path) {
    List<String> lines = new ArrayList<>(List.of(
        "name = " + name,
        "entity-keys = [id]",
        "source {",
        "  format = csv",
        "  path = \"" + path + "\"",
        "  header = true",
        "}",
        "columns = [ { name = id, type = string } ]"));
    return String.join("\n", lines) + "\n";
  }
}

package io.lakeops.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local launcher script as a user runs it: {@code ./lakeops demo} in one JVM, then
 * {@code ./lakeops sql} in new JVMs reading what it wrote through the embedded metastore.
 */
class LauncherIT {

  private static final Path SCRIPT = Path.of(System.getProperty("lakeops.root", "..")).resolve("lakeops")
      .toAbsolutePath().normalize();
  private static final Duration LIMIT = Duration.ofMinutes(5);
  /** The script's own knobs: a smaller heap, and the cheap flags of a short JVM (LAKEOPS_JAVA_OPTS). */
  private static final Map<String, String> ENV = Map.of("LAKEOPS_HEAP", "2g",
      "LAKEOPS_JAVA_OPTS", String.join(" ", ProcessRun.shortLivedJvmOptions()));

  @TempDir
  Path dir;

  private ProcessRun lakeops(Path workingDir, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(SCRIPT.toString());
    command.addAll(List.of(args));
    return ProcessRun.run(workingDir, ENV, LIMIT, command);
  }

  @Test
  void demoThenSqlInNewProcessesSeeTheSameLakehouse() throws Exception {
    String[] small = {"-Dlakeops.demo.customers=150", "-Dlakeops.demo.days=150",
        "-Dlakeops.demo.drift-start-date=2025-04-15"};
    ProcessRun demo = lakeops(dir, concat(new String[] {"demo"}, small));
    assertEquals(0, demo.exitCode(), demo.describe());
    JsonNode result = demo.json();
    assertEquals("SUCCEEDED", result.get("status").asText());
    assertEquals("local[*]", result.get("outputs").get("spark_master").asText());
    long transactions = result.get("outputs").get("tables").get("demo.transactions").asLong();
    assertTrue(Files.isDirectory(dir.resolve("lakehouse/metastore_db")), "embedded metastore");
    assertTrue(Files.isRegularFile(dir.resolve("lakehouse/results/demo/"
        + result.get("run_id").asText() + ".json")));
    assertFalse(Files.exists(dir.resolve("derby.log")), "derby.log belongs under the lakehouse");
    assertTrue(Files.isRegularFile(dir.resolve("lakehouse/derby.log")));
    assertFalse(demo.err().contains("FileNotFoundException"), demo.err());

    // The example queries the demo printed run as printed, in a second JVM.
    List<String> examples = demo.outLines().stream()
        .filter(l -> l.startsWith("  ./lakeops sql \""))
        .map(l -> l.substring("  ./lakeops sql \"".length(), l.length() - 1)).toList();
    assertEquals(4, examples.size(), demo.out());
    Files.writeString(dir.resolve("checks.sql"), "SHOW TABLES IN lakeops;\n"
        + String.join(";\n", examples) + ";\n");
    ProcessRun sql = lakeops(dir, "sql", "-f", "checks.sql");
    assertEquals(0, sql.exitCode(), sql.describe());
    assertTrue(sql.out().matches("(?s).*\\blakeops\\s+\\|\\s+job_runs\\s+\\|\\s+false\\b.*"), sql.out());
    assertTrue(sql.out().matches("(?s).*\\blakeops\\s+\\|\\s+feature_catalog\\s+\\|\\s+false\\b.*"), sql.out());
    // lakeops holds drift_metrics, drift_profiles (the demo's drift report), feature_catalog,
    // job_runs, quarantine, training_sets, validation_results; 15 features; five months;
    // genders F, M, X; one run.
    assertEquals("[7,15,5,3,1]", sql.json().get("outputs").get("rows_per_statement").toString(), sql.out());

    // Running the demo again replaces its data and records a second run.
    ProcessRun again = lakeops(dir, concat(new String[] {"demo", "-Dlakeops.demo.feature-store=false"}, small));
    assertEquals(0, again.exitCode(), again.describe());
    ProcessRun counts = lakeops(dir, "sql", "SELECT count(*) AS n FROM demo.transactions; "
        + "SELECT count(*) AS n FROM lakeops.job_runs WHERE job = 'demo' AND status = 'SUCCEEDED'");
    assertEquals(0, counts.exitCode(), counts.describe());
    List<String> lines = counts.outLines();
    assertEquals(String.valueOf(transactions), lines.get(2).strip(), counts.out());
    assertEquals("2", lines.get(6).strip(), counts.out());
  }

  @Test
  void aTypoInAConfigFileExitsTwoBeforeSparkStarts() throws Exception {
    Files.writeString(dir.resolve("bad.conf"), "lakeops.lakehouse {\n  root = here\n  raw-dri = there\n}\n");
    ProcessRun r = lakeops(dir, "demo", "--config", "bad.conf");
    assertEquals(2, r.exitCode(), r.describe());
    assertTrue(r.err().contains("Unknown configuration key 'lakeops.lakehouse.raw-dri'. The closest "
        + "known key is 'lakeops.lakehouse.raw-dir'."), r.err());
    assertTrue(r.err().contains(dir.resolve("bad.conf") + " line 3"), r.err());
    assertEquals("USAGE_ERROR", r.json().get("status").asText());
    assertFalse(Files.exists(dir.resolve("here")), "no Spark and no lakehouse for a bad config");
    assertFalse(r.err().contains("SparkContext"), r.err());
  }

  static String[] concat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}

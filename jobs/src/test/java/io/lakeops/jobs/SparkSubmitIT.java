package io.lakeops.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * The shaded job jar through the real {@code org.apache.spark.deploy.SparkSubmit}, as a separate
 * JVM whose classpath holds only what a Spark installation provides (no Delta, no Typesafe
 * Config, no picocli: the jar must carry those).
 */
class SparkSubmitIT {

  private static final Path JAR = Path.of(System.getProperty("lakeops.jobs.jar", "target/lakeops-jobs.jar"));
  private static final Path SPARK_CLASSPATH = Path.of(
      System.getProperty("lakeops.spark.classpath.file", "target/spark-classpath.txt"));
  private static final Duration LIMIT = Duration.ofMinutes(5);

  @TempDir
  Path dir;

  private ProcessRun sparkSubmit(List<String> sparkArgs, String... jobArgs) throws Exception {
    String classpath = Files.readString(SPARK_CLASSPATH).strip();
    for (String entry : classpath.split(":")) {
      String name = Path.of(entry).getFileName().toString();
      assertTrue(!name.startsWith("delta-") && !name.startsWith("config-") && !name.startsWith("picocli"),
          "the cluster classpath must not carry " + name);
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g"));
    command.addAll(ProcessRun.shortLivedJvmOptions());
    command.addAll(ProcessRun.sparkJavaOptions());
    command.addAll(List.of("-cp", classpath, "org.apache.spark.deploy.SparkSubmit",
        "--master", "local[2]", "--class", "io.lakeops.jobs.LakeOps"));
    command.addAll(sparkArgs);
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(jobArgs));
    return ProcessRun.run(dir, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), LIMIT, command);
  }

  @Test
  void demoRunsUnderSparkSubmitAndWritesItsTables() throws Exception {
    Path lakehouse = dir.resolve("lakehouse");
    // What a cluster's spark-defaults.conf / hive-site.xml would say; LakeOps does not override it.
    List<String> cluster = List.of(
        "--conf", "spark.sql.warehouse.dir=" + lakehouse.resolve("warehouse"),
        "--conf", "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName="
            + lakehouse.resolve("metastore_db") + ";create=true",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.shuffle.partitions=3");
    ProcessRun demo = sparkSubmit(cluster, "demo", "-Dlakeops.features.definitions-dir="
            + Path.of(System.getProperty("lakeops.root", "..")).resolve("conf/features").toAbsolutePath(),
        "-Dlakeops.demo.customers=120",
        "-Dlakeops.demo.days=150", "-Dlakeops.demo.drift-start-date=2025-04-15");
    assertEquals(0, demo.exitCode(), demo.describe());
    JsonNode result = demo.json();
    assertEquals("SUCCEEDED", result.get("status").asText());
    assertEquals("local[2]", result.get("outputs").get("spark_master").asText());
    JsonNode tables = result.get("outputs").get("tables");
    assertEquals(120, tables.get("demo.customers").asLong());

    // A second spark-submit of the same jar reads the tables back through the metastore.
    ProcessRun sql = sparkSubmit(cluster, "sql",
        "SELECT count(*) AS n FROM demo.transactions; "
            + "SELECT status, rows_out FROM lakeops.job_runs WHERE run_id = '" + result.get("run_id").asText() + "'; "
            + "SET spark.sql.shuffle.partitions");
    assertEquals(0, sql.exitCode(), sql.describe());
    List<String> lines = sql.outLines();
    assertEquals(tables.get("demo.transactions").asText(), lines.get(2).strip(), sql.out());
    assertEquals("SUCCEEDED | " + result.get("rows_out").asText(), lines.get(6).replaceAll("\\s+\\|\\s+", " | ").strip(), sql.out());
    assertTrue(sql.out().contains("spark.sql.shuffle.partitions | 3"), "the cluster's setting stands:\n" + sql.out());
  }

  @Test
  void exitCodesReachTheShellThroughSparkSubmit() throws Exception {
    ProcessRun typo = sparkSubmit(List.of(), "demo", "-Dlakeops.demo.customerz=5");
    assertEquals(2, typo.exitCode(), typo.describe());
    assertTrue(typo.err().contains("Unknown configuration key 'lakeops.demo.customerz'"), typo.err());
    assertEquals("USAGE_ERROR", typo.json().get("status").asText());
  }
}

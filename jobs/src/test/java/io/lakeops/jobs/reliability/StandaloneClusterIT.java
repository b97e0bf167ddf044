package io.lakeops.jobs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeops.jobs.ProcessRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo chain on a real Spark standalone cluster: a Master and two Workers started from the
 * Maven jars (a SPARK_HOME whose jars/ holds them), the job jar submitted through
 * {@code org.apache.spark.deploy.SparkSubmit --master spark://127.0.0.1:PORT --deploy-mode client},
 * executors in JVMs of their own started by the Workers. The tables it writes must equal those
 * of the same command under {@code local[2]}. The cluster is killed in every case, and its logs
 * are part of the failure message.
 */
class StandaloneClusterIT {

  private static final Path JAR = Path.of(System.getProperty("lakeops.jobs.jar", "target/lakeops-jobs.jar"));
  private static final Path SPARK_CLASSPATH = Path.of(
      System.getProperty("lakeops.spark.classpath.file", "target/spark-classpath.txt"));
  private static final Path DEFINITIONS = Path.of(System.getProperty("lakeops.root", ".."))
      .resolve("conf/features").toAbsolutePath().normalize();
  /**
   * A guard against a hang, not a speed test: the cluster run shares the machine with another IT
   * (Failsafe runs two at once), and took over 4 minutes on a 2-core machine also running a
   * benchmark.
   */
  private static final Duration LIMIT = Duration.ofMinutes(10);

  /** The demo's tables, relative to the warehouse. */
  private static final List<String> TABLES = List.of("demo.db/customers", "demo.db/transactions",
      "demo.db/churn_labels", "features.db/demo_customer_activity_ingested",
      "features.db/demo_customer_profile_ingested", "features.db/demo_customer_activity",
      "features.db/demo_customer_profile");

  private static final String[] DEMO = {"demo", "-Dlakeops.demo.customers=300",
      "-Dlakeops.demo.days=150", "-Dlakeops.demo.drift-start-date=2025-04-15",
      "-Dlakeops.features.definitions-dir=" + DEFINITIONS};

  @TempDir
  Path dir;

  @Test
  void demoOnAStandaloneClusterWritesWhatALocalRunWrites() throws Exception {
    StandaloneCluster cluster = StandaloneCluster.start(Files.createDirectories(dir.resolve("cluster")),
        SPARK_CLASSPATH, 2, Duration.ofMinutes(3));
    try {
      Path onCluster = Files.createDirectories(dir.resolve("on-cluster"));
      ProcessRun run = submit(cluster, cluster.masterUrl(), onCluster,
          List.of("--conf", "spark.executor.memory=512m", "--conf", "spark.executor.cores=1",
              "--conf", "spark.cores.max=2",
              // Spark adds the Java 17 flags itself; set here as a cluster's spark-defaults would,
              // with the cheap flags of a short JVM, as for the driver and the daemons.
              "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", ProcessRun.shortLivedJvmOptions())
                  + " " + String.join(" ", ProcessRun.sparkJavaOptions())));
      assertEquals(0, run.exitCode(), run.describe());
      JsonNode result = run.json();
      assertEquals("SUCCEEDED", result.get("status").asText());
      assertEquals(cluster.masterUrl(), result.get("outputs").get("spark_master").asText());

      // Executors ran in JVMs of their own on both workers and did the work: each worker's work
      // dir holds the application's executor folder, whose stderr shows tasks finishing.
      JsonNode completed = cluster.masterState().path("completedapps");
      assertEquals(1, completed.size(), completed.toString());
      String appId = completed.path(0).path("id").asText();
      assertEquals("lakeops demo", completed.path(0).path("name").asText());
      for (Path work : cluster.workDirs()) {
        Path app = work.resolve(appId);
        assertTrue(Files.isDirectory(app), "no executor of " + appId + " on " + work);
        String stderr = executorStderr(app);
        assertTrue(stderr.contains("CoarseGrainedExecutorBackend"), stderr);
        assertTrue(stderr.matches("(?s).*Finished task .* in stage .*"), "no task ran on " + app);
      }

      // The same command under local[2], in a lakehouse of its own: the same tables.
      Path local = Files.createDirectories(dir.resolve("local"));
      ProcessRun localRun = submit(cluster, "local[2]", local, List.of());
      assertEquals(0, localRun.exitCode(), localRun.describe());
      JsonNode localResult = localRun.json();
      assertEquals(localResult.get("outputs").get("tables"), result.get("outputs").get("tables"));
      assertEquals(localResult.get("outputs").get("feature_tables"), result.get("outputs").get("feature_tables"));
      assertEquals(localResult.get("rows_out"), result.get("rows_out"));
      Map<String, TableDigest> clusterTables = digests(onCluster);
      Map<String, TableDigest> localTables = digests(local);
      assertEquals(localTables, clusterTables);
      assertEquals(300, clusterTables.get("demo.db/customers").rows());
      assertTrue(clusterTables.values().stream().allMatch(d -> d.rows() > 0), clusterTables.toString());
    } catch (Throwable e) {
      throw new AssertionError(e.getMessage() + "\n==== cluster logs\n" + cluster.daemonLogs(), e);
    } finally {
      cluster.close();
    }
  }

  private ProcessRun submit(StandaloneCluster cluster, String master, Path workDir, List<String> conf)
      throws Exception {
    Path lakehouse = workDir.resolve("lakehouse");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
    command.addAll(ProcessRun.shortLivedJvmOptions());
    command.addAll(ProcessRun.sparkJavaOptions());
    command.addAll(List.of("-cp", cluster.classpath(), "org.apache.spark.deploy.SparkSubmit",
        "--master", master, "--deploy-mode", "client", "--class", "io.lakeops.jobs.LakeOps",
        "--driver-memory", "1g",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.shuffle.partitions=4",
        "--conf", "spark.sql.warehouse.dir=" + lakehouse.resolve("warehouse").toUri(),
        "--conf", "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName="
            + lakehouse.resolve("metastore_db") + ";create=true"));
    command.addAll(conf);
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(DEMO));
    // Under spark-submit a lakehouse root is a URI, as the README says.
    command.add("-Dlakeops.lakehouse.root=" + lakehouse.toUri());
    return ProcessRun.run(workDir, cluster.environment(), LIMIT, command);
  }

  private static String executorStderr(Path app) throws Exception {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.walk(app)) {
      for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
        all.append(Files.readString(f, StandardCharsets.UTF_8));
      }
    }
    return all.toString();
  }

  private static Map<String, TableDigest> digests(Path workDir) {
    Map<String, TableDigest> digests = new LinkedHashMap<>();
    for (String table : TABLES) {
      digests.put(table, TableDigest.of(workDir.resolve("lakehouse/warehouse").resolve(table)));
    }
    return digests;
  }
}

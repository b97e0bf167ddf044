package io.lakeops.jobs.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeops.jobs.ProcessRun;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster made of the Maven jars a Spark installation would hold: a
 * {@code SPARK_HOME} folder whose {@code jars/} links to the jars of
 * {@code target/spark-classpath.txt}, one Master and {@code workers} Workers as separate JVMs,
 * bound to 127.0.0.1 on free ports, each Worker offering one core and 1 GiB to executors.
 * {@link #close()} kills every daemon and the executors they started, whatever happened before.
 */
final class StandaloneCluster implements AutoCloseable {

  static final int WORKER_MEMORY_MB = 1024;

  private final Path root;
  private final Path sparkHome;
  private final Map<String, Process> daemons = new LinkedHashMap<>();
  private final Map<String, Path> logs = new LinkedHashMap<>();
  private final List<Path> workDirs = new ArrayList<>();
  private final List<Integer> workerUiPorts = new ArrayList<>();
  private int masterPort;
  private int masterUiPort;

  private StandaloneCluster(Path root) throws IOException {
    this.root = root;
    this.sparkHome = Files.createDirectories(root.resolve("spark-home"));
  }

  /** Builds SPARK_HOME under {@code root}, starts the daemons and waits until every Worker registered. */
  static StandaloneCluster start(Path root, Path sparkClasspathFile, int workers, Duration limit)
      throws Exception {
    StandaloneCluster cluster = new StandaloneCluster(root);
    try {
      cluster.linkJars(sparkClasspathFile);
      cluster.masterPort = freePort();
      cluster.masterUiPort = freePort();
      cluster.launch("master", List.of("org.apache.spark.deploy.master.Master",
          "--host", "127.0.0.1", "--port", String.valueOf(cluster.masterPort),
          "--webui-port", String.valueOf(cluster.masterUiPort)));
      for (int i = 1; i <= workers; i++) {
        Path work = Files.createDirectories(root.resolve("worker-" + i + "-work"));
        int ui = freePort();
        cluster.workDirs.add(work);
        cluster.workerUiPorts.add(ui);
        cluster.launch("worker-" + i, List.of("org.apache.spark.deploy.worker.Worker",
            "--host", "127.0.0.1", "--port", String.valueOf(freePort()),
            "--webui-port", String.valueOf(ui), "--cores", "1", "--memory", WORKER_MEMORY_MB + "m",
            "--work-dir", work.toString(), cluster.masterUrl()));
      }
      cluster.awaitWorkers(workers, limit);
      return cluster;
    } catch (Exception | AssertionError e) {
      String logs = cluster.daemonLogs();
      cluster.close();
      throw new AssertionError("Cannot start the standalone cluster: " + e.getMessage() + "\n" + logs, e);
    }
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  Path sparkHome() {
    return sparkHome;
  }

  /** The classpath of a Spark installation: everything in {@code $SPARK_HOME/jars}. */
  String classpath() {
    return sparkHome.resolve("jars") + File.separator + "*";
  }

  /** The environment every process of the cluster, the driver included, runs with. */
  Map<String, String> environment() {
    return Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.12",
        "SPARK_LOCAL_IP", "127.0.0.1",
        // Executors log through Spark's default log4j2 setup, at INFO, into the work dirs.
        "SPARK_CONF_DIR", sparkHome.resolve("conf").toString());
  }

  List<Path> workDirs() {
    return List.copyOf(workDirs);
  }

  /** The Master's view ({@code /json} of its web UI): workers, active and completed apps. */
  JsonNode masterState() throws IOException, InterruptedException {
    return json(masterUiPort);
  }

  JsonNode workerState(int index) throws IOException, InterruptedException {
    return json(workerUiPorts.get(index));
  }

  /** Every daemon's log, for a failure message. */
  String daemonLogs() {
    StringBuilder all = new StringBuilder();
    logs.forEach((name, log) -> {
      String text;
      try {
        text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
      } catch (IOException e) {
        text = "(cannot read: " + e.getMessage() + ")";
      }
      all.append("---- ").append(name).append(" (").append(log).append(")\n")
          .append(text, Math.max(0, text.length() - 8000), text.length()).append('\n');
    });
    for (Path work : workDirs) {
      try (Stream<Path> files = Files.walk(work)) {
        for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
          String text = Files.readString(f, StandardCharsets.UTF_8);
          all.append("---- executor ").append(f).append('\n')
              .append(text, Math.max(0, text.length() - 4000), text.length()).append('\n');
        }
      } catch (IOException e) {
        all.append("(cannot list ").append(work).append(")\n");
      }
    }
    return all.toString();
  }

  /** Kills the executors the workers started, then the workers and the master (SIGKILL). */
  @Override
  public void close() {
    List<String> names = new ArrayList<>(daemons.keySet());
    java.util.Collections.reverse(names);
    for (String name : names) {
      Process p = daemons.get(name);
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : daemons.values()) {
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    daemons.clear();
    // The jar links go too, so that deleting the temporary folder has nothing to warn about.
    try (Stream<Path> jars = Files.list(sparkHome.resolve("jars"))) {
      for (Path jar : jars.toList()) {
        Files.deleteIfExists(jar);
      }
    } catch (IOException e) {
      System.err.println("Cannot remove the jar links under " + sparkHome + ": " + e.getMessage());
    }
  }

  private void linkJars(Path sparkClasspathFile) throws IOException {
    Path jars = Files.createDirectories(sparkHome.resolve("jars"));
    Files.createDirectories(sparkHome.resolve("conf"));
    for (String entry : Files.readString(sparkClasspathFile).strip().split(File.pathSeparator)) {
      Path jar = Path.of(entry);
      Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar.toAbsolutePath());
    }
  }

  private void launch(String name, List<String> mainAndArgs) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
    command.addAll(ProcessRun.shortLivedJvmOptions());
    command.addAll(ProcessRun.sparkJavaOptions());
    command.addAll(List.of("-cp", classpath()));
    command.addAll(mainAndArgs);
    Path log = root.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(environment());
    logs.put(name, log);
    daemons.put(name, pb.start());
  }

  private void awaitWorkers(int expected, Duration limit) throws Exception {
    Instant deadline = Instant.now().plus(limit);
    String last = "";
    while (Instant.now().isBefore(deadline)) {
      for (Map.Entry<String, Process> d : daemons.entrySet()) {
        if (!d.getValue().isAlive()) {
          throw new AssertionError(d.getKey() + " exited with " + d.getValue().exitValue());
        }
      }
      try {
        JsonNode state = masterState();
        int alive = 0;
        for (JsonNode w : state.path("workers")) {
          if ("ALIVE".equals(w.path("state").asText())) {
            alive++;
          }
        }
        last = state.toString();
        if (alive == expected) {
          return;
        }
      } catch (IOException e) {
        last = e.toString(); // the web UI is not up yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("Timed out after " + limit + " waiting for " + expected
        + " workers to register; the master said: " + last);
  }

  private static JsonNode json(int port) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/json/")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + " from port " + port);
    }
    return new ObjectMapper().readTree(response.body());
  }

  /** Ports handed out in this JVM: the daemons start asynchronously, so one must not get another's. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A free loopback port not handed out before in this JVM. The daemons bind theirs only once
   * started, so the OS could offer the master UI's port again for a worker (a CI run failed so:
   * the worker took it, the master moved its UI one port up, and the registration check asked
   * the worker's RPC port for JSON).
   */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (HANDED_OUT.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
    throw new IOException("No free loopback port that was not handed out already");
  }
}

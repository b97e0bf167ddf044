package io.lakeops.jobs;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A job JVM started directly (no wrapper shell, so {@link #kill()} is a SIGKILL of the JVM that
 * writes), as {@code ./lakeops} starts it: the job jar on the Spark jars, the Java 17 flags.
 * Output goes to files, so a test can wait for a log line while the job runs. Delta's commit
 * lines ({@code Committed delta #N to <table>/_delta_log}) are logged at INFO, for kill points.
 */
public final class JobProcess implements AutoCloseable {

  private static final Path JAR = Path.of(System.getProperty("lakeops.jobs.jar", "target/lakeops-jobs.jar"));
  private static final Path SPARK_CLASSPATH = Path.of(
      System.getProperty("lakeops.spark.classpath.file", "target/spark-classpath.txt"));

  private final Process process;
  private final Path out;
  private final Path err;
  private final Instant started;

  private JobProcess(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
    this.started = Instant.now();
  }

  /** Starts {@code lakeops <args>} in {@code workingDir}. */
  public static JobProcess start(Path workingDir, Map<String, String> env, List<String> args)
      throws IOException {
    Path logConfig = workingDir.resolve("log4j2-commits.properties");
    if (!Files.exists(logConfig)) {
      Files.writeString(logConfig, String.join("\n",
          "rootLogger.level = warn",
          "rootLogger.appenderRef.stderr.ref = console",
          "appender.console.type = Console",
          "appender.console.name = console",
          "appender.console.target = SYSTEM_ERR",
          "appender.console.layout.type = PatternLayout",
          "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n",
          "logger.hive.name = org.apache.hadoop.hive",
          "logger.hive.level = error",
          "logger.sparkhive.name = org.apache.spark.sql.hive",
          "logger.sparkhive.level = error",
          "logger.datanucleus.name = DataNucleus",
          "logger.datanucleus.level = error",
          "logger.commits.name = org.apache.spark.sql.delta.OptimisticTransaction",
          "logger.commits.level = info", ""));
    }
    // C1 only and the serial collector: a job JVM of a test lives for seconds on a few hundred
    // rows (see ProcessRun.shortLivedJvmOptions).
    List<String> jvm = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
    jvm.addAll(ProcessRun.shortLivedJvmOptions());
    jvm.addAll(ProcessRun.sparkJavaOptions());
    String classpath = JobClassArchive.classpath(JAR, SPARK_CLASSPATH);
    // Spark's, Hive's and Delta's classes mapped from an archive instead of loaded from the jars.
    List<String> command = new ArrayList<>(jvm);
    command.addAll(JobClassArchive.flags(JAR, jvm, classpath));
    command.add("-Dlog4j2.configurationFile=" + logConfig);
    command.addAll(List.of("-cp", classpath, "io.lakeops.jobs.LakeOps"));
    command.addAll(args);
    String name = "job-" + System.nanoTime();
    Path out = workingDir.resolve(name + ".out");
    Path err = workingDir.resolve(name + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().putAll(env);
    return new JobProcess(pb.start(), out, err);
  }

  /**
   * Waits until a line of stdout or stderr matches, and returns the time it was seen; empty when
   * the process ended first or the limit passed.
   */
  public java.util.Optional<Instant> awaitLine(Pattern pattern, Duration limit)
      throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(limit);
    while (Instant.now().isBefore(deadline)) {
      boolean alive = process.isAlive();
      if (matches(pattern)) {
        return java.util.Optional.of(Instant.now());
      }
      if (!alive) {
        return java.util.Optional.empty();
      }
      Thread.sleep(20);
    }
    return java.util.Optional.empty();
  }

  public boolean matches(Pattern pattern) throws IOException {
    return pattern.matcher(text(err)).find() || pattern.matcher(text(out)).find();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Instant started() {
    return started;
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL (kill -9) of the job's JVM; returns whether it was still running. */
  public boolean kill() throws InterruptedException {
    boolean wasAlive = process.isAlive();
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    return wasAlive;
  }

  /** Waits for the end and returns what the job printed. */
  public ProcessRun await(Duration limit) throws IOException, InterruptedException {
    if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      close();
      throw new AssertionError("Timed out after " + limit + "\nstderr:\n" + text(err));
    }
    return new ProcessRun(process.exitValue(), text(out), text(err));
  }

  /** stderr so far. */
  public String err() {
    try {
      return text(err);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  private static String text(Path file) throws IOException {
    return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
  }
}

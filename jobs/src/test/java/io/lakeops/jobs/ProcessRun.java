package io.lakeops.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A separate process, run to completion with a time limit; output kept in files for failures. */
public record ProcessRun(int exitCode, String out, String err) {

  public static ProcessRun run(Path workingDir, Map<String, String> env, Duration limit,
      List<String> command) throws IOException, InterruptedException {
    String name = "proc-" + System.nanoTime();
    File out = workingDir.resolve(name + ".out").toFile();
    File err = workingDir.resolve(name + ".err").toFile();
    ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile())
        .redirectOutput(out).redirectError(err).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError("Timed out after " + limit + ": " + command + "\nstderr:\n"
          + Files.readString(err.toPath(), StandardCharsets.UTF_8));
    }
    return new ProcessRun(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
        Files.readString(err.toPath(), StandardCharsets.UTF_8));
  }

  public List<String> outLines() {
    return out.lines().toList();
  }

  public JsonNode json() {
    return resultJson(out, err);
  }

  /** The job contract: the last stdout line is the result as one JSON object. */
  static JsonNode resultJson(String out, String err) {
    List<String> lines = out.lines().toList();
    try {
      return new ObjectMapper().readTree(lines.get(lines.size() - 1));
    } catch (Exception e) {
      throw new AssertionError("The last stdout line is not JSON.\nstdout:\n" + out + "\nstderr:\n" + err, e);
    }
  }

  /** For assertion messages. */
  public String describe() {
    return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr (tail):\n"
        + err.substring(Math.max(0, err.length() - 6000));
  }

  /**
   * For a JVM a test starts that lives for a minute or less on small data (a job, spark-submit,
   * a standalone Master, Worker or executor): C1 only and the serial collector, where C2
   * compilations and parallel GC threads cost about 45% of the CPU time for nothing (measured on
   * a small ingest: 40 s -> 22 s of CPU). What the JVM computes is the same.
   */
  public static List<String> shortLivedJvmOptions() {
    return List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
  }

  /** The JVM flags Spark 3.5 needs on Java 17, as the build passes them to tests. */
  public static List<String> sparkJavaOptions() {
    return List.of(System.getProperty("lakeops.spark.java17.opens", "").trim().split("\\s+"));
  }
}

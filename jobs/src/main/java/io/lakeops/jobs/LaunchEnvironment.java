package io.lakeops.jobs;

import io.lakeops.jobs.spark.LakehouseSessionFactory;
import io.lakeops.jobs.spark.SparkSessionFactory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * What a launch sees of the world: output streams, environment, system properties, working
 * directory, clock and how sessions are made. {@link #system()} is the real one; tests pass their
 * own so they can run the CLI in-process.
 */
public record LaunchEnvironment(PrintStream out, PrintStream err, Map<String, String> env,
    Map<String, String> systemProperties, Path workingDir, Clock clock,
    SparkSessionFactory sessions) {

  public LaunchEnvironment {
    env = Map.copyOf(env);
    systemProperties = Map.copyOf(systemProperties);
  }

  public static LaunchEnvironment system() {
    Map<String, String> props = new HashMap<>();
    System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
    return new LaunchEnvironment(System.out, System.err, System.getenv(), props,
        Path.of("").toAbsolutePath(), Clock.systemUTC(), new LakehouseSessionFactory());
  }
}

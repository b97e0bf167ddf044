package io.lakeops.jobs.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where configuration comes from, lowest precedence first: every module's {@code reference.conf}
 * (the defaults), the project file ({@code conf/application.conf}, else the copy in the jar), the
 * user's {@code --config FILE}, environment variables {@code CONFIG_FORCE_<path>}, JVM system
 * properties {@code lakeops.*}, and command-line {@code -Dkey=value}.
 *
 * @param projectFile the project's application.conf on disk; empty means the copy in the jar
 * @param userFile the file of {@code --config}, if given
 * @param environment the process environment (for {@code CONFIG_FORCE_} overrides)
 * @param systemProperties JVM system properties; only {@code lakeops.*} keys are used
 * @param overrides command-line {@code -Dkey=value} pairs, in order
 */
public record ConfigSources(
    Optional<Path> projectFile,
    Optional<Path> userFile,
    Map<String, String> environment,
    Map<String, String> systemProperties,
    Map<String, String> overrides) {

  public ConfigSources {
    environment = Map.copyOf(environment);
    systemProperties = Map.copyOf(systemProperties);
    overrides = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(overrides));
  }

  /** Environment variables with this prefix override keys (Typesafe Config's convention). */
  public static final String ENV_PREFIX = "CONFIG_FORCE_";

  /**
   * The project's application.conf: {@code $LAKEOPS_CONF_DIR/application.conf} when that variable
   * is set, else {@code conf/application.conf} under the working directory when it exists.
   */
  public static Optional<Path> findProjectFile(Map<String, String> env, Path workingDir) {
    String dir = env.get("LAKEOPS_CONF_DIR");
    if (dir != null && !dir.isBlank()) {
      Path named = Path.of(dir).resolve("application.conf");
      if (!java.nio.file.Files.isRegularFile(named)) {
        throw new InvalidConfigException(java.util.List.of(new ConfigProblem("", "environment variable LAKEOPS_CONF_DIR",
            "Cannot read the project configuration " + named + ": no such file. "
                + "Point LAKEOPS_CONF_DIR at the folder that holds application.conf, or unset it.")));
      }
      return Optional.of(named);
    }
    Path candidate = workingDir.resolve("conf").resolve("application.conf");
    return java.nio.file.Files.isRegularFile(candidate) ? Optional.of(candidate) : Optional.empty();
  }
}

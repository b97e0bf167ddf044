package io.lakeops.jobs.config;

import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobFailure;
import java.util.List;
import java.util.stream.Collectors;

/** The configuration cannot be used; lists every problem found, not only the first. */
public final class InvalidConfigException extends JobFailure {
  private static final long serialVersionUID = 1L;
  private final transient List<ConfigProblem> problems;

  public InvalidConfigException(List<ConfigProblem> problems) {
    super(ExitCode.USAGE, render(problems));
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String render(List<ConfigProblem> problems) {
    String header = problems.size() == 1
        ? "Invalid configuration: "
        : "Invalid configuration (" + problems.size() + " problems):\n  ";
    return header + problems.stream().map(ConfigProblem::toString)
        .collect(Collectors.joining("\n  "));
  }
}

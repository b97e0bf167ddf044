package io.lakeops.jobs;

import java.util.Objects;

/** A failure that knows its exit code. Messages follow "Cannot do X: why. How to fix." */
public class JobFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ExitCode exitCode;

  public JobFailure(ExitCode exitCode, String message) {
    super(message);
    this.exitCode = Objects.requireNonNull(exitCode, "exitCode");
  }

  public JobFailure(ExitCode exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = Objects.requireNonNull(exitCode, "exitCode");
  }

  public ExitCode exitCode() {
    return exitCode;
  }

  public static JobFailure usage(String message) {
    return new JobFailure(ExitCode.USAGE, message);
  }
}

package io.lakeops.jobs;

/** The exit-code contract of ARCHITECTURE.md; each code has the status word used in results. */
public enum ExitCode {
  /** Done (or passed). */
  OK(0, "SUCCEEDED"),
  /** A failure worth a retry: I/O, cluster, a bug. */
  FAILURE(1, "FAILED"),
  /** Usage or configuration error: retrying will not help until someone fixes the input. */
  USAGE(2, "USAGE_ERROR"),
  /** Input rejected by validation. */
  INPUT_REJECTED(3, "INPUT_REJECTED"),
  /** Candidate model rejected by a gate. */
  GATE_REJECTED(4, "GATE_REJECTED"),
  /** Drift over the threshold (only with --fail-on-drift). */
  DRIFT_DETECTED(5, "DRIFT_DETECTED");

  private final int code;
  private final String status;

  ExitCode(int code, String status) {
    this.code = code;
    this.status = status;
  }

  public int code() {
    return code;
  }

  /** The status word written to results and {@code job_runs}. */
  public String status() {
    return status;
  }
}

package io.lakeops.jobs.run;

import io.lakeops.jobs.ExitCode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What a job reports when it returns normally.
 *
 * @param exitCode the job's verdict ({@code OK}, or a rejection such as {@code INPUT_REJECTED})
 * @param rowsIn rows read, where known
 * @param rowsOut rows written, where known
 * @param message one line for people
 * @param outputs job-specific result fields for the result JSON (tables, paths, counts)
 */
public record JobOutcome(ExitCode exitCode, OptionalLong rowsIn, OptionalLong rowsOut,
    String message, Map<String, Object> outputs) {

  public JobOutcome {
    outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  public static JobOutcome ok(String message) {
    return new JobOutcome(ExitCode.OK, OptionalLong.empty(), OptionalLong.empty(), message, Map.of());
  }

  public JobOutcome withRows(long in, long out) {
    return new JobOutcome(exitCode, OptionalLong.of(in), OptionalLong.of(out), message, outputs);
  }

  public JobOutcome withRowsOut(long out) {
    return new JobOutcome(exitCode, rowsIn, OptionalLong.of(out), message, outputs);
  }

  public JobOutcome withOutput(String key, Object value) {
    Map<String, Object> more = new LinkedHashMap<>(outputs);
    more.put(key, value);
    return new JobOutcome(exitCode, rowsIn, rowsOut, message, more);
  }
}

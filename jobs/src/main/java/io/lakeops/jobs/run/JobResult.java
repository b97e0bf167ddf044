package io.lakeops.jobs.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lakeops.jobs.ExitCode;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The result of one run: the last line on stdout, and the same JSON in the results folder.
 *
 * @param job the subcommand
 * @param runId the run id (also in {@code job_runs} and in the Delta commits of the run)
 * @param logicalDate the {@code --run-date}, if the job is dated
 * @param exitCode the process exit code
 * @param startedAt start of the run
 * @param endedAt end of the run
 * @param rowsIn rows read, where known
 * @param rowsOut rows written, where known
 * @param configHash hash of the effective configuration (secrets excluded), if it loaded
 * @param message one line for people: what was done, or what went wrong and how to fix it
 * @param outputs job-specific fields
 */
public record JobResult(String job, String runId, LocalDate logicalDate, ExitCode exitCode,
    Instant startedAt, Instant endedAt, OptionalLong rowsIn, OptionalLong rowsOut,
    String configHash, String message, Map<String, Object> outputs) {

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(SerializationFeature.INDENT_OUTPUT);

  public JobResult {
    outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  public long durationMs() {
    return endedAt.toEpochMilli() - startedAt.toEpochMilli();
  }

  /** The fields in a fixed order, with nulls for what is unknown. */
  public Map<String, Object> fields() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("job", job);
    f.put("run_id", runId);
    f.put("status", exitCode.status());
    f.put("exit_code", exitCode.code());
    f.put("logical_date", logicalDate == null ? null : logicalDate.toString());
    f.put("started_at", startedAt.toString());
    f.put("ended_at", endedAt.toString());
    f.put("duration_ms", durationMs());
    f.put("rows_in", rowsIn.isPresent() ? rowsIn.getAsLong() : null);
    f.put("rows_out", rowsOut.isPresent() ? rowsOut.getAsLong() : null);
    f.put("config_hash", configHash);
    f.put("message", message);
    f.put("outputs", outputs);
    return f;
  }

  /** One line of JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(fields());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot render the result of run " + runId + " as JSON", e);
    }
  }
}

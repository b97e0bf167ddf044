package io.lakeops.jobs.features;

import io.lakeops.features.IngestResult;
import io.lakeops.features.spark.FeatureTables;
import io.lakeops.features.spark.IngestJob;
import io.lakeops.features.spark.IngestRejected;
import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.run.JobOutcome;
import java.io.PrintStream;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lakeops ingest --group G --run-date D}. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {"Read a feature group's source for a run date, validate every row, quarantine "
        + "bad rows with their reasons, and take the batch if every check passes.",
        "Exit 3 when the rejected share or a batch check breaks its threshold; the group's "
            + "ingested table is then left untouched for that date."})
public final class IngestCommand extends FeatureGroupCommand {

  @Option(names = "--run-date", required = true, paramLabel = "YYYY-MM-DD",
      description = "Logical date of the run (Airflow: {{ ds }}).")
  LocalDate runDate;

  @Override
  protected String jobName() {
    return "ingest";
  }

  @Override
  protected LocalDate logicalDate() {
    return runDate;
  }

  public static FeatureTables tables(LakeOpsSettings settings) {
    LakeOpsSettings.Features f = settings.features();
    return new FeatureTables(f.database(), f.quarantineTable(), f.validationResultsTable(), f.catalogTable());
  }

  @Override
  protected JobOutcome run(JobContext context) {
    IngestResult result;
    try {
      result = new IngestJob(context.spark(), tables(context.settings())).run(group, runDate,
          context.runId(), java.time.Instant.now(),
          SourceSecrets.environment(group, context.environment().env()));
    } catch (IngestRejected e) {
      throw new JobFailure(ExitCode.INPUT_REJECTED, e.getMessage());
    }
    print(context.out(), result);
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("input_rows", result.dataRows());
    counts.put("accepted", result.accepted());
    counts.put("quarantined", result.quarantined());
    counts.put("header_lines", result.headerLines());
    counts.put("skipped_lines", result.skippedLines());
    counts.put("blank_lines", result.blankLines());
    List<String> failed = result.failedChecks().stream()
        .map(c -> c.check() + (c.column().isEmpty() ? "" : "(" + c.column() + ")") + ": " + c.message()
            + " (threshold " + c.threshold() + ")").toList();
    String message = result.passed()
        ? "Ingested " + result.accepted() + " rows of " + group.name() + " for " + runDate
            + "; " + result.quarantined() + " quarantined"
        : "Rejected the " + group.name() + " batch for " + runDate + ": " + String.join("; ", failed)
            + ". The ingested table is untouched; see " + context.settings().features().quarantineTable()
            + " and " + context.settings().features().validationResultsTable() + ".";
    JobOutcome outcome = new JobOutcome(result.passed() ? ExitCode.OK : ExitCode.INPUT_REJECTED,
        java.util.OptionalLong.of(result.dataRows()),
        java.util.OptionalLong.of(result.passed() ? result.accepted() : 0), message, Map.of());
    return outcome.withOutput("group", group.name()).withOutput("source", result.source())
        .withOutput("counts", counts)
        .withOutput("table", result.written() ? tables(context.settings()).ingested(group) : null)
        .withOutput("failed_checks", failed);
  }

  private static void print(PrintStream out, IngestResult r) {
    out.printf(Locale.ROOT, "ingest %s %s from %s%n", r.group(), r.runDate(), r.source());
    out.printf(Locale.ROOT, "  input rows %,d = accepted %,d + quarantined %,d  (also read: %d header, %d skipped, %d blank lines)%n",
        r.dataRows(), r.accepted(), r.quarantined(), r.headerLines(), r.skippedLines(), r.blankLines());
    for (IngestResult.CheckResult c : r.checks()) {
      out.printf(Locale.ROOT, "  %-4s %-16s %-14s %s [%s]%n", c.passed() ? "ok" : "FAIL", c.check(),
          c.column(), c.message(), c.threshold());
    }
  }
}

package io.lakeops.jobs.features;

import io.lakeops.features.MaterializeResult;
import io.lakeops.features.spark.IngestRejected;
import io.lakeops.features.spark.MaterializeJob;
import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.run.JobOutcome;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lakeops materialize --group G --run-date D}. */
@Command(name = "materialize", mixinStandardHelpOptions = true,
    description = {"Compute a feature group's derived and windowed features for one date from the "
        + "history they need, and merge them into features.<group> idempotently."})
public final class MaterializeCommand extends FeatureGroupCommand {

  @Option(names = "--run-date", required = true, paramLabel = "YYYY-MM-DD",
      description = "The date whose feature rows are computed (Airflow: {{ ds }}).")
  LocalDate runDate;

  @Override
  protected String jobName() {
    return "materialize";
  }

  @Override
  protected LocalDate logicalDate() {
    return runDate;
  }

  @Override
  protected JobOutcome run(JobContext context) {
    MaterializeResult r;
    try {
      r = new MaterializeJob(context.spark(), IngestCommand.tables(context.settings()))
          .run(group, runDate, runDate, Instant.now());
    } catch (IngestRejected e) {
      throw new JobFailure(ExitCode.USAGE, e.getMessage());
    }
    return outcome(context, r);
  }

  static JobOutcome outcome(JobContext context, MaterializeResult r) {
    String table = IngestCommand.tables(context.settings()).database() + "." + r.group();
    context.out().printf(Locale.ROOT, "materialize %s %s..%s: %,d feature rows "
        + "(%,d inserted, %,d updated, %,d deleted) in %s%n", r.group(), r.from(), r.to(),
        r.rowsOut(), r.inserted(), r.updated(), r.deleted(), table);
    return JobOutcome.ok("Materialised " + r.rowsOut() + " rows of " + r.group() + " for "
            + r.from() + (r.from().equals(r.to()) ? "" : ".." + r.to()))
        .withRowsOut(r.rowsOut())
        .withOutput("table", table)
        .withOutput("inserted", r.inserted())
        .withOutput("updated", r.updated())
        .withOutput("deleted", r.deleted());
  }
}

package io.lakeops.jobs.features;

import com.typesafe.config.Config;
import io.lakeops.features.spark.BackfillJob;
import io.lakeops.features.spark.IngestRejected;
import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.run.JobOutcome;
import java.time.LocalDate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lakeops backfill --group G --from D1 --to D2}. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
    description = {"Materialise a feature group over a date range, in chunks, a few at a time; "
        + "finished chunks are recorded, so running it again resumes where it stopped."})
public final class BackfillCommand extends FeatureGroupCommand {

  @Option(names = "--from", required = true, paramLabel = "YYYY-MM-DD", description = "First date (inclusive).")
  LocalDate from;

  @Option(names = "--to", required = true, paramLabel = "YYYY-MM-DD", description = "Last date (inclusive).")
  LocalDate to;

  @Option(names = "--parallelism", paramLabel = "N",
      description = "Chunks at a time (default: lakeops.features.backfill.parallelism).")
  Integer parallelism;

  @Option(names = "--chunk-days", paramLabel = "N",
      description = "Days per chunk (default: lakeops.features.backfill.chunk-days).")
  Integer chunkDays;

  @Override
  protected String jobName() {
    return "backfill";
  }

  @Override
  protected LocalDate logicalDate() {
    return to;
  }

  @Override
  protected void checkArguments(LakeOpsSettings settings, Config config) {
    if (from.isAfter(to)) {
      throw JobFailure.usage("Cannot backfill from " + from + " to " + to + ": --from is after --to.");
    }
    if ((parallelism != null && parallelism < 1) || (chunkDays != null && chunkDays < 1)) {
      throw JobFailure.usage("Cannot use --parallelism " + parallelism + " --chunk-days " + chunkDays
          + ": both must be positive.");
    }
    super.checkArguments(settings, config);
  }

  @Override
  protected JobOutcome run(JobContext context) throws Exception {
    LakeOpsSettings.Features f = context.settings().features();
    BackfillJob.Result r;
    try {
      r = new BackfillJob(context.spark(), IngestCommand.tables(context.settings())).run(group, from, to,
          chunkDays != null ? chunkDays : f.backfillChunkDays(),
          parallelism != null ? parallelism : f.backfillParallelism(), context.runId(),
          line -> {
            context.out().println(line);
            context.out().flush();
          });
    } catch (IngestRejected e) {
      throw new JobFailure(ExitCode.USAGE, e.getMessage());
    }
    return JobOutcome.ok("Backfilled " + group.name() + " " + from + ".." + to + ": " + r.chunks()
            + " chunks, " + r.skipped() + " already done")
        .withRowsOut(r.rowsOut())
        .withOutput("table", f.database() + "." + group.name())
        .withOutput("chunks", r.chunks())
        .withOutput("skipped_chunks", r.skipped());
  }
}

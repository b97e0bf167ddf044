package io.lakeops.jobs.features;

import com.typesafe.config.Config;
import io.lakeops.features.pit.FeatureRequest;
import io.lakeops.features.pit.PitOptions;
import io.lakeops.features.trainingset.TrainingSetResult;
import io.lakeops.features.trainingset.TrainingSetSpec;
import io.lakeops.features.trainingset.TrainingSets;
import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobCommand;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.ConfigProblem;
import io.lakeops.jobs.config.InvalidConfigException;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.config.SettingsReader;
import io.lakeops.jobs.run.JobOutcome;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lakeops training-set --spec FILE} builds a training set with the point-in-time join and
 * records it in {@code lakeops.training_sets}; {@code --rebuild ID} reproduces one from its
 * pinned Delta versions and checks that the digest matches.
 */
@Command(name = "training-set", mixinStandardHelpOptions = true,
    description = {"Build a point-in-time training set from a spine and feature references "
        + "(--spec), or rebuild a recorded one exactly from its pinned Delta versions (--rebuild)."})
public final class TrainingSetCommand extends JobCommand {

  @Option(names = "--spec", paramLabel = "FILE",
      description = "Training set spec (HOCON), such as conf/training-sets/demo_churn.conf.")
  Path specFile;

  @Option(names = "--rebuild", paramLabel = "ID",
      description = "Rebuild training set ID (see lakeops.training_sets) from its pinned versions.")
  String rebuildId;

  @Option(names = "--output-table", paramLabel = "TABLE",
      description = "With --rebuild: write here instead of the training set's own table.")
  String outputTable;

  @Option(names = "--run-date", paramLabel = "YYYY-MM-DD",
      description = "Logical date recorded with the run (Airflow: {{ ds }}); the spine decides the rows.")
  LocalDate runDate;

  private TrainingSetSpec spec;
  private String manifestTable;
  private PitOptions pitOptions;

  @Override
  protected String jobName() {
    return "training-set";
  }

  @Override
  protected LocalDate logicalDate() {
    return runDate;
  }

  @Override
  protected void checkArguments(LakeOpsSettings settings, Config config) {
    if ((specFile == null) == (rebuildId == null)) {
      throw new InvalidConfigException(List.of(new ConfigProblem("--spec", "command line",
          "Give either --spec FILE (build) or --rebuild ID (reproduce), not "
              + (specFile == null ? "neither." : "both."))));
    }
    if (outputTable != null && (rebuildId == null || !SettingsReader.isTableName(outputTable))) {
      throw new InvalidConfigException(List.of(new ConfigProblem("--output-table", "command line",
          rebuildId == null ? "--output-table goes with --rebuild; a spec sets output-table itself."
              : "Cannot use '" + outputTable + "' as a table name: expected name or database.name.")));
    }
    SettingsReader r = new SettingsReader(config);
    manifestTable = r.tableName("lakeops.features.tables.training-sets");
    String trainingDb = r.identifier("lakeops.training-sets.database");
    int partitions = r.integer("lakeops.training-sets.partitions", 0, 1_000_000);
    r.check();
    pitOptions = PitOptions.defaults().withPartitions(partitions);
    if (specFile != null) {
      Path file = environment().workingDir().resolve(specFile).normalize();
      var groups = FeatureGroupLoader.loadAll(settings.features().definitionsDir(), config,
          environment().workingDir());
      spec = TrainingSetSpecLoader.load(file, config, groups, settings.features().database(), trainingDb);
    }
  }

  @Override
  protected JobOutcome run(JobContext context) {
    TrainingSets sets = new TrainingSets(context.spark(), manifestTable, pitOptions);
    TrainingSetResult r;
    try {
      if (spec != null) {
        context.step("build training set " + spec.name());
        r = sets.build(spec, context.runId(), Instant.now());
      } else {
        context.step("rebuild training set " + rebuildId);
        r = sets.rebuild(rebuildId, outputTable);
      }
    } catch (IllegalArgumentException e) {
      throw new JobFailure(ExitCode.USAGE, e.getMessage());
    }
    Map<String, Long> versions = new LinkedHashMap<>();
    versions.put(r.spineTable(), r.spineVersion());
    for (FeatureRequest p : r.pinned()) {
      versions.put(p.table(), p.version());
    }
    var out = context.out();
    out.printf(Locale.ROOT, "training set %s: %,d rows -> %s (Delta version %d)%n", r.id(), r.rows(),
        r.outputTable(), r.outputVersion());
    out.printf(Locale.ROOT, "  pinned inputs: %s%n", versions);
    r.matchedShare().forEach((g, share) -> out.printf(Locale.ROOT,
        "  %-28s %5.1f%% of rows have a feature row within the TTL%n", g, 100 * share));
    out.printf(Locale.ROOT, "  digest %s%n", r.digest());
    JobOutcome outcome;
    if (rebuildId != null) {
      String recorded = sets.recordedDigest(rebuildId);
      if (!recorded.equals(r.digest())) {
        throw new JobFailure(ExitCode.FAILURE, "Rebuilt training set " + rebuildId + " into "
            + r.outputTable() + " but its digest " + r.digest() + " differs from the recorded "
            + recorded + ": an input's pinned version is no longer readable as it was (VACUUM?)");
      }
      out.printf(Locale.ROOT, "  digest matches the recorded one%n");
      outcome = JobOutcome.ok("Rebuilt training set " + r.id() + " into " + r.outputTable()
          + "; digest matches").withOutput("digest_matches", true);
    } else {
      outcome = JobOutcome.ok("Built training set " + r.id() + ": " + r.rows() + " rows in " + r.outputTable());
    }
    return outcome.withRows(r.rows(), r.rows())
        .withOutput("training_set_id", r.id())
        .withOutput("table", r.outputTable())
        .withOutput("table_version", r.outputVersion())
        .withOutput("digest", r.digest())
        .withOutput("input_versions", versions)
        .withOutput("matched_share", r.matchedShare())
        .withOutput("carried_rows", r.carriedRows());
  }
}

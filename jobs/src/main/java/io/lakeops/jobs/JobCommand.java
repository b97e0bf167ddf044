package io.lakeops.jobs;

import com.typesafe.config.Config;
import io.lakeops.jobs.config.ConfigSources;
import io.lakeops.jobs.config.EffectiveConfig;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.config.StrictConfigLoader;
import io.lakeops.jobs.run.JobOutcome;
import io.lakeops.jobs.run.JobResult;
import io.lakeops.jobs.run.JobRunLog;
import io.lakeops.jobs.run.ResultFile;
import io.lakeops.jobs.run.RunIds;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * The life of every run, whatever the job: load and validate the configuration (before any
 * Spark session, so a typo costs nothing), start the session, record the run in
 * {@code job_runs}, run, map the outcome to the exit-code contract, write the result JSON to the
 * results folder, and print it as the last line on stdout.
 */
public abstract class JobCommand implements Callable<Integer> {

  /** Delta writes this session setting into the commit info of every commit. */
  static final String DELTA_USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata";

  /** Run ids of the runs in progress in this JVM. */
  private static final java.util.Set<String> ACTIVE_RUN_IDS = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @Mixin
  protected JobOptions options;

  @ParentCommand
  protected LakeOps root;

  /** What this launch sees of the world (streams, environment, working directory). */
  protected LaunchEnvironment environment() {
    return root.environment();
  }

  /** The subcommand name, as recorded in results and {@code job_runs}. */
  protected abstract String jobName();

  /** The work itself. Throw {@link JobFailure} for a verdict other than success or retry. */
  protected abstract JobOutcome run(JobContext context) throws Exception;

  /** The {@code --run-date} of dated jobs; null for the others. */
  protected LocalDate logicalDate() {
    return null;
  }

  protected boolean needsSpark() {
    return true;
  }

  /** Pipeline jobs are recorded in {@code job_runs}; interactive tools ({@code sql}) are not. */
  protected boolean recordsJobRun() {
    return true;
  }

  /**
   * Checks of arguments and definitions against the configuration, before Spark starts; throw
   * {@link JobFailure#usage} or {@link io.lakeops.jobs.config.InvalidConfigException}.
   */
  protected void checkArguments(LakeOpsSettings settings, Config config) {}

  @Override
  public final Integer call() {
    LaunchEnvironment env = root.environment();
    // Microseconds: what a Spark TIMESTAMP holds, so the JSON and job_runs agree exactly.
    Instant start = env.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    String job = jobName();
    String runId = options.runId() != null ? options.runId() : RunIds.generate(job, start);
    ExitCode code;
    String message;
    JobOutcome outcome = null;
    EffectiveConfig config = null;
    LakeOpsSettings settings = null;
    SparkSession spark = null;
    JobRunLog runLog = null;
    String previousMetadata = null;
    try {
      if (!RunIds.isValid(runId)) {
        throw JobFailure.usage("Cannot use --run-id \"" + runId + "\": use 1-200 letters, digits "
            + "and . _ - : + only.");
      }
      ConfigSources sources = sources(env);
      Config loaded = new StrictConfigLoader().load(sources);
      config = new EffectiveConfig(loaded);
      settings = LakeOpsSettings.from(loaded, env.workingDir(), sources.projectFile()
          .map(p -> p.toAbsolutePath().getParent()).orElse(env.workingDir().resolve("conf")));
      checkArguments(settings, loaded);
      if (needsSpark()) {
        spark = env.sessions().create("lakeops " + job, settings);
        String current = spark.conf().getOption(DELTA_USER_METADATA).getOrElse(() -> null);
        // Another run in this JVM (runs sharing one session, as in tests) is not restored later.
        previousMetadata = current == null || ACTIVE_RUN_IDS.contains(current) ? null : current;
        ACTIVE_RUN_IDS.add(runId);
        spark.conf().set(DELTA_USER_METADATA, runId);
        if (recordsJobRun() && settings.recordJobRuns()) {
          spark.sparkContext().setJobDescription("lakeops " + job + " [" + runId + "]: record run start");
          JobRunLog log = new JobRunLog(spark, settings.jobRunsTable());
          log.ensureTable();
          log.started(job, runId, logicalDate(), start, config.hash(), LakeOps.version());
          runLog = log;
        }
      }
      outcome = run(new JobContext(job, runId, settings, config, spark, env));
      if (spark != null) {
        outcome = outcome.withOutput("spark_master", spark.sparkContext().master());
      }
      code = outcome.exitCode();
      message = outcome.message();
    } catch (JobFailure e) {
      code = e.exitCode();
      message = e.getMessage();
    } catch (Throwable e) { // even OutOfMemoryError: record, report, exit 1
      code = ExitCode.FAILURE;
      message = "Job " + job + " failed: " + describe(e);
      env.err().println(stackTrace(e));
    }

    JobResult result = result(job, runId, code, message, outcome, config, start, env);
    try {
      if (settings != null && needsSpark()) {
        String path = ResultFile.pathFor(settings.lakehouse().resultsDir(), job, runId);
        result = withResultPath(result, path);
        ResultFile.write(spark != null ? spark.sparkContext().hadoopConfiguration()
            : new org.apache.hadoop.conf.Configuration(), path, result.toJson());
      }
    } catch (Exception e) {
      env.err().println(stackTrace(e));
      result = failedAfterwards(result,
          "Cannot write the result file under " + settings.lakehouse().resultsDir() + ": " + describe(e));
    }
    if (runLog != null) {
      try {
        runLog.finished(result, LakeOps.version());
      } catch (Exception e) {
        env.err().println(stackTrace(e));
        result = failedAfterwards(result,
            "Cannot record the run in " + settings.jobRunsTable() + ": " + describe(e));
      }
    }
    if (spark != null) {
      try {
        ACTIVE_RUN_IDS.remove(runId);
        String now = spark.conf().getOption(DELTA_USER_METADATA).getOrElse(() -> null);
        // Only this run's own tag is undone: a concurrent run in the same session keeps its own.
        if (runId.equals(now)) {
          if (previousMetadata == null) {
            spark.conf().unset(DELTA_USER_METADATA);
          } else {
            spark.conf().set(DELTA_USER_METADATA, previousMetadata);
          }
        }
        spark.sparkContext().setJobDescription(null);
      } finally {
        env.sessions().release(spark);
      }
    }
    if (result.exitCode() != ExitCode.OK) {
      env.err().println("lakeops " + job + ": " + result.exitCode().status() + " (exit "
          + result.exitCode().code() + "): " + result.message());
    }
    env.out().println(result.toJson());
    env.out().flush();
    return result.exitCode().code();
  }

  private ConfigSources sources(LaunchEnvironment env) {
    return new ConfigSources(
        ConfigSources.findProjectFile(env.env(), env.workingDir()),
        Optional.ofNullable(options.configFile()).map(p -> env.workingDir().resolve(p)),
        env.env(), env.systemProperties(), options.overrides());
  }

  private JobResult result(String job, String runId, ExitCode code, String message,
      JobOutcome outcome, EffectiveConfig config, Instant start, LaunchEnvironment env) {
    return new JobResult(job, runId, logicalDate(), code, start,
        env.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS),
        outcome == null ? OptionalLong.empty() : outcome.rowsIn(),
        outcome == null ? OptionalLong.empty() : outcome.rowsOut(),
        config == null ? null : config.hash(), message,
        outcome == null ? Map.of() : outcome.outputs());
  }

  private static JobResult failedAfterwards(JobResult r, String why) {
    ExitCode code = r.exitCode() == ExitCode.OK ? ExitCode.FAILURE : r.exitCode();
    return new JobResult(r.job(), r.runId(), r.logicalDate(), code, r.startedAt(), r.endedAt(),
        r.rowsIn(), r.rowsOut(), r.configHash(), r.message() + "; " + why, r.outputs());
  }

  private static JobResult withResultPath(JobResult r, String path) {
    Map<String, Object> outputs = new java.util.LinkedHashMap<>(r.outputs());
    outputs.put("result_path", path);
    return new JobResult(r.job(), r.runId(), r.logicalDate(), r.exitCode(), r.startedAt(),
        r.endedAt(), r.rowsIn(), r.rowsOut(), r.configHash(), r.message(), outputs);
  }

  /**
   * The class and first line of the message; for known root causes (another JVM holding the
   * embedded metastore) the cause and the fix instead.
   */
  public static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (t instanceof org.apache.spark.sql.delta.DeltaConcurrentModificationException
          || t instanceof org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException) {
        // Two runs of the same job and date at once: Delta let one commit and refused the other.
        return "Cannot commit: another run wrote the same Delta table at the same time, and the "
            + "conflicting write of this run was not applied. Run the job again once the other run "
            + "has finished (a retry is safe: reruns replace the same rows). ("
            + t.getClass().getSimpleName() + ": " + m.lines().findFirst().orElse("") + ")";
      }
      if (m.contains("Another instance of Derby may have already booted the database")) {
        return "Cannot open the embedded metastore: another process (an earlier LakeOps run, a "
            + "spark-shell) is using it. Wait for it to finish, or point lakeops.lakehouse.root "
            + "elsewhere. (" + m.lines().findFirst().orElse("") + ")";
      }
    }
    String m = e.getMessage();
    String first = m == null ? "" : m.lines().map(String::strip).filter(l -> !l.isEmpty())
        .findFirst().orElse("");
    return e.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
  }

  private static String stackTrace(Throwable e) {
    StringWriter w = new StringWriter();
    e.printStackTrace(new PrintWriter(w));
    return w.toString();
  }
}

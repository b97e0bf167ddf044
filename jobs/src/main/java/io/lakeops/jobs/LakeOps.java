package io.lakeops.jobs;

import io.lakeops.jobs.demo.DemoCommand;
import io.lakeops.jobs.run.JobResult;
import io.lakeops.jobs.sql.SqlCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The one entry point: {@code spark-submit --class io.lakeops.jobs.LakeOps lakeops-jobs.jar <job>}. */
@Command(name = "lakeops",
    mixinStandardHelpOptions = true,
    versionProvider = LakeOps.VersionProvider.class,
    description = {
        "LakeOps: the ML lifecycle as Spark batch jobs on Delta tables.",
        "Exit codes: 0 done, 1 failure worth a retry, 2 usage or configuration error, "
            + "3 input rejected, 4 candidate rejected by a gate, 5 drift over the threshold.",
        "The last line on stdout is the result as one JSON object."},
    subcommands = {DemoCommand.class, io.lakeops.jobs.features.IngestCommand.class,
        io.lakeops.jobs.features.MaterializeCommand.class, io.lakeops.jobs.features.BackfillCommand.class,
        io.lakeops.jobs.features.TrainingSetCommand.class, io.lakeops.jobs.drift.DriftCommand.class,
        SqlCommand.class, ConfigCommand.class,
        CommandLine.HelpCommand.class})
public final class LakeOps implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  private final LaunchEnvironment environment;

  LakeOps(LaunchEnvironment environment) {
    this.environment = environment;
  }

  public static void main(String[] args) {
    // Exit explicitly, whatever happens: Hive and Hadoop leave non-daemon threads, and the code
    // must reach the shell.
    int code = ExitCode.FAILURE.code();
    try {
      code = execute(args, LaunchEnvironment.system());
    } catch (Throwable t) {
      t.printStackTrace();
    } finally {
      System.exit(code);
    }
  }

  /** Runs the command line in this JVM and returns the exit code. */
  public static int execute(String[] args, LaunchEnvironment environment) {
    CommandLine cli = new CommandLine(new LakeOps(environment));
    cli.setOut(new PrintWriter(environment.out(), true));
    cli.setErr(new PrintWriter(environment.err(), true));
    cli.setParameterExceptionHandler((e, arguments) -> {
      CommandLine failed = e.getCommandLine();
      failed.getErr().println("lakeops: " + e.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(e, failed.getErr());
      failed.usage(failed.getErr());
      printUsageResult(environment, failed.getCommandName(), e.getMessage());
      return ExitCode.USAGE.code();
    });
    cli.setExecutionExceptionHandler((e, failed, parsed) -> {
      // Jobs handle their own failures; this is a bug in the launcher itself.
      e.printStackTrace(failed.getErr());
      return ExitCode.FAILURE.code();
    });
    return cli.execute(args);
  }

  LaunchEnvironment environment() {
    return environment;
  }

  @Override
  public Integer call() {
    spec.commandLine().getErr().println("lakeops: missing the job to run (a subcommand).");
    spec.commandLine().usage(spec.commandLine().getErr());
    printUsageResult(environment, "lakeops", "missing the job to run (a subcommand)");
    return ExitCode.USAGE.code();
  }

  private static void printUsageResult(LaunchEnvironment env, String job, String message) {
    java.time.Instant now = env.clock().instant();
    JobResult result = new JobResult(job, null, null, ExitCode.USAGE, now, now,
        OptionalLong.empty(), OptionalLong.empty(), null, message, Map.of());
    env.out().println(result.toJson());
    env.out().flush();
  }

  /** The version of the job jar. */
  public static String version() {
    try (InputStream in = LakeOps.class.getResourceAsStream("/lakeops-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"LakeOps " + version(),
          "Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ", Java "
              + System.getProperty("java.version")};
    }
  }
}

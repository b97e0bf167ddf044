package io.lakeops.jobs;

import io.lakeops.jobs.run.JobOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the effective configuration, secrets masked. Starts no Spark. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Print the effective configuration (all layers merged, secrets masked) and exit.")
public final class ConfigCommand extends JobCommand {

  @Option(names = "--origins", description = "Show where each value was set (file and line, environment, -D).")
  boolean origins;

  @Override
  protected String jobName() {
    return "config";
  }

  @Override
  protected boolean needsSpark() {
    return false;
  }

  @Override
  protected boolean recordsJobRun() {
    return false;
  }

  @Override
  protected JobOutcome run(JobContext context) {
    context.out().println(context.config().render(origins).strip());
    return JobOutcome.ok("Configuration is valid");
  }
}

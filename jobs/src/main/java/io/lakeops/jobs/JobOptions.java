package io.lakeops.jobs;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every subcommand takes. */
public final class JobOptions {

  @Option(names = "--config", paramLabel = "FILE",
      description = "HOCON file layered over conf/application.conf and the defaults.")
  Path configFile;

  @Option(names = "-D", paramLabel = "KEY=VALUE", mapFallbackValue = "",
      description = "Override one configuration key, e.g. -Dlakeops.lakehouse.root=/data/lh. Repeatable; wins over every file and the environment.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(names = "--run-id", paramLabel = "ID",
      description = "Run id to record (e.g. Airflow's {{ run_id }}); generated when absent.")
  String runId;

  public Path configFile() {
    return configFile;
  }

  public Map<String, String> overrides() {
    return overrides;
  }

  public String runId() {
    return runId;
  }
}

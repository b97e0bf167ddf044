package io.lakeops.jobs.config;

import com.typesafe.config.Config;
import java.util.Map;
import java.util.Optional;

/** Configurations for tests. */
public final class LakeOpsSettingsFixtures {

  private LakeOpsSettingsFixtures() {}

  /** The defaults of every module, validated, as a job would load them with no user layer. */
  public static Config referenceConfig() {
    return new StrictConfigLoader().load(new ConfigSources(Optional.empty(), Optional.empty(),
        Map.of(), Map.of(), Map.of()));
  }
}

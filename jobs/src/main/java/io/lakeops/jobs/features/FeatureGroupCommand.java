package io.lakeops.jobs.features;

import com.typesafe.config.Config;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.jobs.JobCommand;
import io.lakeops.jobs.config.LakeOpsSettings;
import picocli.CommandLine.Option;

/**
 * A job on one feature group ({@code --group}): its definition is loaded and checked before
 * Spark starts, so a bad definition exits 2 without a session.
 */
abstract class FeatureGroupCommand extends JobCommand {

  @Option(names = "--group", required = true, paramLabel = "GROUP", description = "Feature group name.")
  String groupName;

  FeatureGroup group;

  @Override
  protected void checkArguments(LakeOpsSettings settings, Config config) {
    group = FeatureGroupLoader.load(settings.features().definitionsDir(), config,
        environment().workingDir(), groupName);
  }
}

package io.lakeops.jobs;

import io.lakeops.jobs.config.EffectiveConfig;
import io.lakeops.jobs.config.LakeOpsSettings;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/**
 * What a running job gets: its run id, settings, configuration, session (null for jobs that do
 * not need Spark) and the launch environment.
 */
public record JobContext(String job, String runId, LakeOpsSettings settings, EffectiveConfig config,
    SparkSession spark, LaunchEnvironment environment) {

  public PrintStream out() {
    return environment.out();
  }

  /** Names the Spark jobs that follow, so the Spark UI and logs say which LakeOps step runs. */
  public void step(String description) {
    if (spark != null) {
      spark.sparkContext().setJobDescription("lakeops " + job + " [" + runId + "]: " + description);
    }
  }
}

package io.lakeops.jobs.spark;

import io.lakeops.jobs.config.LakeOpsSettings;
import org.apache.spark.sql.SparkSession;

/** Creates the session a job runs in, and releases it when the job is done. */
public interface SparkSessionFactory {

  SparkSession create(String appName, LakeOpsSettings settings);

  /** Called once the job is done with the session. */
  void release(SparkSession session);
}

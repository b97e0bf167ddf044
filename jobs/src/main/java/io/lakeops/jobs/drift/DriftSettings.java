package io.lakeops.jobs.drift;

import com.typesafe.config.Config;
import io.lakeops.jobs.config.SettingsReader;

/**
 * The drift job's settings ({@code lakeops.drift.*}, defaults in the drift module's
 * reference.conf), read apart from {@code LakeOpsSettings} so the drift job owns them.
 *
 * @param metricsTable {@code lakeops.drift_metrics}
 * @param profilesTable {@code lakeops.drift_profiles}
 * @param trainingSetsTable the training-set manifest a {@code reference.training-set} id is
 *     looked up in ({@code lakeops.features.tables.training-sets}, {@code lakeops.training_sets})
 */
public record DriftSettings(String metricsTable, String profilesTable, String trainingSetsTable) {

  public static DriftSettings from(Config config) {
    SettingsReader r = new SettingsReader(config);
    DriftSettings s = new DriftSettings(r.tableName("lakeops.drift.tables.drift-metrics"),
        r.tableName("lakeops.drift.tables.drift-profiles"),
        r.tableName("lakeops.features.tables.training-sets"));
    r.check();
    return s;
  }
}

package io.lakeops.jobs.drift;

import com.typesafe.config.Config;
import io.lakeops.jobs.config.SettingsReader;

/**
 * The drift job's settings ({@code lakeops.drift.*}, defaults in the drift module's
 * reference.conf), read apart from {@code LakeOpsSettings} so the drift job owns them.
 *
 * @param metricsTable {@code lakeops.drift_metrics}
 * @param profilesTable {@code lakeops.drift_profiles}
 */
public record DriftSettings(String metricsTable, String profilesTable) {

  public static DriftSettings from(Config config) {
    SettingsReader r = new SettingsReader(config);
    DriftSettings s = new DriftSettings(r.tableName("lakeops.drift.tables.drift-metrics"),
        r.tableName("lakeops.drift.tables.drift-profiles"));
    r.check();
    return s;
  }
}

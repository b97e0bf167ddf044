package io.lakeops.features.spark;

import io.lakeops.features.definition.FeatureGroup;

/**
 * Where a feature group's data lives.
 *
 * @param database the features database (default {@code features})
 * @param quarantine rejected rows of every group
 * @param validationResults check metrics of every ingest
 * @param catalog the feature catalog
 */
public record FeatureTables(String database, String quarantine, String validationResults,
    String catalog) {

  /** Validated source rows of a group: what ingest writes and materialise reads. */
  public String ingested(FeatureGroup group) {
    return database + "." + group.name() + "_ingested";
  }

  /** The materialised features of a group: {@code features.<group>}. */
  public String features(FeatureGroup group) {
    return database + "." + group.name();
  }
}

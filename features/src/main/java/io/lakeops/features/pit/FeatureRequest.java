package io.lakeops.features.pit;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The features wanted from one feature table in a point-in-time join.
 *
 * @param group short name of the group; output columns default to {@code <group>__<feature>}
 *     and the audit column is {@code <group>__feature_ts}
 * @param table the feature table (Delta, with row tracking: {@code delta.enableRowTracking})
 * @param version the Delta version to read (time travel), or null for the current one
 * @param entityKeys the table's entity key columns
 * @param spineKeys the spine columns matched to {@code entityKeys}, in the same order
 * @param features the features to fetch, each with its output column name
 * @param ttl a feature row is usable at spine time t when {@code t - ttl <= event_ts <= t}
 *     (both bounds inclusive; exact elapsed time, so a DST change does not stretch it)
 */
public record FeatureRequest(String group, String table, Long version, List<String> entityKeys,
    List<String> spineKeys, List<Feature> features, Duration ttl) {

  public FeatureRequest {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(table, "table");
    entityKeys = List.copyOf(entityKeys);
    spineKeys = List.copyOf(spineKeys);
    features = List.copyOf(features);
    Objects.requireNonNull(ttl, "ttl");
    if (entityKeys.isEmpty() || entityKeys.size() != spineKeys.size()) {
      throw new IllegalArgumentException("Feature group " + group + ": " + spineKeys.size()
          + " spine key column(s) " + spineKeys + " for " + entityKeys.size() + " entity key(s) "
          + entityKeys + "; give one spine column per entity key");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("Feature group " + group + ": ttl must be positive, got " + ttl);
    }
  }

  /** The same request, pinned to a Delta version. */
  public FeatureRequest atVersion(long pinned) {
    return new FeatureRequest(group, table, pinned, entityKeys, spineKeys, features, ttl);
  }

  /** Audit column: the event time of the feature row used (null when none matched). */
  public String featureTsColumn() {
    return group + "__feature_ts";
  }

  /** Audit column: when the feature row used was written. */
  public String createdTsColumn() {
    return group + "__created_ts";
  }

  /**
   * One feature to fetch.
   *
   * @param name the column in the feature table
   * @param output the output column name
   */
  public record Feature(String name, String output) {
    public Feature {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(output, "output");
    }
  }
}

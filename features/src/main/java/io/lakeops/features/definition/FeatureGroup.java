package io.lakeops.features.definition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A feature group: what its rows are keyed by, where they come from, what makes a row valid, and
 * which features are computed from them. Built and validated from a definition file by the jobs
 * module; the features module only reads it.
 *
 * @param name group name; the table is {@code <features database>.<name>}
 * @param description what the group holds
 * @param owner who to ask
 * @param tags free-form labels for discovery
 * @param version definition version, recorded in table properties and the catalog
 * @param entityKeys the entity key columns
 * @param source where the raw data comes from
 * @param columns the declared source columns, in source order
 * @param uniqueKeyAndTime whether (entity keys, event time) must be unique in a batch
 * @param checks batch-level checks
 * @param derived derived features (Spark SQL expressions)
 * @param aggregates windowed aggregates per entity
 * @param ttl how long a feature row stays valid for point-in-time use
 * @param definitionFile where the definition was read from (for messages)
 */
public record FeatureGroup(String name, String description, String owner, List<String> tags,
    int version, List<String> entityKeys, SourceSpec source, List<ColumnSpec> columns,
    boolean uniqueKeyAndTime, Checks checks, List<DerivedFeature> derived,
    List<WindowAggregate> aggregates, Duration ttl, String definitionFile) {

  public FeatureGroup {
    tags = List.copyOf(tags);
    entityKeys = List.copyOf(entityKeys);
    columns = List.copyOf(columns);
    derived = List.copyOf(derived);
    aggregates = List.copyOf(aggregates);
  }

  /** The stored event time column of every feature table. */
  public static final String EVENT_TS = "event_ts";
  /** When a feature row became known (write time; kept when a re-run leaves the row unchanged). */
  public static final String CREATED_TS = "created_ts";
  /** UTC date of event_ts; the partition column. */
  public static final String EVENT_DATE = "event_date";

  public ColumnSpec column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("No column " + columnName + " in group " + name));
  }

  /** Longest aggregate window in days (0 without aggregates). */
  public int maxWindowDays() {
    return aggregates.stream().mapToInt(WindowAggregate::windowDays).max().orElse(0);
  }

  /** Feature names in output order: aggregates, then derived features. */
  public List<String> featureNames() {
    List<String> names = new ArrayList<>();
    aggregates.forEach(a -> names.add(a.name()));
    derived.forEach(d -> names.add(d.name()));
    return names;
  }
}

package io.lakeops.drift;

import java.util.Objects;

/**
 * One column to compare.
 *
 * @param name column name in the reference and current data
 * @param kind numeric or categorical
 * @param role feature, prediction or label
 * @param critical a drift of this column alone makes the data set drifted
 */
public record DriftColumn(String name, ColumnKind kind, ColumnRole role, boolean critical) {

  public DriftColumn {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(role, "role");
  }

  public static DriftColumn numeric(String name) {
    return new DriftColumn(name, ColumnKind.NUMERIC, ColumnRole.FEATURE, false);
  }

  public static DriftColumn categorical(String name) {
    return new DriftColumn(name, ColumnKind.CATEGORICAL, ColumnRole.FEATURE, false);
  }

  public DriftColumn asCritical() {
    return new DriftColumn(name, kind, role, true);
  }
}

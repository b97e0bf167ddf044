package io.lakeops.features.definition;

import java.util.List;
import java.util.Optional;

/**
 * One declared source column and its row constraints.
 *
 * @param name column name (for headerless text sources, the fields are named in this order)
 * @param type declared type; text that does not convert is a rejected row
 * @param description goes to the column comment and the catalog
 * @param notNull a missing value (empty, or one of the source's null markers) rejects the row
 * @param min inclusive lower bound (numeric columns)
 * @param max inclusive upper bound (numeric columns)
 * @param allowedValues when not empty, the only accepted values (string columns)
 * @param regex when present, string values must match it entirely
 * @param clean optional Spark SQL expression applied to the raw text before conversion, with
 *     the raw value available as {@code value} (e.g. {@code regexp_replace(value, '\\.$', '')})
 */
public record ColumnSpec(String name, ColumnType type, String description, boolean notNull,
    Optional<Double> min, Optional<Double> max, List<String> allowedValues, Optional<String> regex,
    Optional<String> clean) {

  public ColumnSpec {
    allowedValues = List.copyOf(allowedValues);
  }
}

package io.lakeops.features.definition;

import java.util.Locale;
import java.util.Optional;

/**
 * A windowed aggregate per entity: over the events in (t - window, t] for each event time t.
 *
 * @param name feature name
 * @param function the aggregate
 * @param column source column (absent for {@code count})
 * @param windowDays window length in days
 * @param description goes to the column comment and the catalog
 */
public record WindowAggregate(String name, Function function, Optional<String> column,
    int windowDays, String description) {

  /** Aggregate functions. {@code days_since_previous} ignores the column. */
  public enum Function {
    COUNT, SUM, AVG, MIN, MAX, COUNT_DISTINCT, DAYS_SINCE_PREVIOUS;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Function parse(String text) {
      return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }
}

package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.DerivedFeature;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.WindowAggregate;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;

/**
 * How a group's features are computed for a date range, from its ingested rows: one output row
 * per (entity keys, event time) whose UTC date lies in the range.
 *
 * <ul>
 *   <li>A windowed aggregate of {@code w} days at event time {@code t} covers the events with
 *       {@code t - w days < event_ts <= t}: the start is exclusive, the end inclusive, and events
 *       at the same instant as {@code t} are included.
 *   <li>{@code days_since_previous} is {@code (t - t_prev) / 1 day} for the entity's previous
 *       distinct event time {@code t_prev}, or null when there is none within the window.
 *   <li>Derived features are evaluated on the output row, after the aggregates, so they may use
 *       them (and the source columns when rows are unique per key and time).
 * </ul>
 * Only history from {@code from - max window} on is read, so the cost follows the range and
 * the window length, not the age of the table.
 */
public final class FeatureComputation {

  static final String SECONDS = "_t";

  private FeatureComputation() {}

  /** First event date whose rows a range starting at {@code from} needs. */
  public static LocalDate historyStart(FeatureGroup group, LocalDate from) {
    return from.minusDays(Math.max(0, group.maxWindowDays()));
  }

  public static Dataset<Row> compute(Dataset<Row> ingested, FeatureGroup group, LocalDate from,
      LocalDate to) {
    Dataset<Row> events = ingested
        .where(col(FeatureGroup.EVENT_DATE).between(Date.valueOf(historyStart(group, from)), Date.valueOf(to)))
        .withColumn(SECONDS, functions.unix_seconds(col(FeatureGroup.EVENT_TS)));
    Column[] keys = group.entityKeys().stream().map(functions::col).toArray(Column[]::new);
    if (!group.entityKeys().isEmpty() && from.isAfter(historyStart(group, from))) {
      // Only entities with an event in the range need their history: the windows of everyone
      // else are never output. This keeps a day's cost near the day's data, not the year's.
      Dataset<Row> active = ingested
          .where(col(FeatureGroup.EVENT_DATE).between(Date.valueOf(from), Date.valueOf(to)))
          .select(keys).distinct();
      events = events.join(active, scala.collection.JavaConverters.asScalaBuffer(group.entityKeys()).toSeq(), "left_semi");
    }

    List<Column> perEvent = new ArrayList<>();
    for (WindowAggregate a : group.aggregates()) {
      if (a.function() == WindowAggregate.Function.DAYS_SINCE_PREVIOUS) {
        continue;
      }
      WindowSpec window = Window.partitionBy(keys).orderBy(col(SECONDS))
          .rangeBetween(-(a.windowDays() * 86_400L - 1), 0);
      Column value = a.column().map(functions::col).orElse(lit(1));
      Column windowed = switch (a.function()) {
        case COUNT -> functions.count(value).over(window);
        case SUM -> functions.sum(value).over(window);
        case AVG -> functions.avg(value).over(window);
        case MIN -> functions.min(value).over(window);
        case MAX -> functions.max(value).over(window);
        case COUNT_DISTINCT -> functions.size(functions.collect_set(value).over(window)).cast("long");
        default -> throw new IllegalStateException(a.function().toString());
      };
      perEvent.add(windowed.as(a.name()));
    }

    // One row per (keys, event time): events at the same instant share their window values.
    List<Column> grouping = new ArrayList<>(List.of(keys));
    grouping.add(col(FeatureGroup.EVENT_TS));
    grouping.add(col(FeatureGroup.EVENT_DATE));
    grouping.add(col(SECONDS));
    List<Column> selected = new ArrayList<>(grouping);
    selected.addAll(perEvent);
    if (group.uniqueKeyAndTime()) {
      for (ColumnSpec c : group.columns()) {
        if (!group.entityKeys().contains(c.name())) {
          selected.add(col(c.name()));
        }
      }
    }
    Dataset<Row> withWindows = events.select(selected.toArray(Column[]::new));
    List<Column> firsts = new ArrayList<>();
    for (String name : withWindows.columns()) {
      if (!isGrouping(name, group)) {
        firsts.add(functions.max(col(name)).as(name));
      }
    }
    Dataset<Row> rows = firsts.isEmpty()
        ? withWindows.select(grouping.toArray(Column[]::new)).distinct()
        : withWindows.groupBy(grouping.toArray(Column[]::new))
            .agg(firsts.get(0), firsts.subList(1, firsts.size()).toArray(Column[]::new));

    for (WindowAggregate a : group.aggregates()) {
      if (a.function() == WindowAggregate.Function.DAYS_SINCE_PREVIOUS) {
        Column previous = functions.lag(col(SECONDS), 1).over(Window.partitionBy(keys).orderBy(col(SECONDS)));
        Column gap = col(SECONDS).minus(previous);
        rows = rows.withColumn(a.name(), functions.when(gap.leq(a.windowDays() * 86_400L),
            gap.divide(86_400.0)));
      }
    }
    for (DerivedFeature d : group.derived()) {
      rows = rows.withColumn(d.name(), functions.expr(d.expression()));
    }
    rows = rows.where(col(FeatureGroup.EVENT_DATE).between(Date.valueOf(from), Date.valueOf(to)));

    List<Column> output = new ArrayList<>(List.of(keys));
    output.add(col(FeatureGroup.EVENT_TS));
    output.add(col(FeatureGroup.EVENT_DATE));
    for (String feature : group.featureNames()) {
      output.add(col(feature));
    }
    return rows.select(output.toArray(Column[]::new));
  }

  private static boolean isGrouping(String name, FeatureGroup group) {
    return group.entityKeys().contains(name) || name.equals(FeatureGroup.EVENT_TS)
        || name.equals(FeatureGroup.EVENT_DATE) || name.equals(SECONDS);
  }
}

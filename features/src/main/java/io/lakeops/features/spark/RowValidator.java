package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.ColumnType;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.SourceSpec;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * Turns the text fields of {@link SourceReader} into typed columns and lists, per data row, every
 * check it fails ({@code _reasons}, empty for a good row). Each reason names the column and the
 * value. Checks: field count, missing values, type, NaN and Infinity, min/max, allowed values,
 * regex, event time format and time zone, event times after the run date, duplicate
 * (keys, event time).
 */
public final class RowValidator {

  public static final String REASONS = "_reasons";

  private RowValidator() {}

  public static Dataset<Row> validate(Dataset<Row> raw, FeatureGroup group, LocalDate runDate) {
    SourceSpec source = group.source();
    int expected = group.columns().size();
    Column fields = col(SourceReader.FIELDS);
    Column isData = col(SourceReader.KIND).equalTo("data");
    Column malformed = fields.isNull().or(functions.size(fields).notEqual(expected));

    List<Column> selected = new ArrayList<>(List.of(col(SourceReader.SOURCE), col(SourceReader.ROW),
        col(SourceReader.RAW), col(SourceReader.KIND)));
    List<Column> reasons = new ArrayList<>();
    // size(null) is -1 in Spark, so an unterminated quote (null fields) is named explicitly.
    reasons.add(when(isData.and(malformed), concat(lit("malformed line: expected " + expected
        + " fields, found "), when(fields.isNull(), lit("an unterminated quote"))
            .otherwise(functions.size(fields).cast("string")))));
    Column wellFormed = isData.and(malformed.unary_$bang());
    // Bytes that are not text in the source's encoding: quarantined, naming the column, before a
    // free-text column could take them as U+FFFD.
    String encoding = SourceReader.encoding(source);
    String undecodable = "invalid " + encoding + ": bytes that are not " + encoding + " text (read as "
        + "U+FFFD); if the source uses another encoding, declare it as source.options.encoding";
    Column badBytes = col(SourceReader.UNDECODABLE);
    reasons.add(when(isData.and(malformed.or(functions.array_contains(badBytes, 0)))
        .and(functions.size(badBytes).gt(0)).and(functions.array_contains(badBytes, -1).unary_$bang()),
        lit("line: " + undecodable)));
    reasons.add(when(isData.and(functions.array_contains(badBytes, -1)),
        lit("malformed record: not valid " + source.format().toUpperCase(java.util.Locale.ROOT))));

    Dataset<Row> frame = raw;
    for (int i = 0; i < group.columns().size(); i++) {
      ColumnSpec c = group.columns().get(i);
      Column text = functions.trim(expr("try_element_at(" + SourceReader.FIELDS + ", " + (i + 1) + ")"));
      Column missing = text.isNull().or(text.equalTo(""));
      for (String marker : source.nullMarkers()) {
        missing = missing.or(text.equalTo(marker));
      }
      String textName = "_text_" + i;
      frame = frame.withColumn(textName, when(missing, lit(null).cast("string")).otherwise(text));
      if (c.clean().isPresent()) {
        frame = frame.withColumn("value", col(textName)).withColumn(textName, expr(c.clean().get())
            .cast("string")).drop("value");
      }
      Column value = col(textName);
      Column shown = functions.coalesce(value, lit(""));
      String label = "column " + c.name() + ": ";
      boolean isEventTime = c.name().equals(source.eventTimeColumn());

      Column typed = convert(value, c.type());
      reasons.add(when(wellFormed.and(functions.array_contains(badBytes, i + 1)), lit(label + undecodable)));
      if (c.notNull() || group.entityKeys().contains(c.name()) || isEventTime) {
        reasons.add(when(wellFormed.and(value.isNull()), lit(label + "missing value (required)")));
      }
      reasons.add(when(wellFormed.and(value.isNotNull()).and(typed.isNull()),
          concat(lit(label + "value '"), shown, lit("' is not " + article(c.type())))));
      if (c.type() == ColumnType.DOUBLE) {
        reasons.add(when(wellFormed.and(functions.isnan(typed).or(typed.equalTo(Double.POSITIVE_INFINITY))
            .or(typed.equalTo(Double.NEGATIVE_INFINITY))),
            concat(lit(label + "value '"), shown, lit("' is not a finite number"))));
      }
      if (c.min().isPresent()) {
        reasons.add(when(wellFormed.and(typed.lt(c.min().get())),
            concat(lit(label + "value "), shown, lit(" is below the minimum " + plain(c.min().get())))));
      }
      if (c.max().isPresent()) {
        reasons.add(when(wellFormed.and(typed.gt(c.max().get())),
            concat(lit(label + "value "), shown, lit(" is above the maximum " + plain(c.max().get())))));
      }
      if (!c.allowedValues().isEmpty()) {
        reasons.add(when(wellFormed.and(value.isNotNull()).and(value.isin(c.allowedValues().toArray()).unary_$bang()),
            concat(lit(label + "value '"), shown, lit("' is not one of " + c.allowedValues()))));
      }
      if (c.regex().isPresent()) {
        reasons.add(when(wellFormed.and(value.isNotNull()).and(value.rlike("^(?:" + c.regex().get() + ")$").unary_$bang()),
            concat(lit(label + "value '"), shown, lit("' does not match the pattern " + c.regex().get()))));
      }
      if (isEventTime) {
        Column eventTs = eventTime(value, c.type(), source);
        reasons.add(when(wellFormed.and(value.isNotNull()).and(eventTs.isNull()),
            concat(lit("event time column " + c.name() + ": value '"), shown,
                lit("' does not match the format " + (source.eventTimeFormat().isEmpty()
                    ? c.type().label() : source.eventTimeFormat()) + " in time zone " + source.timeZone()))));
        Column endOfRunDate = functions.to_timestamp(lit(runDate.plusDays(1).toString()));
        reasons.add(when(wellFormed.and(eventTs.geq(endOfRunDate)),
            concat(lit("event time column " + c.name() + ": value '"), shown,
                lit("' is after the run date " + runDate + " (UTC)"))));
        selected.add(eventTs.as(FeatureGroup.EVENT_TS));
      }
      selected.add(typed.as(c.name()));
    }
    if (source.eventTimeColumn().isEmpty()) {
      // No event time in the source: each row is a snapshot as of the start of the run date.
      selected.add(functions.to_timestamp(lit(runDate.toString())).as(FeatureGroup.EVENT_TS));
    }
    Column all = functions.array_compact(functions.array(reasons.toArray(Column[]::new)));
    selected.add(when(isData, all).otherwise(functions.array().cast("array<string>")).as(REASONS));
    Dataset<Row> checked = frame.select(selected.toArray(Column[]::new));

    if (group.uniqueKeyAndTime()) {
      // Rows sharing (keys, event time) are all rejected: nothing says which one is right.
      List<Column> keyCols = new ArrayList<>();
      group.entityKeys().forEach(k -> keyCols.add(col(k)));
      keyCols.add(col(FeatureGroup.EVENT_TS));
      Column clean = col(SourceReader.KIND).equalTo("data").and(functions.size(col(REASONS)).equalTo(0));
      Column copies = functions.sum(when(clean, 1).otherwise(0)).over(
          Window.partitionBy(keyCols.toArray(Column[]::new)));
      List<Column> describeKey = new ArrayList<>();
      for (String k : group.entityKeys()) {
        describeKey.add(lit(k + "="));
        describeKey.add(functions.coalesce(col(k).cast("string"), lit("")));
        describeKey.add(lit(", "));
      }
      describeKey.add(lit("event_ts="));
      describeKey.add(functions.date_format(col(FeatureGroup.EVENT_TS), "yyyy-MM-dd HH:mm:ss"));
      checked = checked.withColumn(REASONS, when(clean.and(copies.gt(1)),
          functions.array(concat(lit("duplicate (keys, event time): "), concat(describeKey.toArray(Column[]::new)),
              lit(" appears "), copies.cast("string"), lit(" times"))))
          .otherwise(col(REASONS)));
    }
    return checked;
  }

  private static Column convert(Column value, ColumnType type) {
    return switch (type) {
      case STRING -> value;
      case BOOLEAN -> when(functions.lower(value).isin("true", "false"), functions.lower(value).equalTo("true"));
      default -> tryCast(value, type);
    };
  }

  private static Column tryCast(Column value, ColumnType type) {
    // try_cast: ANSI rules (so "12.5" is not an int) without failing the query on bad input.
    return new Column(new org.apache.spark.sql.catalyst.expressions.Cast(value.expr(),
        type.sparkType(), scala.Option.empty(), org.apache.spark.sql.catalyst.expressions.EvalMode.TRY()));
  }

  private static Column eventTime(Column value, ColumnType type, SourceSpec source) {
    if (!source.eventTimeFormat().isEmpty()) {
      // Parsed in Java: Spark's parser policy would fail the job on some mismatching text.
      return functions.udf(new EventTimeParser(source.eventTimeFormat(), source.timeZone()),
          org.apache.spark.sql.types.DataTypes.TimestampType).apply(value);
    }
    Column local;
    if (type == ColumnType.DATE || type == ColumnType.STRING || type == ColumnType.TIMESTAMP) {
      local = tryCast(value, ColumnType.TIMESTAMP);
    } else {
      local = lit(null).cast("timestamp");
    }
    // The session time zone is UTC (checked by the job), so the parsed wall time is read in the
    // source's zone and turned into a UTC instant.
    return "UTC".equals(source.timeZone()) ? local : functions.to_utc_timestamp(local, source.timeZone());
  }

  private static String article(ColumnType type) {
    return switch (type) {
      case INT -> "an int";
      default -> "a " + type.label();
    };
  }

  private static String plain(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }
}

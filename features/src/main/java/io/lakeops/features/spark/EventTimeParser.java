package io.lakeops.features.spark;

import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import org.apache.spark.sql.api.java.UDF1;

/**
 * Parses event-time text with a Java pattern in a given zone; text that does not match the
 * pattern entirely (trailing seconds, one-digit months for {@code MM}) gives null, which the
 * validator reports as a format mismatch. Independent of Spark's parser policy, which would
 * otherwise fail the whole job on some mismatches.
 */
public final class EventTimeParser implements UDF1<String, Timestamp> {
  private static final long serialVersionUID = 1L;
  private final String pattern;
  private final String zone;
  private transient DateTimeFormatter formatter;

  public EventTimeParser(String pattern, String zone) {
    this.pattern = pattern;
    this.zone = zone;
  }

  @Override
  public Timestamp call(String text) {
    if (text == null) {
      return null;
    }
    if (formatter == null) {
      formatter = DateTimeFormatter.ofPattern(pattern);
    }
    try {
      TemporalAccessor parsed = formatter.parseBest(text, LocalDateTime::from, LocalDate::from);
      LocalDateTime local = parsed instanceof LocalDateTime t ? t : ((LocalDate) parsed).atStartOfDay();
      return Timestamp.from(local.atZone(ZoneId.of(zone)).toInstant());
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}

package io.lakeops.features.definition;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a feature group's raw data comes from.
 *
 * @param format csv (delimited text, including whitespace-separated), json, parquet, delta or jdbc
 * @param path file, folder or glob; {@code {date}} is replaced by the run date (yyyy-MM-dd) for
 *     daily sources
 * @param table Delta table name, or the JDBC table or query
 * @param snapshot true when each run reads the whole source (no {@code {date}} slice)
 * @param delimiter field delimiter for csv: a single character, or {@code whitespace}
 * @param header whether the first line of each csv file names the columns
 * @param skipLinesMatching regular expressions of lines that are not data (banners); they are
 *     counted and reported, never silently dropped
 * @param nullMarkers text values that mean "missing" (e.g. {@code ?}); empty text always does
 * @param eventTimeColumn the declared column holding the event time
 * @param eventTimeFormat Java date-time pattern of the event time text (yyyyMMdd, ...)
 * @param timeZone zone of the event time text; stored event times are UTC
 * @param jdbcUrl JDBC URL
 * @param jdbcUserEnv environment variable holding the JDBC user
 * @param jdbcPasswordEnv environment variable holding the JDBC password
 * @param options further Spark reader options
 */
public record SourceSpec(String format, Optional<String> path, Optional<String> table,
    boolean snapshot, String delimiter, boolean header, List<String> skipLinesMatching,
    List<String> nullMarkers, String eventTimeColumn, String eventTimeFormat, String timeZone,
    Optional<String> jdbcUrl, Optional<String> jdbcUserEnv, Optional<String> jdbcPasswordEnv,
    Map<String, String> options) {

  public SourceSpec {
    skipLinesMatching = List.copyOf(skipLinesMatching);
    nullMarkers = List.copyOf(nullMarkers);
    options = Map.copyOf(options);
  }

  public boolean isText() {
    return "csv".equals(format);
  }

  /** The path for one run date. */
  public String pathFor(java.time.LocalDate runDate) {
    return path.orElseThrow().replace("{date}", runDate.toString());
  }
}

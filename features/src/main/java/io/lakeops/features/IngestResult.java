package io.lakeops.features;

import java.time.LocalDate;
import java.util.List;

/**
 * What one ingest did. Input rows always equal accepted plus quarantined; header, skipped
 * (banner) and blank lines are counted apart and never taken as data.
 *
 * @param group the feature group
 * @param runDate the logical date
 * @param source the file, glob or table read
 * @param dataRows input rows (records or data lines)
 * @param accepted rows that passed every row check
 * @param quarantined rows written to the quarantine with their reasons
 * @param headerLines header lines read
 * @param skippedLines lines matching {@code skip-lines-matching}
 * @param blankLines empty lines
 * @param checks every batch check with its metric and verdict
 * @param written whether the group's ingested table was written (false when rejected)
 */
public record IngestResult(String group, LocalDate runDate, String source, long dataRows,
    long accepted, long quarantined, long headerLines, long skippedLines, long blankLines,
    List<CheckResult> checks, boolean written) {

  public IngestResult {
    checks = List.copyOf(checks);
  }

  public boolean passed() {
    return checks.stream().allMatch(CheckResult::passed);
  }

  public List<CheckResult> failedChecks() {
    return checks.stream().filter(c -> !c.passed()).toList();
  }

  /**
   * One batch check.
   *
   * @param check the check's name (rejected_share, missing_share, mean, quantile, row_count)
   * @param column the column it looks at, or empty
   * @param metric the measured value (NaN when it could not be computed)
   * @param threshold the rule, as text ("<= 0.01", "in [10, 100]")
   * @param passed the verdict
   * @param message one line for people
   */
  public record CheckResult(String check, String column, double metric, String threshold,
      boolean passed, String message) {}
}

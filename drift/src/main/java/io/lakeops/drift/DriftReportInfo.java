package io.lakeops.drift;

import java.time.LocalDate;

/**
 * What the report is about, as the caller defined it (for titles, metrics rows and the HTML).
 *
 * @param name the report's name (the spec name)
 * @param runDate the run date; the current window ends on it
 * @param source what was read (table or query)
 * @param reference how the reference was defined (for people)
 * @param referenceFrom first day of the reference window, or null (whole table, stored profile)
 * @param referenceTo last day of the reference window, or null
 * @param currentFrom first day of the current window
 * @param currentTo last day of the current window
 */
public record DriftReportInfo(String name, LocalDate runDate, String source, String reference,
    LocalDate referenceFrom, LocalDate referenceTo, LocalDate currentFrom, LocalDate currentTo) {

  /** Identifies the report in {@code lakeops.drift_metrics}: name and run date. */
  public String reportId() {
    return name + "/" + runDate;
  }
}

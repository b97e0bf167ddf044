package io.lakeops.features;

import java.time.LocalDate;

/**
 * What one materialisation of a date range did.
 *
 * @param group the feature group
 * @param from first date (inclusive)
 * @param to last date (inclusive)
 * @param rowsOut feature rows of the range (after the write, the range holds exactly these)
 * @param inserted rows new to the table
 * @param updated rows whose feature values changed
 * @param deleted rows of the range that no longer come out
 */
public record MaterializeResult(String group, LocalDate from, LocalDate to, long rowsOut,
    long inserted, long updated, long deleted) {}

package io.lakeops.features;

import java.time.LocalDate;

/**
 * What one materialisation of a date range did.
 *
 * @param group the feature group
 * @param from first date (inclusive)
 * @param to last date (inclusive)
 * @param historyRowsRead ingested rows read (the range plus the history its windows need)
 * @param rowsOut feature rows for the range after the write
 * @param inserted rows new to the table
 * @param updated rows whose feature values changed
 * @param deleted rows of the range that no longer come out
 */
public record MaterializeResult(String group, LocalDate from, LocalDate to, long historyRowsRead,
    long rowsOut, long inserted, long updated, long deleted) {}

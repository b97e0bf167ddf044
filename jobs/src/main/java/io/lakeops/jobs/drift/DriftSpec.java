package io.lakeops.jobs.drift;

import io.lakeops.drift.DriftOptions;
import java.time.LocalDate;
import java.util.Optional;

/**
 * A drift spec file, checked: what to read, which windows, and the report's options.
 *
 * @param name report name (the file name without {@code .conf} unless {@code name} is set)
 * @param file where it was read from
 * @param source the table or query both windows read (unless the reference names its own table)
 * @param timeColumn date or timestamp column the windows filter on
 * @param currentDays the current window: this many days ending on the run date
 * @param reference how the reference is defined
 * @param options the report options
 */
public record DriftSpec(String name, String file, Source source, String timeColumn,
    int currentDays, Reference reference, DriftOptions options) {

  /** This spec with another reference. */
  public DriftSpec withReference(Reference other) {
    return new DriftSpec(name, file, source, timeColumn, currentDays, other, options);
  }

  /** A table name or a SQL query. */
  public record Source(Optional<String> table, Optional<String> query) {
    public String describe() {
      return table.map(t -> "table " + t).orElseGet(() -> "query " + query.orElse(""));
    }
  }

  /**
   * Exactly one of: a stored profile id; a fixed window (from, to); a relative window (days
   * before the current window, after a gap); the whole of {@code table}; the whole of a
   * training set ({@code trainingSet}, an id of the training-set manifest, read at its pinned
   * Delta version). {@code table} or {@code trainingSet} may accompany a window (the reference
   * then reads that table's rows in the window).
   */
  public record Reference(Optional<String> profile, Optional<String> table,
      Optional<String> trainingSet, Optional<LocalDate> from, Optional<LocalDate> to,
      Optional<Integer> days, int gapDays) {

    /** A fixed window of the source: how the demo points its report at its planted drift. */
    public static Reference window(LocalDate from, LocalDate to) {
      return new Reference(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(from),
          Optional.of(to), Optional.empty(), 0);
    }

    public LocalDate[] window(LocalDate currentFrom) {
      if (from.isPresent()) {
        return new LocalDate[] {from.get(), to.orElseThrow()};
      }
      if (days.isPresent()) {
        LocalDate end = currentFrom.minusDays(1L + gapDays);
        return new LocalDate[] {end.minusDays(days.get() - 1L), end};
      }
      return null;
    }

    public String describe() {
      if (profile.isPresent()) {
        return "stored profile " + profile.get();
      }
      String what = trainingSet.map(t -> "training set " + t)
          .orElseGet(() -> table.map(t -> "table " + t).orElse("the source"));
      if (from.isPresent()) {
        return what + ", fixed window";
      }
      if (days.isPresent()) {
        return what + ", the " + days.get() + " days before the current window"
            + (gapDays > 0 ? " (after a gap of " + gapDays + " days)" : "");
      }
      return what + ", all rows";
    }
  }
}

package io.lakeops.jobs.reliability;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * What the reliability tests share: an orders feature group over a csv source (its definition
 * and generated lines), and the settings that keep every table a run writes in one database of
 * its own, so tests that share the test JVM's session and metastore never meet.
 */
final class OrdersFixture {

  /** The first day of the generated orders. */
  static final LocalDate DAY1 = LocalDate.of(2025, 3, 1);

  private OrdersFixture() {}

  /**
   * The definition of group {@code name}: orders (order id, customer, time, a non-negative
   * amount) from the csv at {@code sourcePath} (a snapshot unless the path holds {@code {date}}),
   * followed by {@code rest} (checks, aggregates, derived features).
   */
  static String group(String name, Object sourcePath, String rest) {
    return """
        name = %s
        entity-keys = [customer_id]
        unique-key-and-time = false
        source {
          format = csv
          path = "%s"
          header = true
          event-time { column = ts, format = "yyyy-MM-dd HH:mm:ss" }
        }
        columns = [
          { name = order_id, type = string, not-null = true }
          { name = customer_id, type = string, not-null = true }
          { name = ts, type = string, not-null = true }
          { name = amount, type = double, not-null = true, min = 0 }
        ]
        %s
        """.formatted(name, sourcePath, rest);
  }

  /**
   * {@code perDay} orders a day for {@code days} days from {@link #DAY1}, each at its own second,
   * of 30 customers; the first {@code bad} have a negative amount (quarantined). A header first.
   */
  static List<String> orders(int variant, int days, int perDay, int bad) {
    DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    List<String> lines = new ArrayList<>(List.of("order_id,customer_id,ts,amount"));
    for (int i = 0; i < days * perDay; i++) {
      String ts = DAY1.plusDays(i / perDay).atStartOfDay().plusSeconds((i % perDay) * 500L + variant).format(format);
      double amount = i < bad ? -1 : ((i * 37 + variant * 11) % 200) / 4.0 + 0.25;
      lines.add("O" + variant + "-" + i + ",C" + (i * 7 % 30) + "," + ts + "," + amount);
    }
    return lines;
  }

  /**
   * The drift spec {@code name} over the orders that {@code sourceSql} selects (customer id, amount,
   * event date): the current day against the reference day {@link #DAY1}, {@code amount} numeric
   * and {@code customer_id} categorical, {@code bins} bins, segments of 10 rows at least.
   */
  static String driftSpec(String name, String sourceSql, int bins) {
    return """
        name = %s
        source {
          query = "%s"
          time-column = event_date
        }
        current { days = 1 }
        reference { from = "2025-03-01", to = "2025-03-01" }
        columns { numeric = [amount], categorical = [customer_id] }
        settings { bins = %d, min-segment-rows = 10 }
        """.formatted(name, sourceSql, bins);
  }

  /**
   * {@code jobArgs} followed by the settings of a run on the lakehouse at {@code lakehouse} with
   * the group definitions of {@code defs}, whose every table (features, quarantine, validation
   * results, catalog, job runs, training sets, drift) is in database {@code db}.
   */
  static String[] inDatabase(String db, Path lakehouse, Path defs, String... jobArgs) {
    List<String> all = new ArrayList<>(List.of(jobArgs));
    all.addAll(List.of("-Dlakeops.lakehouse.root=" + lakehouse,
        "-Dlakeops.features.definitions-dir=" + defs,
        "-Dlakeops.features.database=" + db,
        "-Dlakeops.features.tables.quarantine=" + db + ".quarantine",
        "-Dlakeops.features.tables.validation-results=" + db + ".validation_results",
        "-Dlakeops.features.tables.feature-catalog=" + db + ".feature_catalog",
        "-Dlakeops.job-runs.table=" + db + ".job_runs",
        "-Dlakeops.training-sets.database=" + db,
        "-Dlakeops.features.tables.training-sets=" + db + ".training_sets",
        "-Dlakeops.drift.tables.drift-metrics=" + db + ".drift_metrics",
        "-Dlakeops.drift.tables.drift-profiles=" + db + ".drift_profiles"));
    return all.toArray(String[]::new);
  }
}

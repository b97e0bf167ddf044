package io.lakeops.features.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.features.definition.Checks;
import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.ColumnType;
import io.lakeops.features.definition.DerivedFeature;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.SourceSpec;
import io.lakeops.features.definition.WindowAggregate;
import io.lakeops.features.definition.WindowAggregate.Function;
import io.lakeops.features.spark.FeatureTables;
import io.lakeops.features.spark.IngestJob;
import io.lakeops.features.spark.MaterializeJob;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature store benchmarks (not a timed test: it only measures and writes
 * {@code features/benchmarks/feature-store.md}). Run with:
 * {@code ./mvnw -pl features -am verify -Pbenchmark -DskipITs}.
 *
 * <ol>
 *   <li>Materialising one more day after a year of history, against materialising the first
 *       day (target: ratio at most 1.5, cost follows new data, not history).
 *   <li>Ingest with validation, against a plain read of the same CSV and write to Delta.
 * </ol>
 * Each is the median of several repetitions, measured in the same run on the same data.
 */
@Tag("benchmark")
class FeatureStoreBenchmark extends SparkTestBase {

  private static final int ENTITIES = Integer.getInteger("bench.entities", 20_000);
  private static final int DAYS = 366;
  private static final int EVENTS_PER_DAY = Integer.getInteger("bench.events-per-day", 3_000);
  private static final int REPETITIONS = Integer.getInteger("bench.repetitions", 5);
  private static final LocalDate START = LocalDate.of(2024, 1, 1);

  @TempDir
  Path dir;

  private static FeatureGroup group(String name, String path) {
    SourceSpec source = new SourceSpec("csv", Optional.of(path), Optional.empty(), true, ",", true,
        List.of(), List.of(), "ts", "", "UTC", Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    List<ColumnSpec> columns = List.of(
        new ColumnSpec("entity_id", ColumnType.LONG, "", true, Optional.of(0.0), Optional.empty(), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("ts", ColumnType.TIMESTAMP, "", true, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("amount", ColumnType.DOUBLE, "", true, Optional.of(0.0), Optional.of(1e6), List.of(), Optional.empty(), Optional.empty()),
        new ColumnSpec("category", ColumnType.STRING, "", true, Optional.empty(), Optional.empty(), List.of("a", "b", "c", "d"), Optional.empty(), Optional.empty()));
    List<WindowAggregate> aggregates = List.of(
        new WindowAggregate("n_7d", Function.COUNT, Optional.empty(), 7, ""),
        new WindowAggregate("n_30d", Function.COUNT, Optional.empty(), 30, ""),
        new WindowAggregate("n_365d", Function.COUNT, Optional.empty(), 365, ""),
        new WindowAggregate("sum_30d", Function.SUM, Optional.of("amount"), 30, ""),
        new WindowAggregate("sum_365d", Function.SUM, Optional.of("amount"), 365, ""),
        new WindowAggregate("max_90d", Function.MAX, Optional.of("amount"), 90, ""),
        new WindowAggregate("categories_90d", Function.COUNT_DISTINCT, Optional.of("category"), 90, ""),
        new WindowAggregate("gap", Function.DAYS_SINCE_PREVIOUS, Optional.empty(), 365, ""));
    return new FeatureGroup(name, "benchmark", "bench", List.of(), 1, List.of("entity_id"), source,
        columns, false, new Checks(0.001, Map.of("amount", 0.0), Map.of("amount", new Checks.Band(0, 1000)),
            List.of(new Checks.QuantileBand("amount", 0.5, new Checks.Band(0, 1000))), Optional.empty(), 7),
        List.of(new DerivedFeature("avg_30d", "sum_30d / n_30d", "")), aggregates, Duration.ofDays(365), "bench");
  }

  private Path generate() {
    Path csv = dir.resolve("events");
    Dataset<Row> events = spark().range(0, (long) DAYS * EVENTS_PER_DAY, 1, 8)
        .select(
            functions.pmod(functions.xxhash64(functions.col("id")), functions.lit(ENTITIES)).as("entity_id"),
            functions.expr("timestamp_seconds(" + START.toEpochDay() * 86_400L + " + (id div " + EVENTS_PER_DAY
                + ") * 86400 + pmod(id * 7919, 86400))").as("ts"),
            functions.round(functions.rand(1).multiply(200), 2).as("amount"),
            functions.element_at(functions.array(functions.lit("a"), functions.lit("b"), functions.lit("c"),
                functions.lit("d")), functions.pmod(functions.col("id"), functions.lit(4)).plus(1).cast("int")).as("category"));
    events.write().option("header", "true").csv(csv.toString());
    return csv;
  }

  private static double medianSeconds(int repetitions, LongSupplier timedNanos) {
    List<Double> runs = new ArrayList<>();
    for (int i = 0; i < repetitions; i++) {
      runs.add(timedNanos.getAsLong() / 1e9);
    }
    runs.sort(null);
    return runs.get(runs.size() / 2);
  }

  @Test
  void materialiseOneMoreDayAndIngestAgainstTheirBaselines() throws IOException {
    Path csv = generate();
    long rows = (long) DAYS * EVENTS_PER_DAY;
    FeatureTables tables = new FeatureTables("bench", "bench.quarantine", "bench.validation_results", "bench.catalog");
    FeatureGroup group = group("events", csv.toString());
    IngestJob ingest = new IngestJob(spark(), tables);
    LocalDate runDate = START.plusDays(DAYS);
    assertTrue(ingest.run(group, runDate, "bench-0", Instant.now(), Map.of()).passed());

    // 1. Ingest with validation vs plain read + write of the same CSV.
    double ingestSeconds = medianSeconds(REPETITIONS, () -> {
      long t = System.nanoTime();
      ingest.run(group, runDate, "bench", Instant.now(), Map.of());
      return System.nanoTime() - t;
    });
    double plainSeconds = medianSeconds(REPETITIONS, () -> {
      long t = System.nanoTime();
      spark().read().option("header", "true").schema("entity_id LONG, ts TIMESTAMP, amount DOUBLE, category STRING")
          .csv(csv.toString()).write().format("delta").mode("overwrite").saveAsTable("bench.plain_copy");
      return System.nanoTime() - t;
    });

    // 2. Materialise the first day (no history) vs one more day after a year of history.
    MaterializeJob materialize = new MaterializeJob(spark(), tables);
    LocalDate first = START;
    LocalDate last = START.plusDays(DAYS - 1L);
    materialize.run(group, first, first, Instant.now());
    double firstDay = medianSeconds(REPETITIONS, () -> {
      long t = System.nanoTime();
      materialize.run(group, first, first, Instant.now());
      return System.nanoTime() - t;
    });
    materialize.run(group, last, last, Instant.now());
    double oneMoreDay = medianSeconds(REPETITIONS, () -> {
      long t = System.nanoTime();
      materialize.run(group, last, last, Instant.now());
      return System.nanoTime() - t;
    });

    String report = String.format(Locale.ROOT, """
        # Feature store benchmarks

        Command: `./mvnw -pl features -am verify -Pbenchmark -DskipITs` (class `FeatureStoreBenchmark`).
        Machine: %d cores, %s, Java %s, Spark local[2], measured %s.
        Data: %,d generated events (%,d entities, %d days, %,d events a day) as CSV; 8 windowed
        aggregates (7 to 365 days, count, sum, max, count distinct, days since previous) and one
        derived feature. Each figure is the median of %d runs after one warm-up run.

        | measurement | seconds | baseline | baseline seconds | ratio | target |
        |---|---|---|---|---|---|
        | materialise the last day, a year of history | %.2f | materialise the first day, no history | %.2f | %.2f | <= 1.5 |
        | ingest with validation, quarantine and statistics | %.2f | plain CSV read + Delta write of the same file | %.2f | %.2f | (reported) |

        The one-more-day run reads the year's ingested rows of only the entities active that day
        (a left semi join before the windows), so its cost follows that day's entities.
        """, Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " "
            + System.getProperty("os.arch"), System.getProperty("java.version"), Instant.now(),
        rows, ENTITIES, DAYS, EVENTS_PER_DAY, REPETITIONS,
        oneMoreDay, firstDay, oneMoreDay / firstDay, ingestSeconds, plainSeconds, ingestSeconds / plainSeconds);
    Path out = Path.of(System.getProperty("lakeops.root", "..")).resolve("features/benchmarks/feature-store.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, report);
    System.out.println(report);
    assertTrue(oneMoreDay > 0 && firstDay > 0);
  }
}

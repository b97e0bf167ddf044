package io.lakeops.features.spark;

import static io.lakeops.features.definition.ColumnType.BOOLEAN;
import static io.lakeops.features.definition.ColumnType.DOUBLE;
import static io.lakeops.features.definition.ColumnType.INT;
import static io.lakeops.features.definition.ColumnType.LONG;
import static io.lakeops.features.definition.ColumnType.STRING;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.features.IngestResult;
import io.lakeops.features.IngestResult.CheckResult;
import io.lakeops.features.definition.Checks;
import io.lakeops.features.definition.ColumnSpec;
import io.lakeops.features.definition.ColumnType;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.SourceSpec;
import io.lakeops.testing.SparkTestBase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest path end to end: {@link SourceReader} -> {@link RowValidator} ->
 * {@link BatchStatistics} -> {@link IngestJob}'s writes, on the shared local session. Every group
 * has a name and tables of its own (see {@link #tables}); expected reasons are the exact texts
 * RowValidator produces. An ingest costs seconds, so tests that look at one batch from different
 * sides share it (nested classes with one {@code @BeforeAll}).
 */
class IngestJobTest extends SparkTestBase {

  private static final LocalDate RUN_DATE = LocalDate.of(2024, 3, 1);
  private static final Instant NOW = Instant.parse("2024-03-02T06:00:00Z");
  private static final String HEADER = "id,ts,amount";

  @TempDir
  Path dir;

  // ---------------------------------------------------------------- row checks

  /**
   * One batch, two files matched by a glob, with a section of lines per kind of input (ids 1xx
   * malformed, 2xx types, 3xx-4xx missing values, 5xx duplicates, 6xx NaN, 7xx future, 8xx time
   * zone): one ingest for every row-check test, each test looking at its own lines. Columns: id
   * (the entity key), ts (event time, yyyy-MM-dd HH:mm in Europe/Berlin), amount, qty, big,
   * active, country (not null); null markers {@code ?} and {@code NA}; (id, ts) unique; lines
   * starting with {@code #} are banners.
   */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class RowChecks {

    static final String MISSING_ID = "column id: missing value (required)";

    static final Section MALFORMED = new Section(List.of(line("100")), Map.of(
        "101,2024-03-01 10:00,1.5", List.of("malformed line: expected 7 fields, found 3"),
        line("102") + ",extra", List.of("malformed line: expected 7 fields, found 8")));

    static final Section QUOTES = new Section(
        List.of(line("150", "country", "\"Berlin, DE\""), line("151", "country", "\"say \"\"hi\"\"\"")),
        Map.of(line("152", "country", "\"DE"),
            List.of("malformed line: expected 7 fields, found an unterminated quote")));

    static final Section TYPES = new Section(
        List.of(line("210", "qty", " 7 ", "big", "99999999999", "active", "FALSE")), Map.of(
            line("abc"), List.of("column id: value 'abc' is not an int"),
            line("200", "qty", "abc"), List.of("column qty: value 'abc' is not an int"),
            line("201", "qty", "12.5"), List.of("column qty: value '12.5' is not an int"),
            line("202", "qty", "99999999999"), List.of("column qty: value '99999999999' is not an int"),
            line("203", "big", "1.5"), List.of("column big: value '1.5' is not a long"),
            line("204", "amount", "x1.5"), List.of("column amount: value 'x1.5' is not a double"),
            line("205", "active", "yes"), List.of("column active: value 'yes' is not a boolean"),
            line("206", "qty", "abc", "amount", "zz"), List.of("column amount: value 'zz' is not a double",
                "column qty: value 'abc' is not an int")));

    static final Section MISSING = new Section(
        List.of(line("301", "amount", "?"), line("302", "amount", "NA"), line("303", "amount", ""),
            line("402")),
        Map.of(
            line(""), List.of(MISSING_ID),
            line("?"), List.of(MISSING_ID),
            line("  "), List.of(MISSING_ID),
            line("NA"), List.of(MISSING_ID),
            line("300", "ts", "?"), List.of("column ts: missing value (required)"),
            line("400", "country", ""), List.of("column country: missing value (required)"),
            line("401", "country", "?"), List.of("column country: missing value (required)")));

    /** The fourth copy of id 500 (same key, same event time) is in the second file. */
    static final String DUPLICATE_IN_SECOND_FILE = line("500", "amount", "4.0");

    static final Section DUPLICATES = new Section(
        List.of(line("501", "amount", "1.0"), line("502"), line("502", "ts", "2024-02-29 10:00")), Map.of(
            line("500", "amount", "1.0"), List.of(duplicate(500, 4)),
            line("500", "amount", "2.0"), List.of(duplicate(500, 4)),
            line("500", "amount", "3.0"), List.of(duplicate(500, 4)),
            DUPLICATE_IN_SECOND_FILE, List.of(duplicate(500, 4)),
            // The copy of 501 that fails a row check is no competitor: only its own reason.
            line("501", "amount", "bad"), List.of("column amount: value 'bad' is not a double")));

    static final Section NON_FINITE = new Section(
        List.of(line("603", "amount", "1e3"), line("604", "amount", "-0.25")), Map.of(
            line("600", "amount", "NaN"), List.of("column amount: value 'NaN' is not a finite number"),
            line("601", "amount", "Infinity"), List.of("column amount: value 'Infinity' is not a finite number"),
            line("602", "amount", "-Infinity"), List.of("column amount: value '-Infinity' is not a finite number")));

    /** The run date ends at 2024-03-02 00:00 UTC, which is 01:00 in Berlin (UTC+1 in March). */
    static final Section FUTURE = new Section(
        List.of(line("702", "ts", "2024-02-28 12:00"), line("703", "ts", "2024-03-01 12:00"),
            line("704", "ts", "2024-03-02 00:59")), Map.of(
            line("700", "ts", "2024-03-02 01:00"), List.of(
                "event time column ts: value '2024-03-02 01:00' is after the run date 2024-03-01 (UTC)"),
            line("701", "ts", "2025-01-01 08:00"), List.of(
                "event time column ts: value '2025-01-01 08:00' is after the run date 2024-03-01 (UTC)")));

    static final Section TIME_ZONE = new Section(
        List.of(line("800", "ts", "2024-01-15 10:30"), line("801", "ts", "2023-07-15 10:30"),
            line("802", "ts", "2023-07-16 01:30")), Map.of(
            line("850", "ts", "2024/01/15 10:30"), List.of(formatReason("2024/01/15 10:30")),
            line("851", "ts", "15.01.2024 10:30"), List.of(formatReason("15.01.2024 10:30")),
            line("852", "ts", "2024-01-15T10:30"), List.of(formatReason("2024-01-15T10:30"))));

    static final Section SECOND_FILE = new Section(List.of(line("900")), Map.of());

    static final List<Section> ALL = List.of(MALFORMED, QUOTES, TYPES, MISSING, DUPLICATES, NON_FINITE,
        FUTURE, TIME_ZONE, SECOND_FILE);

    private FeatureGroup group;
    private IngestResult result;
    private List<Row> quarantine;
    private List<Row> ingestedRows;

    @BeforeAll
    void ingestEveryKindOfLine(@TempDir Path temp) {
      List<String> first = new ArrayList<>(List.of("id,ts,amount,qty,big,active,country",
          "# export of 2024-03-01"));
      for (Section s : ALL) {
        if (s != SECOND_FILE) {
          first.addAll(s.accepted());
          new TreeMap<>(s.quarantined()).keySet().stream().filter(l -> !l.equals(DUPLICATE_IN_SECOND_FILE))
              .forEach(first::add);
        }
      }
      first.add("");
      first.add("   ");
      writeFile(temp.resolve("row-checks-1.csv"), first.toArray(String[]::new));
      writeFile(temp.resolve("row-checks-2.csv"), "id,ts,amount,qty,big,active,country",
          DUPLICATE_IN_SECOND_FILE, "# end of export", SECOND_FILE.accepted().get(0));
      group = group("row_checks", temp.resolve("row-checks-*.csv"))
          .skipLinesMatching("^#.*").nullMarkers("?", "NA")
          .eventTimeFormat("yyyy-MM-dd HH:mm").timeZone("Europe/Berlin")
          .columns(column("id", INT), column("ts", STRING), column("amount", DOUBLE), column("qty", INT),
              column("big", LONG), column("active", BOOLEAN), required("country", STRING))
          .build();
      result = ingest(group);
      quarantine = quarantineRows(group, RUN_DATE);
      ingestedRows = spark().table(tables(group).ingested(group)).collectAsList();
    }

    @Test
    void inputRowsAreAcceptedPlusQuarantinedAndNothingElseIsQuarantined() {
      long accepted = ALL.stream().mapToLong(s -> s.accepted().size()).sum();
      long quarantined = ALL.stream().mapToLong(s -> s.quarantined().size()).sum();
      assertCounts(result, accepted + quarantined, accepted, quarantined);
      // Exactly the bad lines are quarantined (their reasons are each section's test).
      Set<String> expected = new TreeSet<>();
      ALL.forEach(s -> expected.addAll(s.quarantined().keySet()));
      assertEquals(expected, byLine(quarantine).keySet());
      assertEquals(accepted, ingestedRows.size());
      assertTrue(result.passed());
      assertTrue(result.written());
    }

    @Test
    void globOverSeveralFilesCountsHeadersBannersAndBlankLinesApart() {
      assertEquals(2, result.headerLines());
      assertEquals(2, result.skippedLines());
      assertEquals(2, result.blankLines());
      // Row numbers are line numbers within each file, and the source names the file.
      Row copy = quarantine.stream()
          .filter(r -> r.getAs("raw").equals(DUPLICATE_IN_SECOND_FILE)).findFirst().orElseThrow();
      assertEquals(2L, copy.<Long>getAs("row_number"));
      assertTrue(copy.<String>getAs("source").endsWith("/row-checks-2.csv"), copy::toString);
      List<Row> rows = ingestedRows.stream().filter(r -> List.of(100, 900).contains(r.<Integer>getAs("id")))
          .sorted(Comparator.comparing(r -> r.<Integer>getAs("id"))).toList();
      assertEquals(3L, rows.get(0).<Long>getAs("source_row"));
      assertTrue(rows.get(0).<String>getAs("source_file").endsWith("/row-checks-1.csv"), rows.get(0)::toString);
      assertEquals(4L, rows.get(1).<Long>getAs("source_row"));
      assertTrue(rows.get(1).<String>getAs("source_file").endsWith("/row-checks-2.csv"), rows.get(1)::toString);
    }

    @Test
    void malformedLinesAreQuarantinedWithTheirFieldCounts() {
      assertSection(MALFORMED);
      assertEquals(2, result.blankLines(), "blank lines are counted apart, not taken as malformed data");
    }

    @Test
    void quotedFieldsAreSplitAndAnUnterminatedQuoteIsMalformed() {
      assertEquals(List.of("150|Berlin, DE", "151|say \"hi\""), ingestedIds(150, 199, "country"));
      assertSection(QUOTES);
    }

    @Test
    void wrongTypesAreQuarantinedNotTruncated() {
      assertSection(TYPES);
      assertEquals(List.of("210|7|99999999999|false"), ingestedIds(200, 299, "qty", "big", "active"));
    }

    @Test
    void missingKeysAndRequiredValuesAreQuarantinedAndNullMarkersCountAsMissing() {
      assertSection(MISSING);
      // A null marker in an optional column is a missing value, not the text "?".
      assertEquals(List.of("301|null", "302|null", "303|null", "402|1.5"), ingestedIds(300, 499, "amount"));
    }

    @Test
    void duplicateKeyAndEventTimeQuarantinesEveryCopy() {
      assertSection(DUPLICATES);
      assertEquals(List.of("501|2024-03-01 10:00", "502|2024-02-29 10:00", "502|2024-03-01 10:00"),
          ingestedIds(500, 599, "ts"));
    }

    @Test
    void nanAndInfinityAreQuarantined() {
      assertSection(NON_FINITE);
      assertEquals(List.of("603|1000.0", "604|-0.25"), ingestedIds(600, 699, "amount"));
    }

    @Test
    void futureEventTimesAreRejectedAndTheRunDateItselfIsAccepted() {
      assertSection(FUTURE);
      assertEquals(List.of("702|2024-02-28T11:00:00Z|2024-02-28", "703|2024-03-01T11:00:00Z|2024-03-01",
          "704|2024-03-01T23:59:00Z|2024-03-01"),
          ingestedIds(700, 799, FeatureGroup.EVENT_TS, FeatureGroup.EVENT_DATE));
    }

    @Test
    void eventTimesInAnotherZoneAreStoredAsUtcInstants() {
      // Winter is UTC+1, summer UTC+2; event_date is the UTC date.
      assertEquals(List.of(
          "800|2024-01-15T09:30:00Z|2024-01-15",
          "801|2023-07-15T08:30:00Z|2023-07-15",
          "802|2023-07-15T23:30:00Z|2023-07-15"),
          ingestedIds(800, 849, FeatureGroup.EVENT_TS, FeatureGroup.EVENT_DATE));
    }

    @Test
    void eventTimeNotMatchingTheFormatIsQuarantinedWithTheFormatReason() {
      assertSection(TIME_ZONE);
    }

    /** The section's bad lines have exactly its reasons; its good lines are not quarantined. */
    private void assertSection(Section section) {
      Map<String, List<String>> all = byLine(quarantine);
      Map<String, List<String>> actual = new TreeMap<>();
      section.quarantined().keySet().forEach(l -> {
        if (all.containsKey(l)) {
          actual.put(l, all.get(l));
        }
      });
      assertEquals(new TreeMap<>(section.quarantined()), actual);
      for (String good : section.accepted()) {
        assertFalse(all.containsKey(good), () -> "quarantined: " + good + " " + all.get(good));
      }
    }

    /** "id|columns..." of the ingested rows with ids in [from, to]. */
    private List<String> ingestedIds(int from, int to, String... columns) {
      List<String> selected = new ArrayList<>(List.of("id"));
      selected.addAll(List.of(columns));
      return ingestedRows.stream().filter(r -> r.<Integer>getAs("id") >= from && r.<Integer>getAs("id") <= to)
          .map(r -> joined(r, selected.toArray(String[]::new))).sorted().toList();
    }
  }

  /** One line of the row-check batch: good defaults, then column/value overrides. */
  private static String line(String id, String... overrides) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("id", id);
    values.put("ts", "2024-03-01 10:00");
    values.put("amount", "1.5");
    values.put("qty", "1");
    values.put("big", "1");
    values.put("active", "true");
    values.put("country", "DE");
    for (int i = 0; i < overrides.length; i += 2) {
      if (values.put(overrides[i], overrides[i + 1]) == null) {
        throw new IllegalArgumentException("no column " + overrides[i]);
      }
    }
    return String.join(",", values.values());
  }

  /** The duplicate reason of the row-check batch's default event time (10:00 Berlin = 09:00 UTC). */
  private static String duplicate(int id, int copies) {
    return "duplicate (keys, event time): id=" + id + ", event_ts=2024-03-01 09:00:00 appears " + copies + " times";
  }

  private static String formatReason(String value) {
    return "event time column ts: value '" + value + "' does not match the format yyyy-MM-dd HH:mm "
        + "in time zone Europe/Berlin";
  }

  /** Lines of one kind of input: those that must pass, and those that must fail with their reasons. */
  record Section(List<String> accepted, Map<String, List<String>> quarantined) {}

  /**
   * Values that Spark's pre-3.0 parser would have read differently (trailing seconds, one-digit
   * fields) make {@code try_to_timestamp} throw SparkUpgradeException under the default
   * {@code spark.sql.legacy.timeParserPolicy=EXCEPTION}; they must be quarantined like any other
   * value that does not match the format, not fail the whole ingest.
   */
  @Test
  void eventTimeWithTrailingSecondsOrShortFieldsIsQuarantinedNotAFailedJob() {
    Path file = write("upgrade.csv",
        HEADER,
        "1,2024-01-15 10:30,1.0",
        "2,2024-01-15 10:30:00,1.0",
        "3,2024-1-5 10:30,1.0");
    FeatureGroup group = group("time_format_upgrade", file).eventTimeFormat("yyyy-MM-dd HH:mm")
        .timeZone("Europe/Berlin").build();

    IngestResult result = ingest(group);

    assertCounts(result, 3, 1, 2);
    assertEquals(Map.of(
        3L, List.of(formatReason("2024-01-15 10:30:00")),
        4L, List.of(formatReason("2024-1-5 10:30"))), quarantined(group));
  }

  @Test
  void sessionOutsideUtcIsRefused() {
    Path file = write("zone.csv", HEADER, "1,2024-03-01,1.0");
    SparkSession berlin = spark().newSession();
    berlin.conf().set("spark.sql.session.timeZone", "Europe/Berlin");

    FeatureGroup group = group("berlin_session", file).build();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new IngestJob(berlin, tables(group))
        .run(group, RUN_DATE, "run-zone", NOW, Map.of()));

    assertEquals("Cannot run with spark.sql.session.timeZone=Europe/Berlin: LakeOps stores and "
        + "compares every timestamp in UTC. Set it to UTC for LakeOps jobs.", e.getMessage());
  }

  // ---------------------------------------------------------------- structure of the input

  @Test
  void headerOnlyInputIsNotPassedAndWritesNothing() {
    Path file = write("empty.csv", HEADER);
    FeatureGroup group = group("empty_input", file).build();

    IngestResult result = ingest(group);

    assertCounts(result, 0, 0, 0);
    assertEquals(1, result.headerLines());
    assertFalse(result.passed());
    assertFalse(result.written());
    CheckResult failed = single(result.failedChecks());
    assertEquals("rejected_share", failed.check());
    assertTrue(Double.isNaN(failed.metric()));
    assertEquals("input has rows", failed.threshold());
    assertEquals("The input has no data rows (1 header, 0 skipped, 0 blank lines): nothing to ingest.",
        failed.message());
    assertFalse(spark().catalog().tableExists(tables(group).ingested(group)));
    assertEquals(List.of("rejected_share|false", "row_count|true"), validationResults(group, "run-" + group.name()));
  }

  @Test
  void pathMatchingNoFileIsRejectedNamingThePath() {
    FeatureGroup group = group("no_input", dir.resolve("drops").resolve("{date}.csv")).snapshot(false).build();

    IngestRejected e = assertThrows(IngestRejected.class, () -> ingest(group));

    assertEquals("Cannot ingest " + dir.resolve("drops").resolve("2024-03-01.csv") + ": no input file "
        + "matches it. Check the path, or that the upstream drop for this date has arrived.", e.getMessage());
    assertFalse(spark().catalog().tableExists(tables(group).ingested(group)));
  }

  @Test
  void csvHeaderWithAnUndeclaredColumnIsRejectedNamingFileAndColumn() {
    Path file = write("added.csv", "id,ts,amount,discount", "1,2024-03-01,1.0,0.1");
    FeatureGroup group = group("csv_added_column", file).build();

    IngestRejected e = assertThrows(IngestRejected.class, () -> ingest(group));

    assertEquals("Cannot ingest file:" + file + " for group csv_added_column: the header has a column "
        + "'discount' that the definition does not declare. Declare it in conf/features/csv_added_column.conf "
        + "or remove it upstream.", e.getMessage());
    assertNothingWritten(group);
  }

  @Test
  void csvHeaderMissingADeclaredColumnIsRejectedNamingFileAndColumn() {
    Path file = write("missing.csv", "id,ts", "1,2024-03-01");
    FeatureGroup group = group("csv_missing_column", file).build();

    IngestRejected e = assertThrows(IngestRejected.class, () -> ingest(group));

    assertEquals("Cannot ingest file:" + file + " for group csv_missing_column: the header lacks the "
        + "declared column 'amount' (header: [id, ts]). Restore the column upstream or change the "
        + "definition in conf/features/csv_missing_column.conf.", e.getMessage());
    assertNothingWritten(group);
  }

  /** A parquet source whose group does not require unique (id, event time). */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class ParquetSource {

    private FeatureGroup group;
    private IngestResult result;

    @BeforeAll
    void ingestParquet(@TempDir Path temp) {
      Path parquet = temp.resolve("source.parquet");
      spark().createDataFrame(List.of(
              RowFactory.create(1, "2024-03-01", 1.5),
              RowFactory.create(1, "2024-03-01", 2.5),
              RowFactory.create(1, "2024-03-01", 3.0),
              RowFactory.create(2, "2024-03-01", Double.NaN),
              RowFactory.create(null, "2024-03-01", 2.5),
              RowFactory.create(4, "2024-03-05", 3.5)),
          new StructType().add("id", DataTypes.IntegerType).add("ts", DataTypes.StringType)
              .add("amount", DataTypes.DoubleType))
          .coalesce(1).write().parquet(parquet.toString());
      group = group("parquet_source", parquet).format("parquet").header(false).uniqueKeyAndTime(false).build();
      result = ingest(group);
    }

    @Test
    void parquetSourceGoesThroughTheSameRowChecks() {
      assertCounts(result, 6, 3, 3);
      assertEquals(List.of(
          List.of("column amount: value 'NaN' is not a finite number"),
          List.of("column id: missing value (required)"),
          List.of("event time column ts: value '2024-03-05' is after the run date 2024-03-01 (UTC)")),
          quarantined(group).values().stream().sorted(Comparator.comparing(l -> l.get(0))).toList());
    }

    @Test
    void duplicatesAreAcceptedWhenUniquenessIsNotRequired() {
      assertTrue(result.written());
      assertEquals(List.of("1|1.5|2024-03-01T00:00:00Z", "1|2.5|2024-03-01T00:00:00Z", "1|3.0|2024-03-01T00:00:00Z"),
          ingested(group, "id", "amount", FeatureGroup.EVENT_TS));
    }
  }

  @Test
  void parquetSourceWithAnUndeclaredColumnIsRejectedNamingFileAndColumn() {
    Path parquet = parquet("added.parquet", new StructType().add("id", DataTypes.IntegerType)
        .add("ts", DataTypes.StringType).add("amount", DataTypes.DoubleType)
        .add("discount", DataTypes.DoubleType), RowFactory.create(1, "2024-03-01", 1.0, 0.1));
    FeatureGroup group = group("parquet_added_column", parquet).format("parquet").header(false).build();

    IngestRejected e = assertThrows(IngestRejected.class, () -> ingest(group));

    assertEquals("Cannot ingest " + parquet + " for group parquet_added_column: the source has a column "
        + "'discount' that the definition does not declare. Declare it in "
        + "conf/features/parquet_added_column.conf (so it is validated) or remove it upstream.", e.getMessage());
    assertNothingWritten(group);
  }

  @Test
  void parquetSourceMissingADeclaredColumnIsRejectedNamingFileAndColumn() {
    Path parquet = parquet("missing.parquet", new StructType().add("id", DataTypes.IntegerType)
        .add("ts", DataTypes.StringType), RowFactory.create(1, "2024-03-01"));
    FeatureGroup group = group("parquet_missing_column", parquet).format("parquet").header(false).build();

    IngestRejected e = assertThrows(IngestRejected.class, () -> ingest(group));

    assertEquals("Cannot ingest " + parquet + " for group parquet_missing_column: the declared column "
        + "'amount' is missing from the source (it has [id, ts]). Restore the column upstream or change "
        + "the definition in conf/features/parquet_missing_column.conf.", e.getMessage());
    assertNothingWritten(group);
  }

  // ---------------------------------------------------------------- batch checks

  /**
   * One daily group, one date, three runs: the first is rejected (40 % of its rows bad, over the
   * 20 % threshold), the second is at the threshold and written, the third is rejected again.
   * Then the next date runs against the row-count history.
   */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class RejectedBatches {

    private final LocalDate day1 = RUN_DATE;
    private final LocalDate day2 = RUN_DATE.plusDays(1);
    private Path drops;
    private FeatureGroup group;
    private IngestResult firstRun;
    private boolean tableAfterFirstRun;
    private int quarantinedAfterFirstRun;
    private IngestResult goodRun;
    private List<String> rowsAfterGoodRun;
    private IngestResult brokenRerun;

    @BeforeAll
    void rejectedThenWrittenThenRejectedAgain(@TempDir Path temp) {
      drops = temp;
      group = group("rejected_batches", drops.resolve("{date}.csv")).snapshot(false)
          .maxRejectedShare(0.2).rowCountTolerance(0.5, 3).build();
      writeDay(drops, day1, 60, 40, 1.0);
      firstRun = ingest(group, day1, "first", NOW);
      tableAfterFirstRun = spark().catalog().tableExists(tables(group).ingested(group));
      quarantinedAfterFirstRun = quarantineRows(group, day1).size();
      writeDay(drops, day1, 100, 25, 10.0);
      goodRun = ingest(group, day1, "good", NOW.plusSeconds(60));
      rowsAfterGoodRun = ingested(group, "id", "amount", "ingest_run_id");
      writeDay(drops, day1, 60, 40, 1.0);
      brokenRerun = ingest(group, day1, "broken", NOW.plusSeconds(120));
    }

    @Test
    void rejectedShareOverTheThresholdRejectsTheBatchWithoutCreatingTheTable() {
      assertCounts(firstRun, 100, 60, 40);
      assertFalse(firstRun.passed());
      assertFalse(firstRun.written());
      assertEquals(new CheckResult("rejected_share", "", 0.4, "<= 0.2", false, "40 of 100 rows rejected (0.4000)"),
          single(firstRun.failedChecks()));
      assertFalse(tableAfterFirstRun);
      assertEquals(40, quarantinedAfterFirstRun);
      assertEquals(List.of("rejected_share|false", "row_count|true"), validationResults(group, "first"));
    }

    @Test
    void rejectedShareAtTheThresholdIsWritten() {
      assertCounts(goodRun, 125, 100, 25);
      assertTrue(goodRun.passed());
      assertTrue(goodRun.written());
      assertEquals(new CheckResult("rejected_share", "", 0.2, "<= 0.2", true, "25 of 125 rows rejected (0.2000)"),
          goodRun.checks().get(0));
      assertEquals(100, rowsAfterGoodRun.size());
      assertTrue(rowsAfterGoodRun.containsAll(List.of("1|10.0|good", "100|1000.0|good")), rowsAfterGoodRun::toString);
    }

    @Test
    void rejectedShareOverTheThresholdLeavesAnEarlierRunsRowsUntouched() {
      assertCounts(brokenRerun, 100, 60, 40);
      assertFalse(brokenRerun.written());
      assertEquals(rowsAfterGoodRun, rows(spark().table(tables(group).ingested(group))
          .where(col("ingest_date").equalTo(lit(Date.valueOf(day1)))), "id", "amount", "ingest_run_id"));
      // The rejected run's quarantine replaces the earlier runs' rows of that date; its checks are recorded.
      List<Row> quarantine = quarantineRows(group, day1);
      assertEquals(40, quarantine.size());
      assertEquals(Set.of("broken"), Set.copyOf(quarantine.stream().map(r -> r.<String>getAs("run_id")).toList()));
      assertEquals(List.of("column amount: value 'bad' is not a double"),
          quarantinedByLine(group, day1).get("61," + day1 + ",bad"));
      assertEquals(List.of("rejected_share|false", "row_count|true"), validationResults(group, "broken"));
      Row stored = spark().table(tables(group).validationResults()).where(col("run_id").equalTo("broken")
          .and(col("group_name").equalTo(group.name())).and(col("check").equalTo("rejected_share"))).first();
      assertEquals(0.4, stored.<Double>getAs("metric"), 1e-12);
      assertEquals("<= 0.2", stored.getAs("threshold"));
    }

    /**
     * The row-count baseline is "the last runs that passed" (IngestJob) / "the last accepted
     * runs" (Checks). Day 1's only accepted run had 100 rows; its rejected runs (60 rows each,
     * within ±50 % of nothing, so their row_count check passed) were never written and are no
     * baseline. 140 rows are +40 % against 100.
     */
    @Test
    void rowCountHistoryIgnoresRunsThatWereRejected() {
      writeDay(drops, day2, 140, 0, 1.0);

      IngestResult next = ingest(group, day2, "next", NOW.plusSeconds(180));

      CheckResult rowCount = next.checks().stream().filter(c -> c.check().equals("row_count")).findFirst()
          .orElseThrow();
      assertEquals("within ±50% of 100.0 (median of the last 1 runs)", rowCount.threshold(), rowCount.message());
      assertTrue(rowCount.passed(), rowCount.message());
      assertTrue(next.written());
    }
  }

  @Test
  void failingMissingShareMeanAndQuantileChecksReportTheirMetrics() {
    double[] amounts = {10, 20, 30, 40, 50, 60, 70, 80};
    List<String> lines = new ArrayList<>(List.of(HEADER + ",score"));
    for (int i = 0; i < amounts.length; i++) {
      lines.add((i + 1) + ",2024-03-01," + amounts[i] + ",");
    }
    lines.add("9,2024-03-01,,");
    lines.add("10,2024-03-01,?,?");
    lines.add("11,2024-03-01,bad,1.0"); // rejected: counts in no statistic of accepted rows
    Path file = write("stats.csv", lines.toArray(String[]::new));
    FeatureGroup group = group("batch_checks", file).nullMarkers("?").maxRejectedShare(0.5)
        .columns(column("id", INT), column("ts", STRING), column("amount", DOUBLE), column("score", DOUBLE))
        .maxMissingShare(Map.of("amount", 0.1, "id", 0.0))
        .meanBands(Map.of("amount", new Checks.Band(0, 10), "id", new Checks.Band(5, 6),
            "score", new Checks.Band(0, 10)))
        .quantileBands(new Checks.QuantileBand("amount", 0.5, new Checks.Band(0, 10)),
            new Checks.QuantileBand("amount", 0.9, new Checks.Band(100, 200)),
            new Checks.QuantileBand("id", 0.5, new Checks.Band(0, 100)))
        .build();

    IngestResult result = ingest(group);

    // Oracles over the accepted rows: ids 1..10, amounts as above plus two missing.
    double missingShare = 2.0 / 10;
    double meanAmount = Arrays.stream(amounts).average().orElseThrow();
    double meanId = IntStream.rangeClosed(1, 10).average().orElseThrow();
    double medianAmount = nearestRank(amounts, 0.5);
    double p90Amount = nearestRank(amounts, 0.9);
    assertEquals(45.0, meanAmount);
    assertEquals(40.0, medianAmount);
    assertEquals(80.0, p90Amount);

    assertCounts(result, 11, 10, 1);
    assertFalse(result.passed());
    assertFalse(result.written());
    Map<String, CheckResult> checks = byName(result.checks());
    assertEquals(new CheckResult("missing_share", "amount", missingShare, "<= 0.1", false,
        "2 of 10 accepted rows miss amount"), checks.get("missing_share amount"));
    assertEquals(new CheckResult("missing_share", "id", 0.0, "<= 0.0", true,
        "0 of 10 accepted rows miss id"), checks.get("missing_share id"));
    assertEquals(new CheckResult("mean", "amount", meanAmount, "in [0.0, 10.0]", false,
        "mean of amount is 45.0000"), checks.get("mean amount"));
    assertEquals(new CheckResult("mean", "id", meanId, "in [5.0, 6.0]", true,
        "mean of id is 5.50000"), checks.get("mean id"));
    assertEquals(new CheckResult("quantile_0.5", "amount", medianAmount, "in [0.0, 10.0]", false,
        "quantile_0.5 of amount is 40.0000"), checks.get("quantile_0.5 amount"));
    assertEquals(new CheckResult("quantile_0.9", "amount", p90Amount, "in [100.0, 200.0]", false,
        "quantile_0.9 of amount is 80.0000"), checks.get("quantile_0.9 amount"));
    assertTrue(checks.get("quantile_0.5 id").passed());
    assertEquals(5.0, checks.get("quantile_0.5 id").metric());
    // A statistic over no accepted value fails; it is never skipped.
    CheckResult score = checks.get("mean score");
    assertFalse(score.passed());
    assertTrue(Double.isNaN(score.metric()));
    assertEquals("mean of score cannot be computed: no accepted value", score.message());
    assertEquals(List.of("mean amount", "mean score", "missing_share amount", "quantile_0.5 amount",
        "quantile_0.9 amount"),
        result.failedChecks().stream().map(c -> c.check() + " " + c.column()).sorted().toList());
    assertFalse(spark().catalog().tableExists(tables(group).ingested(group)));
    Row stored = spark().table(tables(group).validationResults()).where(col("group_name").equalTo(group.name())
        .and(col("check").equalTo("mean")).and(col("column").equalTo("amount"))).first();
    assertEquals(meanAmount, stored.<Double>getAs("metric"));
    assertFalse(stored.<Boolean>getAs("passed"));
  }

  /**
   * Three passing daily runs of about 100 rows build the row-count history; the tests below add
   * to it, each in a way that does not depend on the other's order.
   */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class DailySource {

    private final LocalDate day1 = LocalDate.of(2024, 3, 1);
    private final LocalDate day2 = LocalDate.of(2024, 3, 2);
    private final LocalDate day3 = LocalDate.of(2024, 3, 3);
    private final LocalDate day4 = LocalDate.of(2024, 3, 4);
    private Path drops;
    private FeatureGroup group;

    @BeforeAll
    void threePassingDays(@TempDir Path temp) {
      drops = temp;
      group = group("daily_rows", drops.resolve("{date}.csv")).snapshot(false)
          .maxRejectedShare(0.1).rowCountTolerance(0.5, 3).build();
      writeDay(drops, day1, 100, 2, 1.0);
      writeDay(drops, day2, 104, 2, 1.0);
      writeDay(drops, day3, 96, 2, 1.0);
      for (LocalDate day : List.of(day1, day2, day3)) {
        IngestResult result = ingest(group, day, "run-" + day, NOW);
        assertTrue(result.written(), () -> day + ": " + result.failedChecks());
      }
      // Another group's rows in the same tables, on the same dates: they must neither be replaced
      // nor count in this group's row-count history.
      spark().sql("INSERT INTO " + tables(group).quarantine() + " VALUES ('other-run', 'another_group', "
          + "DATE'" + day2 + "', 'other.csv', 7, 'x', array('column x: other'), TIMESTAMP'2024-03-03 06:00:00')");
      spark().sql("INSERT INTO " + tables(group).validationResults() + " VALUES ('other-run', 'another_group', "
          + "DATE'" + day3 + "', 'row_count', NULL, 10000.0, 'x', true, 'x', TIMESTAMP'2024-03-04 06:00:00')");
    }

    @Test
    void tenRowsAgainstAMedianOfHundredFailTheRowCountCheck() {
      writeDay(drops, day4, 10, 0, 1.0);

      IngestResult result = ingest(group, day4, "run-" + day4, NOW);

      assertCounts(result, 10, 10, 0);
      assertFalse(result.written());
      assertEquals(new CheckResult("row_count", "", 10,
          "within ±50% of 100.0 (median of the last 3 runs)", false,
          "10 rows accepted, -90.0% against the median 100.0"), single(result.failedChecks()));
      assertEquals(0, spark().table(tables(group).ingested(group))
          .where(col("ingest_date").equalTo(lit(Date.valueOf(day4)))).count());
    }

    @Test
    void rerunningADateReplacesItsIngestedAndQuarantinedRows() {
      writeDay(drops, day2, 104, 1, 10.0);

      IngestResult result = ingest(group, day2, "rerun-" + day2, NOW.plusSeconds(60));

      assertCounts(result, 105, 104, 1);
      assertTrue(result.written());
      List<Row> all = spark().table(tables(group).ingested(group)).collectAsList();
      List<Row> day2Rows = all.stream().filter(r -> r.<Date>getAs("ingest_date").toLocalDate().equals(day2)).toList();
      assertEquals(104, day2Rows.size());
      assertEquals(104, day2Rows.stream().map(r -> r.<Integer>getAs("id")).distinct().count(), "no duplicates");
      assertTrue(day2Rows.stream().allMatch(r -> r.<Double>getAs("amount") == r.<Integer>getAs("id") * 10.0
          && r.getAs("ingest_run_id").equals("rerun-" + day2)), "day 2 holds the re-run's rows only");
      assertEquals(100 + 104 + 96, all.size());

      Map<String, List<Row>> quarantine = new TreeMap<>();
      spark().table(tables(group).quarantine()).collectAsList().forEach(r -> quarantine.computeIfAbsent(
          r.getAs("group_name") + " " + r.getAs("run_date"), k -> new ArrayList<>()).add(r));
      assertEquals(Set.of("another_group " + day2, "daily_rows " + day1, "daily_rows " + day2, "daily_rows " + day3),
          quarantine.keySet());
      assertEquals(Map.of("105," + day2 + ",bad", List.of("column amount: value 'bad' is not a double")),
          byLine(quarantine.get("daily_rows " + day2)));
      assertEquals("rerun-" + day2, single(quarantine.get("daily_rows " + day2)).getAs("run_id"));
      assertEquals(2, quarantine.get("daily_rows " + day1).size());
      assertEquals(2, quarantine.get("daily_rows " + day3).size());
      assertEquals("other-run", single(quarantine.get("another_group " + day2)).getAs("run_id"));
    }
  }

  // ---------------------------------------------------------------- one pass

  @Test
  void batchStatisticsRunAsOneSparkJob() throws Exception {
    List<String> lines = new ArrayList<>(List.of("id,ts,amount,qty,score"));
    for (int i = 1; i <= 200; i++) {
      lines.add(i + ",2024-03-01," + (i % 7 == 0 ? "" : String.valueOf(i * 0.5)) + "," + (i % 10) + ","
          + (i % 13 == 0 ? "bad" : String.valueOf(i % 5)));
    }
    Path file = write("onepass.csv", lines.toArray(String[]::new));
    FeatureGroup group = group("one_pass", file)
        .columns(column("id", INT), column("ts", STRING), column("amount", DOUBLE), column("qty", INT),
            column("score", DOUBLE))
        .maxMissingShare(Map.of("amount", 0.5, "qty", 0.5))
        .meanBands(Map.of("amount", new Checks.Band(0, 100), "qty", new Checks.Band(0, 10),
            "score", new Checks.Band(0, 10)))
        .quantileBands(new Checks.QuantileBand("amount", 0.5, new Checks.Band(0, 100)),
            new Checks.QuantileBand("qty", 0.9, new Checks.Band(0, 10)),
            new Checks.QuantileBand("score", 0.1, new Checks.Band(0, 10)))
        .build();
    // Adaptive execution materialises the aggregation's shuffle as a job of its own; the claim
    // is one aggregation pass, i.e. one job when the plan runs as one.
    SparkSession session = spark().newSession();
    session.conf().set("spark.sql.adaptive.enabled", "false");
    Dataset<Row> validated = RowValidator.validate(SourceReader.read(session, group, RUN_DATE, Map.of()),
        group, RUN_DATE).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      assertEquals(201, validated.count());
      AtomicInteger jobs = new AtomicInteger();
      SparkListener counter = new SparkListener() {
        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
          jobs.incrementAndGet();
        }
      };
      session.sparkContext().listenerBus().waitUntilEmpty();
      session.sparkContext().addSparkListener(counter);
      BatchStatistics stats;
      try {
        stats = BatchStatistics.compute(validated, group);
        session.sparkContext().listenerBus().waitUntilEmpty();
      } finally {
        session.sparkContext().removeSparkListener(counter);
      }

      assertEquals(1, jobs.get(), "Spark jobs for one batch's statistics");
      // And the one pass computes the right numbers (oracles over the same generated rows).
      List<Integer> ok = IntStream.rangeClosed(1, 200).filter(i -> i % 13 != 0).boxed().toList();
      assertEquals(200, stats.dataRows());
      assertEquals(ok.size(), stats.accepted());
      assertEquals(200 - ok.size(), stats.quarantined());
      assertEquals(1, stats.headerLines());
      assertEquals(ok.stream().filter(i -> i % 7 == 0).count(), stats.missing("amount"));
      assertEquals(0, stats.missing("qty"));
      assertEquals(ok.stream().filter(i -> i % 7 != 0).mapToDouble(i -> i * 0.5).average().orElseThrow(),
          stats.mean("amount"), 1e-9);
      assertEquals(ok.stream().mapToDouble(i -> i % 10).average().orElseThrow(), stats.mean("qty"), 1e-9);
      assertEquals(ok.stream().mapToDouble(i -> i % 5).average().orElseThrow(), stats.mean("score"), 1e-9);
      assertEquals(nearestRank(ok.stream().filter(i -> i % 7 != 0).mapToDouble(i -> i * 0.5).toArray(), 0.5),
          stats.quantile("amount", 0.5));
      assertEquals(nearestRank(ok.stream().mapToDouble(i -> i % 10).toArray(), 0.9), stats.quantile("qty", 0.9));
      assertEquals(nearestRank(ok.stream().mapToDouble(i -> i % 5).toArray(), 0.1), stats.quantile("score", 0.1));
    } finally {
      validated.unpersist();
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Each group has quarantine and validation tables of its own: tests stay apart, and Delta logs
   * stay short (a shared table grows a commit per ingest and a checkpoint every ten). One test
   * checks that a group's writes leave another group's rows in a shared table alone.
   */
  private static FeatureTables tables(FeatureGroup group) {
    return new FeatureTables("ingest_test", "ingest_test." + group.name() + "_quarantine",
        "ingest_test." + group.name() + "_validation_results", "ingest_test.feature_catalog");
  }

  private static IngestResult ingest(FeatureGroup group) {
    return ingest(group, RUN_DATE, "run-" + group.name(), NOW);
  }

  private static IngestResult ingest(FeatureGroup group, LocalDate runDate, String runId, Instant now) {
    return new IngestJob(spark(), tables(group)).run(group, runDate, runId, now, Map.of());
  }

  private static void assertCounts(IngestResult result, long input, long accepted, long quarantined) {
    assertEquals(input, result.dataRows(), "input rows");
    assertEquals(accepted, result.accepted(), "accepted rows");
    assertEquals(quarantined, result.quarantined(), "quarantined rows");
    assertEquals(result.dataRows(), result.accepted() + result.quarantined(), "input == accepted + quarantined");
  }

  private static void assertNothingWritten(FeatureGroup group) {
    assertFalse(spark().catalog().tableExists(tables(group).ingested(group)));
    assertFalse(spark().catalog().tableExists(tables(group).quarantine()));
    assertFalse(spark().catalog().tableExists(tables(group).validationResults()));
  }

  /** Nearest-rank quantile: what percentile_approx returns exactly on small inputs. */
  private static double nearestRank(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
  }

  private static <T> T single(List<T> list) {
    assertEquals(1, list.size(), () -> "expected one element: " + list);
    return list.get(0);
  }

  private static Map<String, CheckResult> byName(List<CheckResult> checks) {
    Map<String, CheckResult> map = new LinkedHashMap<>();
    checks.forEach(c -> map.put(c.check() + (c.column().isEmpty() ? "" : " " + c.column()), c));
    return map;
  }

  private static List<Row> quarantineRows(FeatureGroup group, LocalDate runDate) {
    return spark().table(tables(group).quarantine())
        .where(col("group_name").equalTo(group.name()).and(col("run_date").equalTo(lit(Date.valueOf(runDate)))))
        .orderBy("source", "row_number").collectAsList();
  }

  /** Row number -> reasons of a group's quarantine on the default run date. */
  private static Map<Long, List<String>> quarantined(FeatureGroup group) {
    return quarantined(group, RUN_DATE);
  }

  private static Map<Long, List<String>> quarantined(FeatureGroup group, LocalDate runDate) {
    Map<Long, List<String>> map = new TreeMap<>();
    for (Row r : quarantineRows(group, runDate)) {
      map.put(r.getAs("row_number"), new ArrayList<>(r.<String>getList(r.fieldIndex("reasons"))));
    }
    return map;
  }

  /** Original line -> reasons of a group's quarantine for one run date. */
  private static Map<String, List<String>> quarantinedByLine(FeatureGroup group, LocalDate runDate) {
    return byLine(quarantineRows(group, runDate));
  }

  private static Map<String, List<String>> byLine(List<Row> quarantine) {
    Map<String, List<String>> map = new TreeMap<>();
    for (Row r : quarantine) {
      List<String> previous = map.put(r.getAs("raw"), new ArrayList<>(r.<String>getList(r.fieldIndex("reasons"))));
      assertNull(previous, () -> "the same line is quarantined twice: " + r);
    }
    return map;
  }

  /** The ingested table's rows as "a|b|c" (timestamps as UTC instants), sorted. */
  private static List<String> ingested(FeatureGroup group, String... columns) {
    return rows(spark().table(tables(group).ingested(group)), columns);
  }

  private static List<String> rows(Dataset<Row> frame, String... columns) {
    return frame.collectAsList().stream().map(r -> joined(r, columns)).sorted().toList();
  }

  /** "a|b|c": the values of a row's columns, timestamps as UTC instants. */
  private static String joined(Row row, String... columns) {
    List<String> parts = new ArrayList<>();
    for (String c : columns) {
      Object v = row.getAs(c);
      parts.add(v instanceof Timestamp t ? t.toInstant().toString() : String.valueOf(v));
    }
    return String.join("|", parts);
  }

  /** "check|passed" of one run's validation rows, sorted. */
  private static List<String> validationResults(FeatureGroup group, String runId) {
    return spark().table(tables(group).validationResults())
        .where(col("group_name").equalTo(group.name()).and(col("run_id").equalTo(runId)))
        .collectAsList().stream().map(r -> r.getAs("check") + "|" + r.getAs("passed")).sorted().toList();
  }

  private Path write(String relative, String... lines) {
    Path file = dir.resolve(relative);
    writeFile(file, lines);
    return file;
  }

  private static void writeFile(Path file, String... lines) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A daily drop: {@code good} rows with {@code amount = id * factor}, then {@code bad} rows. */
  private static void writeDay(Path drops, LocalDate day, int good, int bad, double factor) {
    List<String> lines = new ArrayList<>(List.of(HEADER));
    for (int i = 1; i <= good; i++) {
      lines.add(i + "," + day + "," + i * factor);
    }
    for (int i = 1; i <= bad; i++) {
      lines.add((good + i) + "," + day + ",bad");
    }
    writeFile(drops.resolve(day + ".csv"), lines.toArray(String[]::new));
  }

  private Path parquet(String name, StructType schema, Row... rows) {
    Path path = dir.resolve(name);
    spark().createDataFrame(List.of(rows), schema).coalesce(1).write().parquet(path.toString());
    return path;
  }

  private static ColumnSpec column(String name, ColumnType type) {
    return new ColumnSpec(name, type, name + " as read", false, Optional.empty(), Optional.empty(),
        List.of(), Optional.empty(), Optional.empty());
  }

  private static ColumnSpec required(String name, ColumnType type) {
    return new ColumnSpec(name, type, name + " as read", true, Optional.empty(), Optional.empty(),
        List.of(), Optional.empty(), Optional.empty());
  }

  private static GroupBuilder group(String name, Path path) {
    return group(name, path.toString());
  }

  /**
   * A csv group keyed by {@code id} with event time {@code ts} (yyyy-MM-dd, UTC) and a double
   * {@code amount}; a snapshot source with a header; checks that take any batch.
   */
  private static GroupBuilder group(String name, String path) {
    return new GroupBuilder(name, path);
  }

  private static final class GroupBuilder {
    private final String name;
    private final String path;
    private String format = "csv";
    private boolean snapshot = true;
    private boolean header = true;
    private List<String> skipLinesMatching = List.of();
    private List<String> nullMarkers = List.of();
    private String eventTimeFormat = "yyyy-MM-dd";
    private String timeZone = "UTC";
    private List<ColumnSpec> columns = List.of(column("id", INT), column("ts", STRING), column("amount", DOUBLE));
    private boolean uniqueKeyAndTime = true;
    private double maxRejectedShare = 1.0;
    private Map<String, Double> maxMissingShare = Map.of();
    private Map<String, Checks.Band> meanBands = Map.of();
    private List<Checks.QuantileBand> quantileBands = List.of();
    private Optional<Double> rowCountTolerance = Optional.empty();
    private int rowCountRuns = 7;

    GroupBuilder(String name, String path) {
      this.name = name;
      this.path = path;
    }

    GroupBuilder format(String value) {
      format = value;
      return this;
    }

    GroupBuilder snapshot(boolean value) {
      snapshot = value;
      return this;
    }

    GroupBuilder header(boolean value) {
      header = value;
      return this;
    }

    GroupBuilder skipLinesMatching(String... patterns) {
      skipLinesMatching = List.of(patterns);
      return this;
    }

    GroupBuilder nullMarkers(String... markers) {
      nullMarkers = List.of(markers);
      return this;
    }

    GroupBuilder eventTimeFormat(String value) {
      eventTimeFormat = value;
      return this;
    }

    GroupBuilder timeZone(String value) {
      timeZone = value;
      return this;
    }

    GroupBuilder columns(ColumnSpec... value) {
      columns = List.of(value);
      return this;
    }

    GroupBuilder uniqueKeyAndTime(boolean value) {
      uniqueKeyAndTime = value;
      return this;
    }

    GroupBuilder maxRejectedShare(double value) {
      maxRejectedShare = value;
      return this;
    }

    GroupBuilder maxMissingShare(Map<String, Double> value) {
      maxMissingShare = value;
      return this;
    }

    GroupBuilder meanBands(Map<String, Checks.Band> value) {
      meanBands = value;
      return this;
    }

    GroupBuilder quantileBands(Checks.QuantileBand... value) {
      quantileBands = List.of(value);
      return this;
    }

    GroupBuilder rowCountTolerance(double tolerance, int runs) {
      rowCountTolerance = Optional.of(tolerance);
      rowCountRuns = runs;
      return this;
    }

    FeatureGroup build() {
      SourceSpec source = new SourceSpec(format, Optional.of(path), Optional.empty(), snapshot, ",", header,
          skipLinesMatching, nullMarkers, "ts", eventTimeFormat, timeZone, Optional.empty(), Optional.empty(),
          Optional.empty(), Map.of());
      Checks checks = new Checks(maxRejectedShare, maxMissingShare, meanBands, quantileBands, rowCountTolerance,
          rowCountRuns);
      return new FeatureGroup(name, "ingest test group " + name, "ingest-test", List.of("test"), 1, List.of("id"),
          source, columns, uniqueKeyAndTime, checks, List.of(), List.of(), Duration.ofDays(30),
          "conf/features/" + name + ".conf");
    }
  }
}

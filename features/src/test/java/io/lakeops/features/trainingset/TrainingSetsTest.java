package io.lakeops.features.trainingset;

import static io.lakeops.features.pit.PointInTimeJoinTest.FEATURES;
import static io.lakeops.features.pit.PointInTimeJoinTest.featureTable;
import static io.lakeops.features.pit.PointInTimeJoinTest.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.features.pit.FeatureRequest;
import io.lakeops.features.pit.PitOptions;
import io.lakeops.testing.SparkTestBase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Training sets: the manifest pins every input, and a rebuild reproduces the digest exactly. */
class TrainingSetsTest extends SparkTestBase {

  private static final long HOUR = 3_600_000_000L;
  private static final long BASE = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli() * 1000;
  private static final StructType SPINE = new StructType()
      .add("customer", DataTypes.StringType)
      .add("at", DataTypes.TimestampType)
      .add("churned", DataTypes.IntegerType)
      .add("region", DataTypes.StringType);

  private static List<Row> spineRows(int from, int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      rows.add(RowFactory.create("c" + (i % 7), ts(BASE + i * 5 * HOUR), i % 2, i % 3 == 0 ? "n" : "s"));
    }
    return rows;
  }

  private static List<Row> featureRows(int from, int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      rows.add(RowFactory.create("c" + (i % 5), ts(BASE + i * 3 * HOUR), ts(BASE + i * 3 * HOUR),
          i * 1.5, "t" + (i % 3)));
    }
    return rows;
  }

  private static TrainingSetSpec spec(SpineSource spine, String table, String output) {
    return new TrainingSetSpec("churn", "test set", spine, List.of("cust:*"),
        List.of(new FeatureRequest("cust", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("amount", "cust__amount"),
                new FeatureRequest.Feature("tier", "cust__tier")), Duration.ofDays(2))),
        false, true, output);
  }

  @Test
  void rebuildFromPinnedVersionsReproducesTheDigestAfterInputsChanged() throws Exception {
    spark().sql("CREATE DATABASE IF NOT EXISTS ts_test");
    String table = featureTable(FEATURES, List.of(featureRows(0, 60)));
    spark().createDataFrame(spineRows(0, 40), SPINE).writeTo("ts_test.spine").using("delta").createOrReplace();
    TrainingSets sets = new TrainingSets(spark(), "ts_test.training_sets", PitOptions.defaults());
    SpineSource spine = new SpineSource("ts_test.spine", null, List.of("customer"), "at", "churned",
        List.of("region"));
    TrainingSetResult first = sets.build(spec(spine, table, "ts_test.churn"), "run-1",
        Instant.parse("2026-02-01T00:00:00Z"));
    assertEquals("churn_v1", first.id());
    assertEquals(40, first.rows());
    assertEquals(40, spark().table("ts_test.churn").count());
    assertEquals(List.of("customer", "at", "churned", "region", "cust__amount", "cust__tier",
        "cust__feature_ts"), List.of(spark().table("ts_test.churn").columns()));
    Row manifest = spark().table("ts_test.training_sets").first();
    Map<String, Long> versions = manifest.getJavaMap(manifest.fieldIndex("input_versions"));
    assertEquals(Map.of("ts_test.spine", 0L, table, 0L), versions);
    assertEquals(first.digest(), manifest.getString(manifest.fieldIndex("digest")));

    // The inputs move on: new feature rows, new spine rows.
    spark().createDataFrame(featureRows(60, 30), FEATURES).writeTo(table).append();
    spark().createDataFrame(spineRows(40, 10), SPINE).writeTo("ts_test.spine").append();
    TrainingSetResult second = sets.build(spec(spine, table, "ts_test.churn"), "run-2",
        Instant.parse("2026-02-02T00:00:00Z"));
    assertEquals("churn_v2", second.id());
    assertEquals(50, second.rows());
    assertNotEquals(first.digest(), second.digest());

    TrainingSetResult rebuilt = sets.rebuild("churn_v1", "ts_test.churn_rebuilt");
    assertEquals(sets.recordedDigest("churn_v1"), rebuilt.digest());
    assertDataFrameNoOrderEquals(
        spark().sql("SELECT * FROM ts_test.churn VERSION AS OF " + first.outputVersion()),
        spark().table("ts_test.churn_rebuilt"));

    // A retry of run-2 (same run id) replaces its own manifest entry instead of adding one.
    TrainingSetResult retried = sets.build(spec(spine, table, "ts_test.churn"), "run-2",
        Instant.parse("2026-02-02T01:00:00Z"));
    assertEquals("churn_v2", retried.id());
    assertEquals(second.digest(), retried.digest());
    assertEquals(2, spark().table("ts_test.training_sets").count());
    var e = assertThrows(IllegalArgumentException.class, () -> sets.rebuild("churn_v9", null));
    assertTrue(e.getMessage().contains("churn_v2"), e.getMessage());

    // In place only for the latest build: churn_v1 would overwrite what churn_v2 wrote.
    long before = spark().sql("DESCRIBE HISTORY ts_test.churn").count();
    var older = assertThrows(IllegalArgumentException.class, () -> sets.rebuild("churn_v1", null));
    assertEquals("Training set churn_v1 was written to ts_test.churn, which now holds the later build "
        + "churn_v2; rebuild churn_v1 into another table (--output-table), or rebuild churn_v2",
        older.getMessage());
    assertEquals(before, spark().sql("DESCRIBE HISTORY ts_test.churn").count(), "nothing written");
    TrainingSetResult inPlace = sets.rebuild("churn_v2", null);
    assertEquals("ts_test.churn", inPlace.outputTable());
    assertEquals(second.digest(), inPlace.digest());
  }

  @Test
  void aQuerySpineIsStoredSoItCanBePinned() throws Exception {
    spark().sql("CREATE DATABASE IF NOT EXISTS ts_test");
    String table = featureTable(FEATURES, List.of(featureRows(0, 30)));
    spark().createDataFrame(spineRows(0, 20), SPINE).writeTo("ts_test.raw_spine").using("delta").createOrReplace();
    TrainingSets sets = new TrainingSets(spark(), "ts_test.query_sets", PitOptions.defaults());
    SpineSource spine = new SpineSource(null, "SELECT * FROM ts_test.raw_spine WHERE region = 's'",
        List.of("customer"), "at", "churned", List.of());
    TrainingSetResult r = sets.build(spec(spine, table, "ts_test.churn_q"), "q1", Instant.now());
    assertEquals("ts_test.churn_q__spine", r.spineTable());
    long expected = spark().table("ts_test.raw_spine").where("region = 's'").count();
    assertEquals(expected, r.rows());
    spark().sql("DELETE FROM ts_test.raw_spine");
    assertEquals(r.digest(), sets.rebuild(r.id(), "ts_test.churn_q_rebuilt").digest());
  }

  @Test
  void theCheckReportsFeatureRowsFromAfterTheSpineTimeOrOutsideTheTtl() {
    StructType schema = new StructType().add("at", DataTypes.TimestampType)
        .add("g__feature_ts", DataTypes.TimestampType).add("g__created_ts", DataTypes.TimestampType);
    Dataset<Row> rows = spark().createDataFrame(List.of(
        RowFactory.create(ts(BASE), ts(BASE - HOUR), ts(BASE)),                 // fine
        RowFactory.create(ts(BASE), ts(BASE + 1), ts(BASE + 1)),                // from the future
        RowFactory.create(ts(BASE), ts(BASE - 25 * HOUR), ts(BASE - 25 * HOUR)), // older than ttl
        RowFactory.create(ts(BASE), ts(BASE - HOUR), ts(BASE + HOUR)),          // not yet known
        RowFactory.create(ts(BASE), null, null)), schema);
    FeatureRequest g = new FeatureRequest("g", "t", 0L, List.of("k"), List.of("k"), List.of(),
        Duration.ofDays(1));
    TrainingSets.Check check = TrainingSets.check(rows, "at", List.of(g), List.of("at"), true);
    assertEquals(5, check.rows());
    assertEquals(List.of("1 row(s) of g use a feature row from after the spine time",
        "1 row(s) of g use a feature row older than its TTL",
        // The row from the future was also written after the spine time.
        "2 row(s) of g use a feature row written after the spine time"), check.leaks());
    assertEquals(0.8, check.matchedShare().get("g"), 1e-12);
    TrainingSets.Check pit = TrainingSets.check(rows, "at", List.of(g), List.of("at"), false);
    assertEquals(2, pit.leaks().size());
  }

  @Test
  void theDigestTellsWhichColumnOrElementIsNull() {
    StructType schema = new StructType().add("a", DataTypes.LongType).add("b", DataTypes.LongType)
        .add("xs", DataTypes.createArrayType(DataTypes.LongType));
    List<String> written = List.of("a", "b", "xs");
    java.util.function.Function<List<Row>, TrainingSets.Check> check = rows ->
        TrainingSets.check(spark().createDataFrame(rows, schema), "a", List.of(), written, false);
    Row nullA = RowFactory.create(null, 5L, List.of(1L, 2L));
    Row nullB = RowFactory.create(5L, null, List.of(1L, 2L));
    TrainingSets.Check a = check.apply(List.of(nullA));
    TrainingSets.Check b = check.apply(List.of(nullB));
    assertTrue(a.digest().matches("v2:[0-9a-f]{64}"), a.digest());
    // Version 1 (xxhash64 skips nulls) could not tell them apart; version 2 does.
    assertEquals(a.digests().get(1), b.digests().get(1));
    assertNotEquals(a.digest(), b.digest());
    TrainingSets.Check x = check.apply(List.of(RowFactory.create(1L, 1L, java.util.Arrays.asList(1L, null))));
    TrainingSets.Check y = check.apply(List.of(RowFactory.create(1L, 1L, java.util.Arrays.asList(null, 1L))));
    assertEquals(x.digests().get(1), y.digests().get(1));
    assertNotEquals(x.digest(), y.digest());
    // Still independent of row order, and every value counts.
    assertEquals(check.apply(List.of(nullA, nullB)).digest(), check.apply(List.of(nullB, nullA)).digest());
    assertNotEquals(a.digest(), check.apply(List.of(RowFactory.create(null, 6L, List.of(1L, 2L)))).digest());
    assertNotEquals(a.digest(), check.apply(List.of(RowFactory.create(null, 5L, List.of(1L, 3L)))).digest());

    assertEquals(1, TrainingSets.digestVersion(a.digests().get(1)));
    assertEquals(2, TrainingSets.digestVersion(a.digest()));
    var e = assertThrows(IllegalArgumentException.class,
        () -> TrainingSets.digestVersion("v3:" + a.digests().get(1)));
    assertTrue(e.getMessage().contains("newer LakeOps"), e.getMessage());
  }

  @Test
  void aBuildRecordedWithAVersionOneDigestRebuildsAndRerunsAsBefore() throws Exception {
    spark().sql("CREATE DATABASE IF NOT EXISTS ts_test");
    String table = featureTable(FEATURES, List.of(featureRows(0, 40)));
    spark().createDataFrame(spineRows(0, 30), SPINE).writeTo("ts_test.legacy_spine").using("delta")
        .createOrReplace();
    TrainingSets sets = new TrainingSets(spark(), "ts_test.legacy_sets", PitOptions.defaults());
    SpineSource spine = new SpineSource("ts_test.legacy_spine", null, List.of("customer"), "at",
        "churned", List.of("region"));
    TrainingSetResult built = sets.build(spec(spine, table, "ts_test.legacy"), "l1", Instant.now());
    // The manifest row as an earlier LakeOps wrote it: the version 1 digest of the same rows.
    Dataset<Row> output = spark().table("ts_test.legacy");
    String v1 = TrainingSets.check(output, "at", List.of(), List.of(output.columns()), false)
        .digests().get(1);
    assertTrue(v1.matches("[0-9a-f]{64}"), v1);
    assertEquals(built.digest(), TrainingSets.check(output, "at", List.of(), List.of(output.columns()),
        false).digest(), "the digest of the written table is the recorded one");
    spark().sql("UPDATE ts_test.legacy_sets SET digest = '" + v1 + "' WHERE training_set_id = '"
        + built.id() + "'");

    TrainingSetResult rebuilt = sets.rebuild(built.id(), "ts_test.legacy_rebuilt");
    assertEquals(v1, rebuilt.digest(), "a rebuild reports the digest in the recorded format");
    assertEquals(sets.recordedDigest(built.id()), rebuilt.digest());
    // A rerun of the same build keeps its id (and records today's format).
    TrainingSetResult rerun = sets.build(spec(spine, table, "ts_test.legacy"), "l2", Instant.now());
    assertEquals(built.id(), rerun.id());
    assertEquals(1, spark().table("ts_test.legacy_sets").count());
    assertEquals(built.digest(), sets.recordedDigest(built.id()));
  }
}

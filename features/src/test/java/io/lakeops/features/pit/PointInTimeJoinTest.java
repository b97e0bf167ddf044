package io.lakeops.features.pit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.testing.SparkTestBase;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The point-in-time join against a brute-force oracle: plain nested loops over every feature row
 * for every spine row, with the documented rule (same keys, {@code t - ttl <= event_ts <= t},
 * in "as known at" mode also {@code created_ts <= t}, greatest (event_ts, created_ts, commit
 * version, row id) wins). Random data has ties, duplicate events, null keys, rows exactly on the
 * TTL bounds, spine times before any feature row, late rows, and hot entities that range
 * partitioning splits across partitions.
 */
public class PointInTimeJoinTest extends SparkTestBase {

  private static final AtomicInteger TABLES = new AtomicInteger();
  private static final long HOUR = 3_600_000_000L;
  private static final long BASE = Instant.parse("2026-03-01T00:00:00Z").toEpochMilli() * 1000;

  public static final StructType FEATURES = new StructType()
      .add("customer", DataTypes.StringType)
      .add("event_ts", DataTypes.TimestampType)
      .add("created_ts", DataTypes.TimestampType)
      .add("amount", DataTypes.DoubleType)
      .add("tier", DataTypes.StringType);

  static final StructType STORE_FEATURES = new StructType()
      .add("store", DataTypes.IntegerType)
      .add("event_ts", DataTypes.TimestampType)
      .add("created_ts", DataTypes.TimestampType)
      .add("visits", DataTypes.LongType);

  /** One feature row as the oracle sees it. */
  record FeatureRow(Object key, long ts, long created, long version, long rowId, List<Object> values) {}

  public static Timestamp ts(long micros) {
    Timestamp t = new Timestamp(Math.floorDiv(micros, 1000));
    t.setNanos((int) Math.floorMod(micros, 1_000_000L) * 1000);
    return t;
  }

  static long micros(Timestamp t) {
    return Math.floorDiv(t.getTime(), 1000) * 1_000_000L + t.getNanos() / 1000;
  }

  /** Writes the rows as a Delta table with row tracking, one commit per batch. */
  public static String featureTable(StructType schema, List<List<Row>> commits) {
    String table = "pit_test.features_" + TABLES.incrementAndGet();
    spark().sql("CREATE DATABASE IF NOT EXISTS pit_test");
    boolean first = true;
    for (List<Row> batch : commits) {
      Dataset<Row> df = spark().createDataFrame(batch, schema).repartition(2);
      try {
        if (first) {
          df.writeTo(table).using("delta").tableProperty("delta.enableRowTracking", "true").create();
        } else {
          df.writeTo(table).append();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      first = false;
    }
    return table;
  }

  /** The table's rows with their row tracking metadata, read for the oracle. */
  static List<FeatureRow> oracleRows(String table, String keyColumn, List<String> valueColumns) {
    List<FeatureRow> rows = new ArrayList<>();
    String values = valueColumns.isEmpty() ? "" : ", " + String.join(", ", valueColumns);
    for (Row r : spark().sql("SELECT " + keyColumn + ", event_ts, created_ts, _metadata.row_commit_version, "
        + "_metadata.row_id" + values + " FROM " + table).collectAsList()) {
      if (r.isNullAt(1)) {
        continue;
      }
      List<Object> v = new ArrayList<>();
      for (int i = 0; i < valueColumns.size(); i++) {
        v.add(r.get(5 + i));
      }
      rows.add(new FeatureRow(r.get(0), micros(r.getTimestamp(1)),
          r.isNullAt(2) ? Long.MAX_VALUE : micros(r.getTimestamp(2)), r.getLong(3), r.getLong(4), v));
    }
    return rows;
  }

  /** Brute force: the row to use for key at t, or null. */
  static FeatureRow oracle(List<FeatureRow> rows, Object key, Long t, long ttlMicros, boolean asKnownAt) {
    if (key == null || t == null) {
      return null;
    }
    FeatureRow best = null;
    for (FeatureRow r : rows) {
      if (!key.equals(r.key()) || r.ts() > t || r.ts() < t - ttlMicros) {
        continue;
      }
      if (asKnownAt && r.created() > t) {
        continue;
      }
      if (best == null || compare(r, best) > 0) {
        best = r;
      }
    }
    return best;
  }

  static int compare(FeatureRow a, FeatureRow b) {
    int c = Long.compare(a.ts(), b.ts());
    c = c != 0 ? c : Long.compare(a.created(), b.created());
    c = c != 0 ? c : Long.compare(a.version(), b.version());
    return c != 0 ? c : Long.compare(a.rowId(), b.rowId());
  }

  /**
   * Now and then a fraction of a second: rows of one key in the same second but in a different
   * order of (time, kind) than they arrive in (the join sorts by key hash and whole seconds only).
   */
  static long subSecond(Random random) {
    return random.nextInt(3) == 0 ? random.nextInt(3) * 400_000L : 0;
  }

  /** Random customer features: few keys (one hot), times on an hour grid so ties are common. */
  static List<List<Row>> randomCustomerFeatures(Random random, int perCommit) {
    List<List<Row>> commits = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      List<Row> batch = new ArrayList<>();
      for (int i = 0; i < perCommit; i++) {
        String key = random.nextInt(20) == 0 ? null
            : random.nextInt(3) == 0 ? "hot" : "c" + random.nextInt(6);
        long event = BASE + random.nextInt(24 * 20) * HOUR + subSecond(random);
        // Most rows are written when they happen; some arrive late (a backfill, a late feed).
        long created = event + (random.nextInt(4) == 0 ? random.nextInt(72) * HOUR : 0);
        Timestamp eventTs = random.nextInt(50) == 0 ? null : ts(event);
        // Now and then no created_ts: never known, and last among rows of its event time.
        Timestamp createdTs = random.nextInt(30) == 0 ? null : ts(created);
        batch.add(RowFactory.create(key, eventTs, createdTs,
            random.nextInt(10) == 0 ? null : Math.round(random.nextDouble() * 1000) / 10.0,
            "t" + random.nextInt(3)));
      }
      commits.add(batch);
    }
    // A duplicate event: the same key, event time and created time in a later commit.
    List<Row> last = commits.get(2);
    Row dup = commits.get(0).get(0);
    last.add(RowFactory.create(dup.get(0), dup.get(1), dup.get(2), 999.0, "dup"));
    return commits;
  }

  static List<List<Row>> randomStoreFeatures(Random random, int perCommit) {
    List<List<Row>> commits = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      List<Row> batch = new ArrayList<>();
      for (int i = 0; i < perCommit; i++) {
        long event = BASE + random.nextInt(24 * 20) * HOUR + subSecond(random);
        batch.add(RowFactory.create(random.nextInt(15) == 0 ? null : random.nextInt(4), ts(event),
            ts(event + random.nextInt(3) * HOUR), (long) random.nextInt(100)));
      }
      commits.add(batch);
    }
    return commits;
  }

  static final StructType SPINE = new StructType()
      .add("spine_id", DataTypes.IntegerType)
      .add("customer", DataTypes.StringType)
      .add("store", DataTypes.IntegerType)
      .add("at", DataTypes.TimestampType)
      .add("label", DataTypes.IntegerType);

  static List<Row> randomSpine(Random random, int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String key = random.nextInt(25) == 0 ? null
          : random.nextInt(3) == 0 ? "hot" : "c" + random.nextInt(7);
      // From a day before the first feature row (nothing to match) to after the last.
      long t = BASE + (random.nextInt(24 * 22) - 24) * HOUR + subSecond(random);
      Timestamp at = random.nextInt(40) == 0 ? null : ts(t);
      rows.add(RowFactory.create(i, key, random.nextInt(12) == 0 ? null : random.nextInt(5), at,
          random.nextInt(2)));
    }
    // Two identical spine rows: both come out.
    Row copy = rows.get(1);
    rows.add(RowFactory.create(n, copy.get(1), copy.get(2), copy.get(3), copy.get(4)));
    return rows;
  }

  /** The audit value of {@code <group>__created_ts}: null for a row without created_ts. */
  private static Timestamp created(FeatureRow r) {
    return r == null || r.created() == Long.MAX_VALUE ? null : ts(r.created());
  }

  /**
   * Three groups: {@code cust} and {@code recent} on the spine's customer (one shuffle for both:
   * two tables, two TTLs, in one pass), {@code store} on its store (a second key set, joined back
   * by spine row id); requested in the order cust, store, recent.
   */
  /** Returns the rows carried across partition splits. */
  private long assertJoinEqualsOracle(long seed, boolean asKnownAt, int partitions) {
    Random random = new Random(seed);
    String customers = featureTable(FEATURES, randomCustomerFeatures(random, 120));
    String stores = featureTable(STORE_FEATURES, randomStoreFeatures(random, 80));
    String recent = featureTable(FEATURES, randomCustomerFeatures(random, 90));
    List<Row> spineRows = randomSpine(random, 250);
    Dataset<Row> spine = spark().createDataFrame(spineRows, SPINE).repartition(3);
    long customerTtl = 5 * 24 * HOUR;
    long storeTtl = 36 * HOUR;
    long recentTtl = 30 * HOUR;
    List<FeatureRequest> requests = List.of(
        new FeatureRequest("cust", customers, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("amount", "cust__amount"),
                new FeatureRequest.Feature("tier", "customer_tier")),
            Duration.ofDays(5)),
        new FeatureRequest("store", stores, null, List.of("store"), List.of("store"),
            List.of(new FeatureRequest.Feature("visits", "store__visits")), Duration.ofHours(36)),
        new FeatureRequest("recent", recent, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("tier", "recent__tier"),
                new FeatureRequest.Feature("amount", "recent__amount")),
            Duration.ofHours(30)));
    PitResult result = PointInTimeJoin.join(spark(), spine, "at", requests,
        PitOptions.defaults().withAsKnownAt(asKnownAt).withPartitions(partitions));
    List<Row> out = result.rows().collectAsList();
    result.release();

    assertEquals(spineRows.size(), out.size(), "rows out == rows in");
    assertEquals(spineRows.size(), result.spineRows());
    assertEquals(List.of("spine_id", "customer", "store", "at", "label", "cust__amount",
        "customer_tier", "store__visits", "recent__tier", "recent__amount", "cust__feature_ts",
        "cust__created_ts", "store__feature_ts", "store__created_ts", "recent__feature_ts",
        "recent__created_ts"), Arrays.asList(result.rows().columns()));
    List<FeatureRow> customerRows = oracleRows(customers, "customer", List.of("amount", "tier"));
    List<FeatureRow> storeRows = oracleRows(stores, "store", List.of("visits"));
    List<FeatureRow> recentRows = oracleRows(recent, "customer", List.of("tier", "amount"));
    Map<Integer, Row> byId = new HashMap<>();
    out.forEach(r -> assertNull(byId.put(r.getInt(0), r), "spine row " + r.getInt(0) + " twice"));
    int matched = 0;
    int recentMatched = 0;
    int unknownCreated = 0;
    for (Row s : spineRows) {
      Row r = byId.get(s.getInt(0));
      Long t = s.isNullAt(3) ? null : micros(s.getTimestamp(3));
      FeatureRow c = oracle(customerRows, s.get(1), t, customerTtl, asKnownAt);
      FeatureRow st = oracle(storeRows, s.get(2), t, storeTtl, asKnownAt);
      FeatureRow rc = oracle(recentRows, s.get(1), t, recentTtl, asKnownAt);
      String where = "seed " + seed + ", knownAt " + asKnownAt + ", partitions " + partitions
          + ", spine row " + s;
      for (int i = 0; i < 5; i++) {
        assertEquals(s.get(i), r.get(i), where + ": spine column " + i);
      }
      assertEquals(c == null ? null : c.values().get(0), r.get(5), where + ": amount");
      assertEquals(c == null ? null : c.values().get(1), r.get(6), where + ": tier");
      assertEquals(st == null ? null : st.values().get(0), r.get(7), where + ": visits");
      assertEquals(rc == null ? null : rc.values().get(0), r.get(8), where + ": recent tier");
      assertEquals(rc == null ? null : rc.values().get(1), r.get(9), where + ": recent amount");
      assertEquals(c == null ? null : ts(c.ts()), r.get(10), where + ": customer feature_ts");
      assertEquals(created(c), r.get(11), where + ": customer created_ts");
      assertEquals(st == null ? null : ts(st.ts()), r.get(12), where + ": store feature_ts");
      assertEquals(created(st), r.get(13), where + ": store created_ts");
      assertEquals(rc == null ? null : ts(rc.ts()), r.get(14), where + ": recent feature_ts");
      assertEquals(created(rc), r.get(15), where + ": recent created_ts");
      matched += (c == null ? 0 : 1) + (st == null ? 0 : 1) + (rc == null ? 0 : 1);
      recentMatched += rc == null ? 0 : 1;
      unknownCreated += (c != null && c.created() == Long.MAX_VALUE ? 1 : 0)
          + (rc != null && rc.created() == Long.MAX_VALUE ? 1 : 0);
    }
    assertTrue(matched > spineRows.size(), "the data must exercise matches: " + matched);
    assertTrue(recentMatched > spineRows.size() / 4, "the second customer group must match too: "
        + recentMatched);
    if (!asKnownAt) {
      assertTrue(unknownCreated > 0, "some matched rows have no created_ts (seed " + seed + ")");
    }
    return result.carriedRows();
  }

  static final StructType PAIR_FEATURES = new StructType()
      .add("customer", DataTypes.StringType)
      .add("store", DataTypes.IntegerType)
      .add("event_ts", DataTypes.TimestampType)
      .add("created_ts", DataTypes.TimestampType)
      .add("visits", DataTypes.LongType);

  @Test
  void compositeKeysEqualTheBruteForceOracle() {
    // Two key columns (customer, store) take the pass's general key comparison; a hot pair and
    // 13 partitions make range splits; in the second round, 5 key hash values make pairs collide.
    for (boolean asKnownAt : new boolean[] {false, true}) {
      Random random = new Random(asKnownAt ? 52 : 51);
      List<List<Row>> commits = new ArrayList<>();
      for (int c = 0; c < 2; c++) {
        List<Row> batch = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          boolean hot = random.nextInt(3) == 0;
          String customer = random.nextInt(20) == 0 ? null : hot ? "hot" : "c" + random.nextInt(6);
          Integer store = random.nextInt(20) == 0 ? null : hot ? 1 : random.nextInt(4);
          long event = BASE + random.nextInt(24 * 20) * HOUR + subSecond(random);
          batch.add(RowFactory.create(customer, store, ts(event),
              ts(event + (random.nextInt(4) == 0 ? random.nextInt(72) * HOUR : 0)),
              (long) random.nextInt(100)));
        }
        commits.add(batch);
      }
      String table = featureTable(PAIR_FEATURES, commits);
      List<Row> spineRows = randomSpine(random, 250);
      for (int i = 0; i < spineRows.size(); i += 3) {
        Row r = spineRows.get(i);
        if ("hot".equals(r.get(1))) {
          spineRows.set(i, RowFactory.create(r.get(0), r.get(1), 1, r.get(3), r.get(4)));
        }
      }
      PointInTimeJoin.hashBucketsForTesting = asKnownAt ? 5 : 0;
      PitResult result;
      List<Row> out;
      try {
        result = PointInTimeJoin.join(spark(), spark().createDataFrame(spineRows, SPINE), "at",
            List.of(new FeatureRequest("pair", table, null, List.of("customer", "store"),
                List.of("customer", "store"), List.of(new FeatureRequest.Feature("visits", "visits")),
                Duration.ofDays(3))),
            PitOptions.defaults().withAsKnownAt(asKnownAt).withPartitions(13));
        out = result.rows().collectAsList();
      } finally {
        PointInTimeJoin.hashBucketsForTesting = 0;
      }
      assertEquals(spineRows.size(), out.size(), "rows out == rows in");
      List<FeatureRow> rows = oracleRows(table,
          "CASE WHEN customer IS NULL OR store IS NULL THEN NULL ELSE concat(customer, '|', store) END",
          List.of("visits"));
      Map<Integer, Row> byId = new HashMap<>();
      out.forEach(r -> assertNull(byId.put(r.getInt(0), r), "spine row " + r.getInt(0) + " twice"));
      int matched = 0;
      for (Row s : spineRows) {
        Long t = s.isNullAt(3) ? null : micros(s.getTimestamp(3));
        String key = s.isNullAt(1) || s.isNullAt(2) ? null : s.get(1) + "|" + s.get(2);
        FeatureRow expected = oracle(rows, key, t, 3 * 24 * HOUR, asKnownAt);
        Row r = byId.get(s.getInt(0));
        assertEquals(expected == null ? null : expected.values().get(0), r.get(5),
            "knownAt " + asKnownAt + ", spine row " + s);
        assertEquals(expected == null ? null : ts(expected.ts()), r.get(6),
            "knownAt " + asKnownAt + ", spine row " + s);
        matched += expected == null ? 0 : 1;
      }
      assertTrue(matched > spineRows.size() / 3, "the data must exercise matches: " + matched);
      assertTrue(result.carriedRows() > 0, "the hot pair must be split across partitions");
    }
  }

  @Test
  void pointInTimeEqualsTheBruteForceOracle() {
    // Two seeds: the split and collision tests below run the same oracle on four more.
    for (long seed = 1; seed <= 2; seed++) {
      assertJoinEqualsOracle(seed, false, 2);
    }
  }

  @Test
  void asKnownAtEqualsTheBruteForceOracle() {
    for (long seed = 11; seed <= 12; seed++) {
      assertJoinEqualsOracle(seed, true, 2);
    }
  }

  @Test
  void hotEntitiesSplitAcrossPartitionsCarryTheirLastRows() {
    // Many partitions for little data: range partitioning splits the hot entity by time, so the
    // spine rows at the start of a partition need rows carried from the previous ones.
    assertTrue(assertJoinEqualsOracle(21, false, 13) > 0, "the hot entity must be split");
    assertTrue(assertJoinEqualsOracle(121, true, 13) > 0, "the hot entity must be split");
  }

  @Test
  void entitiesWhoseKeyHashesCollideAreStillJoinedExactly() {
    // Partitions are ranges of (key hash, time): with only 3 hash values, many entities share a
    // hash, interleave across range splits, and each needs its own carried rows.
    PointInTimeJoin.hashBucketsForTesting = 3;
    try {
      assertTrue(assertJoinEqualsOracle(31, false, 13) > 0, "colliding entities must be split");
      assertTrue(assertJoinEqualsOracle(131, true, 7) > 0, "colliding entities must be split");
    } finally {
      PointInTimeJoin.hashBucketsForTesting = 0;
    }
  }

  /**
   * A table clustered by entity key: the hot key fills the two largest of 42 files, which the
   * split sample (5%: 3 splits, the same seed every run) does not read, and its 10 spine rows
   * alone do not make it hot. From Delta's file statistics the join knows it, so the bounds split
   * it by time and rows are carried; with the statistics switched off nothing is split. The
   * result equals the oracle both ways.
   */
  @Test
  void aHotKeyInWholeFilesThatTheSampleMissesIsFoundInTheFileStatistics() {
    Random random = new Random(11);
    List<Row> cold = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      long t = BASE + (long) (random.nextDouble() * 200 * HOUR);
      cold.add(RowFactory.create("c" + random.nextInt(200), ts(t), ts(t), (double) i, "cold"));
    }
    List<Row> hot = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      long t = BASE + i * (200 * HOUR / 20_000);
      hot.add(RowFactory.create("hot", ts(t), ts(t), 10_000.0 + i, "hot"));
    }
    String table = "pit_test.features_" + TABLES.incrementAndGet();
    spark().sql("CREATE DATABASE IF NOT EXISTS pit_test");
    try {
      spark().createDataFrame(cold, FEATURES).repartition(40).writeTo(table).using("delta")
          .tableProperty("delta.enableRowTracking", "true").create();
      spark().createDataFrame(hot, FEATURES).repartition(2).writeTo(table).append();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    assertEquals(2, spark().sql("SELECT DISTINCT input_file_name() FROM " + table
        + " WHERE customer = 'hot'").count(), "the hot key fills two files");
    List<Row> spineRows = new ArrayList<>();
    for (int i = 0; i < 310; i++) {
      long t = BASE + (long) (random.nextDouble() * 220 * HOUR);
      spineRows.add(RowFactory.create(i, i < 10 ? "hot" : "c" + random.nextInt(220), 1, ts(t), 0));
    }
    List<FeatureRow> oracleRows = oracleRows(table, "customer", List.of("amount"));
    // One file per split, so that the sample reads 3 of 42 (not one split holding them all).
    String maxBytes = spark().conf().get("spark.sql.files.maxPartitionBytes");
    String openCost = spark().conf().get("spark.sql.files.openCostInBytes");
    spark().conf().set("spark.sql.files.maxPartitionBytes", "1m");
    spark().conf().set("spark.sql.files.openCostInBytes", "1m");
    try {
      for (boolean statistics : new boolean[] {false, true}) {
        PointInTimeJoin.fileStatisticsForTesting = statistics;
        PitResult result = PointInTimeJoin.join(spark(), spark().createDataFrame(spineRows, SPINE),
            "at", List.of(new FeatureRequest("c", table, null, List.of("customer"),
                List.of("customer"), List.of(new FeatureRequest.Feature("amount", "amount")),
                Duration.ofHours(6))), PitOptions.defaults().withPartitions(8));
        List<Row> out = result.rows().collectAsList();
        assertEquals(spineRows.size(), out.size(), "rows out == rows in");
        Map<Integer, Row> byId = new HashMap<>();
        out.forEach(r -> byId.put(r.getInt(0), r));
        int hotMatched = 0;
        for (Row s : spineRows) {
          FeatureRow expected = oracle(oracleRows, s.get(1), micros(s.getTimestamp(3)),
              6 * HOUR, false);
          Row r = byId.get(s.getInt(0));
          assertEquals(expected == null ? null : expected.values().get(0), r.get(5),
              "statistics " + statistics + ", spine row " + s);
          hotMatched += expected != null && "hot".equals(s.get(1)) ? 1 : 0;
        }
        assertTrue(hotMatched > 5, "the hot key's spine rows must match: " + hotMatched);
        if (statistics) {
          assertTrue(result.carriedRows() > 0, "the hot key must be split by time");
        } else {
          assertEquals(0, result.carriedRows(), "the premise: the sample alone misses the hot key");
        }
      }
    } finally {
      PointInTimeJoin.fileStatisticsForTesting = true;
      spark().conf().set("spark.sql.files.maxPartitionBytes", maxBytes);
      spark().conf().set("spark.sql.files.openCostInBytes", openCost);
    }
  }

  @Test
  void carriedRowsComeFromEarlierPartitionsOfTheSameEntity() {
    // One entity only: a feature row at hour 0, spine rows every hour for 100 hours, and 8
    // partitions: every partition but the first starts with spine rows that match nothing of
    // their own and must use the row carried from partition 0.
    String table = featureTable(FEATURES, List.of(List.of(
        RowFactory.create("solo", ts(BASE), ts(BASE), 1.5, "a"))));
    List<Row> spineRows = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      spineRows.add(RowFactory.create(i, "solo", 1, ts(BASE + i * HOUR), 0));
    }
    PitResult result = PointInTimeJoin.join(spark(), spark().createDataFrame(spineRows, SPINE), "at",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("amount", "amount")), Duration.ofHours(50))),
        PitOptions.defaults().withPartitions(8));
    List<Row> out = result.rows().orderBy("spine_id").collectAsList();
    assertTrue(result.carriedRows() > 0, "the range split must have been exercised");
    for (Row r : out) {
      int hour = r.getInt(0);
      // ttl 50 h, both bounds inclusive: hours 0..50 see the row, 51.. do not.
      assertEquals(hour <= 50 ? 1.5 : null, r.get(5), "hour " + hour);
    }
  }

  @Test
  void aNonDeterministicSpineIsReadOnceSoEveryRowComesOutOnceWithItsOwnFeatures() {
    Random random = new Random(11);
    String customers = featureTable(FEATURES, randomCustomerFeatures(random, 120));
    // A key drawn anew at every evaluation: two reads of this spine see different rows with keys
    // (and without), so a join that read it twice would drop or duplicate rows.
    spark().udf().register("pit_test_random_key", functions.udf((UDF1<Long, String>) id -> {
      int k = java.util.concurrent.ThreadLocalRandom.current().nextInt(8);
      return k == 0 ? null : k == 1 ? "hot" : "c" + k;
    }, DataTypes.StringType).asNondeterministic());
    Dataset<Row> spine = spark().range(0, 400, 1, 3).selectExpr("CAST(id AS INT) AS spine_id",
        "pit_test_random_key(id) AS customer",
        "timestamp_micros(" + BASE + "L + (id % 480) * " + HOUR + "L) AS at");
    assertFalse(spine.queryExecution().analyzed().deterministic(), "the spine must be non-deterministic");
    long ttl = 5 * 24 * HOUR;
    PitResult result = PointInTimeJoin.join(spark(), spine, "at",
        List.of(new FeatureRequest("cust", customers, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("amount", "amount")), Duration.ofDays(5))),
        PitOptions.defaults().withPartitions(4));
    List<Row> out = result.rows().collectAsList();
    List<Row> again = result.rows().collectAsList();
    result.release();
    assertEquals(400, out.size(), "rows out == rows in");
    assertEquals(400, result.spineRows());
    List<FeatureRow> rows = oracleRows(customers, "customer", List.of("amount"));
    Set<Integer> ids = new HashSet<>();
    int withKey = 0;
    int matched = 0;
    for (Row r : out) {
      assertTrue(ids.add(r.getInt(0)), "spine row " + r.getInt(0) + " twice");
      FeatureRow want = oracle(rows, r.get(1), micros(r.getTimestamp(2)), ttl, false);
      assertEquals(want == null ? null : want.values().get(0), r.get(3), "spine row " + r);
      withKey += r.isNullAt(1) ? 0 : 1;
      matched += want == null ? 0 : 1;
    }
    assertTrue(withKey > 300 && withKey < 400 && matched > 100, withKey + " keys, " + matched + " matches");
    assertEquals(new HashSet<>(out), new HashSet<>(again), "the result reads the cached spine again");
  }

  @Test
  void ttlBoundsAreInclusiveAndEventTimeEqualToSpineTimeMatches() {
    String table = featureTable(FEATURES, List.of(List.of(
        RowFactory.create("a", ts(BASE), ts(BASE), 1.0, "x"))));
    List<Row> spineRows = List.of(
        RowFactory.create(0, "a", 1, ts(BASE - 1), 0),              // before the row: nothing
        RowFactory.create(1, "a", 1, ts(BASE), 0),                  // event_ts == t: used
        RowFactory.create(2, "a", 1, ts(BASE + 24 * HOUR), 0),      // t - ttl == event_ts: used
        RowFactory.create(3, "a", 1, ts(BASE + 24 * HOUR + 1), 0)); // one microsecond later: not
    PitResult result = PointInTimeJoin.join(spark(), spark().createDataFrame(spineRows, SPINE), "at",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("amount", "amount")), Duration.ofDays(1))),
        PitOptions.defaults());
    List<Row> out = result.rows().orderBy("spine_id").collectAsList();
    assertEquals(Arrays.asList(null, 1.0, 1.0, null), out.stream().map(r -> r.get(5)).toList());
  }

  @Test
  void lateRowsAreUsedInPointInTimeModeButNotBeforeTheyWereKnown() {
    // Event at hour 0, written at hour 10 (a backfill). A spine row at hour 5 sees it in
    // point-in-time mode, not in "as known at" mode, where it falls back to the older row.
    String table = featureTable(FEATURES, List.of(List.of(
        RowFactory.create("a", ts(BASE - 2 * HOUR), ts(BASE - 2 * HOUR), 1.0, "old"),
        RowFactory.create("a", ts(BASE), ts(BASE + 10 * HOUR), 2.0, "late"))));
    List<Row> spineRows = List.of(RowFactory.create(0, "a", 1, ts(BASE + 5 * HOUR), 0),
        RowFactory.create(1, "a", 1, ts(BASE + 10 * HOUR), 0));
    for (boolean knownAt : List.of(false, true)) {
      PitResult result = PointInTimeJoin.join(spark(), spark().createDataFrame(spineRows, SPINE), "at",
          List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
              List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))),
          PitOptions.defaults().withAsKnownAt(knownAt));
      List<Object> tiers = result.rows().orderBy("spine_id").collectAsList().stream()
          .map(r -> r.get(5)).toList();
      assertEquals(knownAt ? List.of("old", "late") : List.of("late", "late"), tiers, "knownAt " + knownAt);
    }
  }

  @Test
  void tiesAreBrokenByCreatedTimeThenCommitVersion() {
    // Same key and event time: the later created_ts wins; with equal created_ts, the later commit.
    String table = featureTable(FEATURES, List.of(
        List.of(RowFactory.create("a", ts(BASE), ts(BASE + HOUR), 1.0, "created-later"),
            RowFactory.create("a", ts(BASE), ts(BASE), 2.0, "created-first"),
            RowFactory.create("b", ts(BASE), ts(BASE), 3.0, "first-commit")),
        List.of(RowFactory.create("b", ts(BASE), ts(BASE), 4.0, "second-commit"))));
    List<Row> spineRows = List.of(RowFactory.create(0, "a", 1, ts(BASE + 2 * HOUR), 0),
        RowFactory.create(1, "b", 1, ts(BASE + 2 * HOUR), 0));
    PitResult result = PointInTimeJoin.join(spark(), spark().createDataFrame(spineRows, SPINE), "at",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))),
        PitOptions.defaults());
    assertEquals(List.of("created-later", "second-commit"), result.rows().orderBy("spine_id")
        .collectAsList().stream().map(r -> r.get(5)).toList());
  }

  @Test
  void timesAcrossADaylightSavingChangeInANonUtcSessionAreInstants() {
    // America/New_York jumps from 02:00 to 03:00 on 2026-03-08. A row at 01:45 local (06:45Z)
    // and a spine row at 03:30 local (07:30Z) are 45 minutes apart, not 1 h 45: a 1 h TTL keeps
    // it; 03:45 local is exactly 1 h later (kept, the bound is inclusive), 03:45:01 is not. The spine's timestamps are built from local wall-clock text in that session zone.
    String previous = spark().conf().get("spark.sql.session.timeZone");
    spark().conf().set("spark.sql.session.timeZone", "America/New_York");
    try {
      ZoneId ny = ZoneId.of("America/New_York");
      long row = LocalDateTime.parse("2026-03-08T01:45:00").atZone(ny).toInstant().toEpochMilli() * 1000;
      String table = featureTable(FEATURES, List.of(List.of(
          RowFactory.create("a", ts(row), ts(row), 7.0, "x"))));
      Random random = new Random(5);
      List<Row> spineRows = new ArrayList<>();
      String[] local = {"2026-03-08 01:44:59", "2026-03-08 01:45:00", "2026-03-08 03:30:00",
          "2026-03-08 03:45:00", "2026-03-08 03:45:01", "2026-03-07 23:00:00"};
      for (int i = 0; i < local.length; i++) {
        spineRows.add(RowFactory.create(i, "a", random.nextInt(3), null, 0));
      }
      Dataset<Row> spine = spark().createDataFrame(spineRows, SPINE).drop("at")
          .join(spark().createDataFrame(
              java.util.stream.IntStream.range(0, local.length)
                  .mapToObj(i -> RowFactory.create(i, local[i])).toList(),
              new StructType().add("id", DataTypes.IntegerType).add("local", DataTypes.StringType)),
              org.apache.spark.sql.functions.col("spine_id").equalTo(org.apache.spark.sql.functions.col("id")))
          .withColumn("at", org.apache.spark.sql.functions.to_timestamp(
              org.apache.spark.sql.functions.col("local")))
          .select("spine_id", "customer", "store", "at", "label");
      PitResult result = PointInTimeJoin.join(spark(), spine, "at",
          List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
              List.of(new FeatureRequest.Feature("amount", "amount")), Duration.ofHours(1))),
          PitOptions.defaults());
      List<Row> out = result.rows().orderBy("spine_id").collectAsList();
      List<FeatureRow> rows = oracleRows(table, "customer", List.of("amount"));
      for (Row r : out) {
        FeatureRow expected = oracle(rows, "a", micros(r.getTimestamp(3)), HOUR, false);
        assertEquals(expected == null ? null : expected.values().get(0), r.get(5), "row " + r);
      }
      assertEquals(Arrays.asList(null, 7.0, 7.0, 7.0, null, null),
          out.stream().map(r -> r.get(5)).toList());
    } finally {
      spark().conf().set("spark.sql.session.timeZone", previous);
    }
  }

  @Test
  void aDateSpineTimeMeansTheStartOfThatDay() {
    String table = featureTable(FEATURES, List.of(List.of(
        RowFactory.create("a", ts(BASE), ts(BASE), 1.0, "midnight"),
        RowFactory.create("a", ts(BASE + HOUR), ts(BASE + HOUR), 2.0, "one-am"))));
    StructType schema = new StructType().add("customer", DataTypes.StringType)
        .add("day", DataTypes.DateType);
    Dataset<Row> spine = spark().createDataFrame(List.of(RowFactory.create("a",
        Date.valueOf("2026-03-01"))), schema);
    PitResult result = PointInTimeJoin.join(spark(), spine, "day",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))),
        PitOptions.defaults());
    assertEquals("midnight", result.rows().first().get(2));
  }

  @Test
  void aDateSpineTimeInANonUtcSessionIsTheStartOfThatDayThere() {
    // 2026-03-01 in America/New_York (UTC-5 then) starts at 05:00Z: the row at exactly 05:00Z is
    // the latest one at the spine time; a second later is after it.
    long midnight = Instant.parse("2026-03-01T05:00:00Z").toEpochMilli() * 1000;
    String table = featureTable(FEATURES, List.of(List.of(
        RowFactory.create("a", ts(midnight - 1_000_000L), ts(midnight - 1_000_000L), 1.0, "before"),
        RowFactory.create("a", ts(midnight), ts(midnight), 2.0, "local-midnight"),
        RowFactory.create("a", ts(midnight + 1_000_000L), ts(midnight + 1_000_000L), 3.0, "after"))));
    StructType schema = new StructType().add("customer", DataTypes.StringType)
        .add("day", DataTypes.DateType);
    String previous = spark().conf().get("spark.sql.session.timeZone");
    spark().conf().set("spark.sql.session.timeZone", "America/New_York");
    try {
      Dataset<Row> spine = spark().createDataFrame(List.of(RowFactory.create("a",
          Date.valueOf("2026-03-01"))), schema);
      PitResult result = PointInTimeJoin.join(spark(), spine, "day",
          List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
              List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))),
          PitOptions.defaults());
      Row r = result.rows().first();
      assertEquals("local-midnight", r.get(2));
      assertEquals(ts(midnight), r.get(3), "c__feature_ts");
      result.release();
    } finally {
      spark().conf().set("spark.sql.session.timeZone", previous);
    }
  }

  @Test
  void pinnedVersionsReadTheTableAsItWas() {
    String table = featureTable(FEATURES, List.of(
        List.of(RowFactory.create("a", ts(BASE), ts(BASE), 1.0, "v0")),
        List.of(RowFactory.create("a", ts(BASE + HOUR), ts(BASE + HOUR), 2.0, "v1"))));
    Dataset<Row> spine = spark().createDataFrame(List.of(RowFactory.create(0, "a", 1,
        ts(BASE + 2 * HOUR), 0)), SPINE);
    FeatureRequest request = new FeatureRequest("c", table, null, List.of("customer"),
        List.of("customer"), List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1));
    PitResult latest = PointInTimeJoin.join(spark(), spine, "at", List.of(request), PitOptions.defaults());
    assertEquals(1L, latest.pinned().get(0).version());
    assertEquals("v1", latest.rows().first().get(5));
    PitResult old = PointInTimeJoin.join(spark(), spine, "at", List.of(request.atVersion(0)),
        PitOptions.defaults());
    assertEquals("v0", old.rows().first().get(5));
  }

  @Test
  void clearErrorsForMissingColumnsCollisionsAndTablesWithoutRowTracking() {
    String table = featureTable(FEATURES, List.of(List.of(
        RowFactory.create("a", ts(BASE), ts(BASE), 1.0, "x"))));
    Dataset<Row> spine = spark().createDataFrame(List.of(RowFactory.create(0, "a", 1, ts(BASE), 0)), SPINE);
    var e1 = assertThrows(IllegalArgumentException.class, () -> PointInTimeJoin.join(spark(), spine, "at",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("cust_id"),
            List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))), PitOptions.defaults()));
    assertTrue(e1.getMessage().contains("spine column 'cust_id'"), e1.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class, () -> PointInTimeJoin.join(spark(), spine, "at",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("tier", "label")), Duration.ofDays(1))), PitOptions.defaults()));
    assertTrue(e2.getMessage().contains("Output column 'label'"), e2.getMessage());
    var e3 = assertThrows(IllegalArgumentException.class, () -> PointInTimeJoin.join(spark(), spine, "at",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("colour", "colour")), Duration.ofDays(1))), PitOptions.defaults()));
    assertTrue(e3.getMessage().contains("has no column 'colour'"), e3.getMessage());
    spark().sql("CREATE TABLE pit_test.untracked USING delta AS SELECT * FROM " + table);
    var e4 = assertThrows(IllegalArgumentException.class, () -> PointInTimeJoin.join(spark(), spine, "at",
        List.of(new FeatureRequest("c", "pit_test.untracked", null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))), PitOptions.defaults()));
    assertTrue(e4.getMessage().contains("SET TBLPROPERTIES ('delta.enableRowTracking' = 'true')"), e4.getMessage());
    var e5 = assertThrows(IllegalArgumentException.class, () -> PointInTimeJoin.join(spark(), spine, "label",
        List.of(new FeatureRequest("c", table, null, List.of("customer"), List.of("customer"),
            List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))), PitOptions.defaults()));
    assertTrue(e5.getMessage().contains("must be a timestamp or a date"), e5.getMessage());
    // A key without exact equality (a double: -0.0 and 0.0, NaN) is refused, not joined loosely.
    var e6 = assertThrows(IllegalArgumentException.class, () -> PointInTimeJoin.join(spark(), spine, "at",
        List.of(new FeatureRequest("c", table, null, List.of("amount"), List.of("label"),
            List.of(new FeatureRequest.Feature("tier", "tier")), Duration.ofDays(1))), PitOptions.defaults()));
    assertTrue(e6.getMessage().contains("entity key column amount of type double"), e6.getMessage());
  }

  @Test
  void aSpineKeyOfAnotherTypeIsCastOnlyWhenNoKeyCanChange() {
    // Store keys are ints: 4294967297 as an int would be 1 (another store), '1.9' would be 1.
    String table = featureTable(STORE_FEATURES, List.of(List.of(
        RowFactory.create(1, ts(BASE), ts(BASE), 7L))));
    FeatureRequest request = new FeatureRequest("s", table, null, List.of("store"), List.of("store"),
        List.of(new FeatureRequest.Feature("visits", "visits")), Duration.ofDays(1));
    Dataset<Row> spine = spark().createDataFrame(List.of(RowFactory.create(0, "a", 1, ts(BASE), 0)), SPINE);
    for (String lossy : List.of("CAST(store AS BIGINT) + 4294967296", "'1.9'", "CAST(1 AS DECIMAL(10, 1))")) {
      Dataset<Row> wide = spine.withColumn("store", functions.expr(lossy));
      String type = wide.schema().apply("store").dataType().simpleString();
      var e = assertThrows(IllegalArgumentException.class,
          () -> PointInTimeJoin.join(spark(), wide, "at", List.of(request), PitOptions.defaults()), lossy);
      assertTrue(e.getMessage().startsWith("Spine column store is " + type + " but feature group s's key "
          + "column store is int"), e.getMessage());
    }
    // A smallint widens to an int exactly: joined.
    Dataset<Row> narrow = spine.withColumn("store", functions.col("store").cast(DataTypes.ShortType));
    PitResult result = PointInTimeJoin.join(spark(), narrow, "at", List.of(request), PitOptions.defaults());
    assertEquals(List.of(7L), result.rows().select("visits").as(org.apache.spark.sql.Encoders.LONG())
        .collectAsList());
    result.release();
  }

  static Set<Object> distinct(List<Row> rows, int i) {
    Set<Object> s = new HashSet<>();
    rows.forEach(r -> s.add(Objects.toString(r.get(i))));
    return s;
  }
}

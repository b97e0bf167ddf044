package io.lakeops.features.pit;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.struct;

import io.delta.tables.DeltaTable;
import io.lakeops.features.definition.FeatureGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Point-in-time join of a spine (entity keys, a time, anything else) with feature tables, the
 * one path used by training sets and batch scoring.
 *
 * <p>Semantics: for each spine row and each requested group, the feature row with the same
 * entity keys and the greatest (event_ts, created_ts, Delta commit version, row id) among those
 * with {@code t - ttl <= event_ts <= t} (both bounds inclusive), where t is the spine time; in
 * "as known at" mode only rows with {@code created_ts <= t} take part. A spine row with a null key
 * or time, or without a usable row, gets nulls. Every spine row comes out exactly once.
 *
 * <p>Algorithm: the match is resolved on narrow rows first (keys, time, created_ts, commit
 * version, row id), and the wide feature columns are fetched second, only for the rows that
 * matched. All groups that share the spine's key columns go through one shuffle: the spine and
 * their feature rows are range-partitioned and sorted by (keys, time), then one streaming pass
 * per partition keeps, per group, the rows that can still be an answer ({@link Staircase}). Range
 * partitioning splits a hot entity by time across partitions; the candidates left at the end of
 * each partition are collected (one small row per partition) and carried to the spine rows at
 * the start of the next partition that found nothing of their own. Fetching broadcasts the
 * matched row ids (Delta row tracking's {@code _metadata.row_id}) into a scan of each feature
 * table, so the wide table is never shuffled.
 */
public final class PointInTimeJoin {

  /** Internal spine row id column (dropped from the result). */
  static final String SID = "__lakeops_sid";
  private static final String T = "__lakeops_t";

  private final SparkSession spark;
  private final PitOptions options;

  private PointInTimeJoin(SparkSession spark, PitOptions options) {
    this.spark = spark;
    this.options = options;
  }

  /**
   * Joins {@code spine} with the requested features as of each row's {@code spineTime} (a
   * timestamp or a date column; a date means the start of that day in the session time zone).
   */
  public static PitResult join(SparkSession spark, Dataset<Row> spine, String spineTime,
      List<FeatureRequest> requests, PitOptions options) {
    return new PointInTimeJoin(spark, options).run(spine, spineTime, requests);
  }

  /** The current Delta version of a table. */
  public static long currentVersion(SparkSession spark, String table) {
    return DeltaTable.forName(spark, table).history(1).select("version").first().getLong(0);
  }

  /** A table as of a Delta version, with its row tracking metadata as {@code __rid}, {@code __ver}. */
  static Dataset<Row> readPinned(SparkSession spark, String table, long version) {
    return spark.sql("SELECT *, _metadata.row_id AS __rid, _metadata.row_commit_version AS __ver FROM "
        + table + " VERSION AS OF " + version);
  }

  private PitResult run(Dataset<Row> spine, String spineTime, List<FeatureRequest> requests) {
    if (requests.isEmpty()) {
      throw new IllegalArgumentException("No feature requested");
    }
    validateSpine(spine, spineTime, requests);
    List<FeatureRequest> pinned = new ArrayList<>();
    List<StructType> schemas = new ArrayList<>();
    for (FeatureRequest r : requests) {
      requireRowTracking(r.table());
      FeatureRequest p = r.version() == null ? r.atVersion(currentVersion(spark, r.table())) : r;
      pinned.add(p);
      schemas.add(validateTable(p));
    }
    List<String> spineColumns = Arrays.asList(spine.columns());
    Dataset<Row> withId = spine.withColumn(SID, monotonically_increasing_id())
        .withColumn(T, expr("unix_micros(CAST(`" + spineTime + "` AS TIMESTAMP))"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    describe("spine");
    Row stats = withId.agg(functions.count(lit(1)), functions.min(T), functions.max(T)).first();
    long spineRows = stats.getLong(0);
    Long minT = stats.isNullAt(1) ? null : stats.getLong(1);
    Long maxT = stats.isNullAt(2) ? null : stats.getLong(2);

    // Groups sharing the spine's key columns go through one shuffle.
    Map<List<String>, List<Integer>> keySets = new LinkedHashMap<>();
    for (int g = 0; g < pinned.size(); g++) {
      keySets.computeIfAbsent(pinned.get(g).spineKeys(), k -> new ArrayList<>()).add(g);
    }
    List<Dataset<Row>> persisted = new ArrayList<>();
    persisted.add(withId);
    Dataset<Row> result;
    long carried = 0;
    boolean single = keySets.size() == 1;
    Map<Integer, Dataset<Row>> matchesByKeySet = new LinkedHashMap<>();
    int ks = 0;
    for (Map.Entry<List<String>, List<Integer>> e : keySets.entrySet()) {
      Matches m = match(withId, e.getKey(), e.getValue(), pinned, schemas, single, minT, maxT);
      persisted.add(m.output);
      carried += m.carried;
      matchesByKeySet.put(ks++, m.matches);
    }
    try {
      List<String> audit = new ArrayList<>();
      if (single) {
        Dataset<Row> m = matchesByKeySet.get(0);
        result = m.select(col("sp.*"), col("m"));
        result = withAuditColumns(result, "m", keySets.values().iterator().next(), pinned, audit);
      } else {
        result = withId.drop(T);
        int i = 0;
        for (List<Integer> groups : keySets.values()) {
          String mc = "__m" + i;
          Dataset<Row> m = matchesByKeySet.get(i).select(col("sp." + SID).as(SID + i), col("m").as(mc));
          result = result.join(m, result.col(SID).equalTo(m.col(SID + i)), "left").drop(SID + i);
          result = withAuditColumns(result, mc, groups, pinned, audit);
          i++;
        }
      }
      List<String> featureColumns = new ArrayList<>();
      // The matched row ids come from the matches, not from the result of earlier fetches.
      Dataset<Row> matchedIds = result;
      for (int g = 0; g < pinned.size(); g++) {
        result = fetch(result, matchedIds, g, pinned.get(g), spineRows, featureColumns);
      }
      List<Column> out = new ArrayList<>();
      spineColumns.forEach(c -> out.add(col("`" + c + "`")));
      featureColumns.forEach(c -> out.add(col("`" + c + "`")));
      audit.forEach(c -> out.add(col("`" + c + "`")));
      Dataset<Row> rows = result.select(out.toArray(new Column[0]));
      return new PitResult(rows, pinned, spineRows, featureColumns, audit, carried, persisted);
    } finally {
      // The result is lazy; callers persist or write it. The matches stay cached until the
      // session releases them (they are small: one narrow row per spine row).
      spark.sparkContext().setJobDescription(null);
    }
  }

  private void describe(String step) {
    spark.sparkContext().setJobDescription("lakeops point-in-time join: " + step);
  }

  private Dataset<Row> withAuditColumns(Dataset<Row> result, String matchColumn,
      List<Integer> groups, List<FeatureRequest> pinned, List<String> audit) {
    for (int i = 0; i < groups.size(); i++) {
      FeatureRequest r = pinned.get(groups.get(i));
      String m = matchColumn + "[" + i + "]";
      result = result
          .withColumn("__rid_" + groups.get(i), expr(m + ".rid"))
          .withColumn(r.featureTsColumn(), expr("timestamp_micros(" + m + ".ts)"))
          .withColumn(r.createdTsColumn(), expr("timestamp_micros(" + m + ".created)"));
      audit.add(r.featureTsColumn());
      audit.add(r.createdTsColumn());
    }
    return result;
  }

  /** Fetches the wide feature columns of the matched rows of group {@code g}. */
  private Dataset<Row> fetch(Dataset<Row> result, Dataset<Row> matchedIds, int g, FeatureRequest r,
      long spineRows, List<String> featureColumns) {
    String rid = "__rid_" + g;
    String fetchedId = "__fetched_" + g;
    List<Column> cols = new ArrayList<>();
    cols.add(col("__rid").as(fetchedId));
    for (FeatureRequest.Feature f : r.features()) {
      cols.add(col("`" + f.name() + "`").as(f.output()));
      featureColumns.add(f.output());
    }
    Dataset<Row> table = readPinned(spark, r.table(), r.version()).select(cols.toArray(new Column[0]));
    Dataset<Row> wanted = matchedIds.select(col(rid).as(fetchedId)).where(col(fetchedId).isNotNull()).distinct();
    Dataset<Row> fetched = spineRows <= options.broadcastFetchLimit()
        ? table.join(broadcast(wanted), fetchedId)
        : table.join(wanted, fetchedId);
    return result.join(fetched, result.col(rid).equalTo(fetched.col(fetchedId)), "left")
        .drop(fetchedId).drop(rid);
  }

  private record Matches(Dataset<Row> matches, Dataset<Row> output, long carried) {}

  private Matches match(Dataset<Row> withId, List<String> spineKeys, List<Integer> groups,
      List<FeatureRequest> pinned, List<StructType> schemas, boolean single, Long minT, Long maxT) {
    FeatureRequest first = pinned.get(groups.get(0));
    StructType firstSchema = schemas.get(groups.get(0));
    List<DataType> keyTypes = new ArrayList<>();
    StructType keyType = new StructType();
    for (int i = 0; i < first.entityKeys().size(); i++) {
      DataType type = firstSchema.apply(first.entityKeys().get(i)).dataType();
      keyTypes.add(type);
      keyType = keyType.add("k" + i, type, true);
    }
    for (int g : groups) {
      FeatureRequest r = pinned.get(g);
      for (int i = 0; i < keyTypes.size(); i++) {
        DataType type = schemas.get(g).apply(r.entityKeys().get(i)).dataType();
        if (!type.equals(keyTypes.get(i))) {
          throw new IllegalArgumentException("Feature groups " + first.group() + " and " + r.group()
              + " are joined on spine column " + spineKeys.get(i) + " but their key columns "
              + first.entityKeys().get(i) + " and " + r.entityKeys().get(i) + " have different types ("
              + keyTypes.get(i).simpleString() + ", " + type.simpleString() + ")");
        }
      }
    }
    Column keysPresent = col(T).isNotNull();
    for (String k : spineKeys) {
      keysPresent = keysPresent.and(col("`" + k + "`").isNotNull());
    }
    List<Column> spinePayload = new ArrayList<>();
    for (String c : withId.columns()) {
      if (!c.equals(T) && (single || c.equals(SID))) {
        spinePayload.add(col("`" + c + "`"));
      }
    }
    StructType spineType = (StructType) withId.select(struct(spinePayload.toArray(new Column[0])))
        .schema().fields()[0].dataType();
    List<Column> spineNarrow = new ArrayList<>();
    for (int i = 0; i < spineKeys.size(); i++) {
      spineNarrow.add(col("`" + spineKeys.get(i) + "`").cast(keyTypes.get(i)).as("k" + i));
    }
    spineNarrow.add(col(T).as("t"));
    spineNarrow.add(lit(1).as("kind"));
    spineNarrow.add(lit(null).cast(DataTypes.IntegerType).as("grp"));
    spineNarrow.add(lit(null).cast(DataTypes.LongType).as("created"));
    spineNarrow.add(lit(null).cast(DataTypes.LongType).as("ver"));
    spineNarrow.add(lit(null).cast(DataTypes.LongType).as("rid"));
    spineNarrow.add(struct(spinePayload.toArray(new Column[0])).as("sp"));
    Dataset<Row> union = withId.where(keysPresent).select(spineNarrow.toArray(new Column[0]));
    long[] ttl = new long[groups.size()];
    for (int gi = 0; gi < groups.size(); gi++) {
      FeatureRequest r = pinned.get(groups.get(gi));
      ttl[gi] = r.ttl().toSeconds() * 1_000_000L + r.ttl().getNano() / 1000;
      List<Column> narrow = new ArrayList<>();
      Column present = col(FeatureGroup.EVENT_TS).isNotNull();
      for (int i = 0; i < r.entityKeys().size(); i++) {
        narrow.add(col("`" + r.entityKeys().get(i) + "`").as("k" + i));
        present = present.and(col("`" + r.entityKeys().get(i) + "`").isNotNull());
      }
      Column t = expr("unix_micros(" + FeatureGroup.EVENT_TS + ")");
      narrow.add(t.as("t"));
      narrow.add(lit(0).as("kind"));
      narrow.add(lit(gi).as("grp"));
      // A row without created_ts is never "known"; in point-in-time mode it sorts last on ties.
      narrow.add(functions.coalesce(expr("unix_micros(" + FeatureGroup.CREATED_TS + ")"),
          lit(Long.MAX_VALUE)).as("created"));
      narrow.add(col("__ver").cast(DataTypes.LongType).as("ver"));
      narrow.add(col("__rid").cast(DataTypes.LongType).as("rid"));
      narrow.add(lit(null).cast(spineType).as("sp"));
      Dataset<Row> rows = readPinned(spark, r.table(), r.version()).where(present);
      if (minT != null) {
        // Only rows that can be in some spine row's TTL window.
        rows = rows.where(t.leq(lit(maxT)).and(t.geq(lit(minT - ttl[gi]))));
      } else {
        rows = rows.limit(0);
      }
      union = union.unionByName(rows.select(narrow.toArray(new Column[0])));
    }
    int partitions = options.partitions() > 0 ? options.partitions()
        : Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions"));
    List<Column> order = new ArrayList<>();
    for (int i = 0; i < spineKeys.size(); i++) {
      order.add(col("k" + i));
    }
    order.add(col("t"));
    List<Column> sortOrder = new ArrayList<>(order);
    sortOrder.add(col("kind"));
    Dataset<Row> sorted = union
        .repartitionByRange(partitions, order.toArray(new Column[0]))
        .sortWithinPartitions(sortOrder.toArray(new Column[0]));
    AsOfMatcher matcher = new AsOfMatcher(spineKeys.size(), ttl, options.asKnownAt());
    StructType outSchema = AsOfMatcher.schema(keyType, spineType);
    JavaRDD<Row> passed = sorted.javaRDD().mapPartitionsWithIndex(matcher, true);
    describe("match " + groupNames(pinned, groups) + " on " + spineKeys);
    Dataset<Row> output = spark.createDataFrame(passed, outSchema).persist(StorageLevel.MEMORY_AND_DISK());

    // Carry candidates across range splits of one entity.
    List<Row> info = output.where(col("tag").geq(AsOfMatcher.END_STATE))
        .select("tag", "part", "key", "cands").collectAsList();
    TreeMap<Integer, Row> firstKeys = new TreeMap<>();
    Map<Integer, Row> lastKeys = new HashMap<>();
    Map<Integer, List<Row>> endStates = new HashMap<>();
    for (Row row : info) {
      int part = row.getInt(1);
      if (row.getInt(0) == AsOfMatcher.FIRST_KEY) {
        firstKeys.put(part, row.getStruct(2));
      } else {
        lastKeys.put(part, row.getStruct(2));
        endStates.put(part, row.getList(3));
      }
    }
    HashMap<Integer, Staircase[]> carry = new HashMap<>();
    for (Map.Entry<Integer, Row> p : firstKeys.entrySet()) {
      Row key = p.getValue();
      Staircase[] state = matcher.newState();
      for (Integer q : firstKeys.headMap(p.getKey(), false).descendingKeySet()) {
        if (!key.equals(lastKeys.get(q))) {
          break;
        }
        for (Row c : endStates.get(q)) {
          state[c.getInt(0)].add(new long[] {c.getLong(1), c.getLong(2), c.getLong(3), c.getLong(4)});
        }
        if (!key.equals(firstKeys.get(q))) {
          break;
        }
      }
      carry.put(p.getKey(), state);
    }
    Dataset<Row> unresolved = output.where(col("tag").equalTo(AsOfMatcher.UNRESOLVED));
    StructType matchSchema = new StructType(new StructField[] {
        outSchema.apply("sp"), outSchema.apply("m")});
    JavaRDD<Row> resolvedRdd = unresolved.javaRDD().map(row -> resolve(row, carry, ttl));
    Dataset<Row> resolved = spark.createDataFrame(resolvedRdd, matchSchema);
    Dataset<Row> nullKeys = withId.where(functions.not(keysPresent))
        .select(struct(spinePayload.toArray(new Column[0])).as("sp"),
            lit(null).cast(outSchema.apply("m").dataType()).as("m"));
    Dataset<Row> matches = output.where(col("tag").equalTo(AsOfMatcher.MATCHED)).select("sp", "m")
        .union(resolved).union(nullKeys);
    long carriedRows = unresolved.count();
    return new Matches(matches, output, carriedRows);
  }

  private static Row resolve(Row row, Map<Integer, Staircase[]> carry, long[] ttl) {
    int part = row.getInt(1);
    long t = row.getLong(3);
    List<Row> m = row.getList(5);
    Row[] out = m.toArray(new Row[0]);
    Staircase[] state = carry.get(part);
    for (int g = 0; g < out.length; g++) {
      if (out[g] == null && state != null) {
        long[] c = state[g].answer(t, ttl[g]);
        if (c != null) {
          out[g] = RowFactory.create(c[Staircase.ROW_ID], c[Staircase.TS], c[Staircase.CREATED]);
        }
      }
    }
    return RowFactory.create(row.get(4), out);
  }

  private static String groupNames(List<FeatureRequest> pinned, List<Integer> groups) {
    List<String> names = new ArrayList<>();
    groups.forEach(g -> names.add(pinned.get(g).group()));
    return String.join(", ", names);
  }

  private void validateSpine(Dataset<Row> spine, String spineTime, List<FeatureRequest> requests) {
    StructType schema = spine.schema();
    Set<String> columns = new HashSet<>(Arrays.asList(spine.columns()));
    if (!columns.contains(spineTime)) {
      throw new IllegalArgumentException("The spine has no time column '" + spineTime
          + "'; its columns are " + Arrays.toString(spine.columns()));
    }
    DataType timeType = schema.apply(spineTime).dataType();
    if (!timeType.equals(DataTypes.TimestampType) && !timeType.equals(DataTypes.DateType)) {
      throw new IllegalArgumentException("The spine's time column '" + spineTime + "' is "
          + timeType.simpleString() + "; it must be a timestamp or a date");
    }
    Set<String> outputs = new HashSet<>(columns);
    for (FeatureRequest r : requests) {
      for (String k : r.spineKeys()) {
        if (!columns.contains(k)) {
          throw new IllegalArgumentException("Feature group " + r.group() + " is joined on spine "
              + "column '" + k + "', which the spine does not have; its columns are "
              + Arrays.toString(spine.columns()));
        }
      }
      List<String> names = new ArrayList<>();
      r.features().forEach(f -> names.add(f.output()));
      names.add(r.featureTsColumn());
      names.add(r.createdTsColumn());
      for (String name : names) {
        if (!outputs.add(name)) {
          throw new IllegalArgumentException("Output column '" + name + "' (feature group "
              + r.group() + ") would appear twice in the result: give it an alias");
        }
      }
    }
  }

  private StructType validateTable(FeatureRequest r) {
    StructType schema = readPinned(spark, r.table(), r.version()).schema();
    Set<String> names = new HashSet<>(Arrays.asList(schema.fieldNames()));
    List<String> needed = new ArrayList<>(r.entityKeys());
    needed.add(FeatureGroup.EVENT_TS);
    needed.add(FeatureGroup.CREATED_TS);
    r.features().forEach(f -> needed.add(f.name()));
    for (String n : needed) {
      if (!names.contains(n)) {
        throw new IllegalArgumentException("Feature table " + r.table() + " (version "
            + r.version() + ") has no column '" + n + "'; its columns are "
            + Arrays.toString(schema.fieldNames()));
      }
    }
    return schema;
  }

  private void requireRowTracking(String table) {
    if (!spark.catalog().tableExists(table)) {
      throw new IllegalArgumentException("Feature table " + table + " does not exist: materialise "
          + "its group first");
    }
    Row detail = DeltaTable.forName(spark, table).detail().first();
    Map<String, String> props = detail.getJavaMap(detail.fieldIndex("properties"));
    if (!"true".equalsIgnoreCase(props.get("delta.enableRowTracking"))) {
      throw new IllegalArgumentException("Feature table " + table + " has no Delta row tracking, "
          + "which the point-in-time join needs for its commit-version tie break and to fetch "
          + "matched rows. Enable it once with: ALTER TABLE " + table
          + " SET TBLPROPERTIES ('delta.enableRowTracking' = 'true')");
    }
  }
}

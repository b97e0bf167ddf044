package io.lakeops.features.pit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.struct;

import io.lakeops.features.definition.FeatureGroup;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.roaringbitmap.longlong.Roaring64NavigableMap;

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
 * <p>Algorithm: the match is resolved on narrow rows first (key hash, keys, time, created_ts,
 * commit version, row id), and the wide feature columns are fetched second, only for the rows
 * that matched. All groups that share the spine's key columns go through one shuffle: the spine
 * and their feature rows are range-partitioned by (key hash, time) with {@link RangeBounds}
 * computed from small samples (the cached spine, a few file splits per feature table); each
 * partition is loaded into primitive arrays and sorted in memory by (key hash, time, kind)
 * ({@link PartitionRows}), and one pass per partition keeps, per group, the rows
 * that can still be an answer ({@link Staircase}). A hot entity is split by time across
 * partitions; the candidates left at the end of each partition are collected (a few small rows
 * per partition) and carried to the spine rows at the start of the next ones that found nothing
 * of their own. The matched row ids (Delta row tracking's {@code _metadata.row_id}) are gathered
 * into one compressed bitmap per group; a second scan of each feature table keeps only those
 * rows and routes each to the partition of the spine rows it answers (and to the partitions a
 * carried row answers for), where the pass's output is joined with them by row id, partition by
 * partition: no feature row that did not match is shuffled wide, and the matches are not
 * shuffled again.
 */
public final class PointInTimeJoin {

  /** Internal spine row id column (dropped from the result). */
  static final String SID = "__lakeops_sid";
  private static final String T = "__lakeops_t";

  private final SparkSession spark;
  private final PitOptions options;
  /** Each pinned table is read (and its Delta snapshot resolved) once per join. */
  private final Map<String, Dataset<Row>> pinnedTables = new HashMap<>();

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
    return latestSnapshot(spark, table).version();
  }

  /**
   * The table's latest Delta snapshot, from its log (no Spark job: {@code DESCRIBE DETAIL} and
   * {@code DESCRIBE HISTORY} each run one, and a join asks for every table's version and
   * properties).
   */
  static org.apache.spark.sql.delta.Snapshot latestSnapshot(SparkSession spark, String table) {
    org.apache.spark.sql.catalyst.TableIdentifier id;
    try {
      id = spark.sessionState().sqlParser().parseTableIdentifier(table);
    } catch (org.apache.spark.sql.catalyst.parser.ParseException e) {
      throw new IllegalArgumentException("'" + table + "' is not a table name: " + e.getMessage(), e);
    }
    org.apache.spark.sql.delta.Snapshot snapshot = org.apache.spark.sql.delta.DeltaLog
        .forTable(spark, id).update(false, scala.Option.empty(), scala.Option.empty());
    if (snapshot.version() < 0) {
      throw new IllegalArgumentException("Table " + table + " is not a Delta table (no _delta_log "
          + "at its location); the point-in-time join pins Delta versions");
    }
    return snapshot;
  }

  /** A table as of a Delta version, with its row tracking metadata as {@code __rid}, {@code __ver}. */
  static Dataset<Row> readPinned(SparkSession spark, String table, long version) {
    return spark.sql("SELECT *, _metadata.row_id AS __rid, _metadata.row_commit_version AS __ver FROM "
        + table + " VERSION AS OF " + version);
  }

  private Dataset<Row> pinned(FeatureRequest r) {
    return pinnedTables.computeIfAbsent(r.table() + "@" + r.version(),
        k -> readPinned(spark, r.table(), r.version()));
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
    describe("spine");
    Dataset<Row> withId = spine.withColumn(SID, monotonically_increasing_id())
        .withColumn(T, expr("unix_micros(CAST(`" + spineTime + "` AS TIMESTAMP))"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    List<Dataset<Row>> persisted = new ArrayList<>();
    persisted.add(withId);
    try {
      Row stats = withId.agg(functions.count(lit(1)), functions.min(T), functions.max(T)).first();
      long spineRows = stats.getLong(0);
      Long minT = stats.isNullAt(1) ? null : stats.getLong(1);
      Long maxT = stats.isNullAt(2) ? null : stats.getLong(2);

      // Groups sharing the spine's key columns go through one shuffle.
      Map<List<String>, List<Integer>> keySets = new LinkedHashMap<>();
      for (int g = 0; g < pinned.size(); g++) {
        keySets.computeIfAbsent(pinned.get(g).spineKeys(), k -> new ArrayList<>()).add(g);
      }
      boolean single = keySets.size() == 1;
      long carried = 0;
      Dataset<Row> result = single ? null : withId.drop(T);
      int ks = 0;
      for (Map.Entry<List<String>, List<Integer>> e : keySets.entrySet()) {
        KeySetRows k = matchAndFetch(withId, e.getKey(), e.getValue(), pinned, schemas,
            single, minT, maxT);
        persisted.add(k.cached());
        carried += k.carried();
        if (single) {
          result = k.rows().select(col("sp.*"), col("*")).drop("sp");
        } else {
          String sid = SID + ks;
          Dataset<Row> rows = k.rows().withColumn(sid, col("sp." + SID)).drop("sp");
          result = result.join(rows, result.col(SID).equalTo(rows.col(sid)), "left").drop(sid);
        }
        ks++;
      }
      List<String> featureColumns = new ArrayList<>();
      List<String> audit = new ArrayList<>();
      List<Column> out = new ArrayList<>();
      spineColumns.forEach(c -> out.add(col("`" + c + "`")));
      for (FeatureRequest r : pinned) {
        r.features().forEach(f -> {
          featureColumns.add(f.output());
          out.add(col("`" + f.output() + "`"));
        });
      }
      for (int g = 0; g < pinned.size(); g++) {
        FeatureRequest r = pinned.get(g);
        out.add(expr("timestamp_micros(" + TS + g + ")").as(r.featureTsColumn()));
        out.add(expr("timestamp_micros(" + CREATED + g + ")").as(r.createdTsColumn()));
        audit.add(r.featureTsColumn());
        audit.add(r.createdTsColumn());
      }
      Dataset<Row> rows = result.select(out.toArray(new Column[0]));
      return new PitResult(rows, pinned, spineRows, featureColumns, audit, carried, persisted);
    } catch (RuntimeException e) {
      persisted.forEach(Dataset::unpersist);
      throw e;
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
  }

  private void describe(String step) {
    spark.sparkContext().setJobDescription("lakeops point-in-time join: " + step);
  }

  /** Audit column prefixes of the internal rows: event and created time in micros. */
  private static final String TS = "__lakeops_ts_";
  private static final String CREATED = "__lakeops_created_";

  /**
   * The rows of one key set: {@code sp} (the spine payload), the features of its groups, and
   * their audit times in micros; {@code cached} is the pass's output, kept until release.
   */
  private record KeySetRows(Dataset<Row> rows, Dataset<Row> cached, long carried) {}

  /** Test hook: key hashes modulo this (when positive), to make distinct entities collide. */
  static volatile int hashBucketsForTesting = 0;

  /**
   * The key hash: 23 bits of xxhash64 of the keys, so that (hash, time in seconds) packs into one
   * non-negative long, the sort key ({@link PartitionRows#order}). Entities sharing a hash are kept
   * apart by the pass.
   */
  private static Column keyHash(List<Column> keys) {
    Column h = functions.xxhash64(keys.toArray(new Column[0]));
    int buckets = hashBucketsForTesting;
    return buckets > 0 ? functions.pmod(h, lit((long) buckets))
        : h.bitwiseAND(lit(HASH_MASK));
  }

  private static final long HASH_MASK = (1L << 23) - 1;

  /**
   * Most rows one partition of the match holds in memory ({@link PartitionRows}: about 100 bytes
   * a row while sorting plus the spine payloads, so about 200 MB): when the sampled row count
   * says more, the join uses more partitions than configured.
   */
  static final long ROWS_PER_PARTITION = 2_000_000L;

  private KeySetRows matchAndFetch(Dataset<Row> withId, List<String> spineKeys, List<Integer> groups,
      List<FeatureRequest> pinned, List<StructType> schemas, boolean single,
      Long minT, Long maxT) {
    FeatureRequest first = pinned.get(groups.get(0));
    StructType firstSchema = schemas.get(groups.get(0));
    List<DataType> keyTypes = new ArrayList<>();
    StructType keyType = new StructType();
    for (int i = 0; i < first.entityKeys().size(); i++) {
      DataType type = firstSchema.apply(first.entityKeys().get(i)).dataType();
      if (!(type instanceof org.apache.spark.sql.types.AtomicType)
          || type instanceof org.apache.spark.sql.types.BinaryType
          || type instanceof org.apache.spark.sql.types.FractionalType
              && !(type instanceof org.apache.spark.sql.types.DecimalType)) {
        throw new IllegalArgumentException("Feature group " + first.group() + " has entity key column "
            + first.entityKeys().get(i) + " of type " + type.simpleString() + "; the point-in-time join "
            + "needs keys of a type with exact equality: a string, an integer, a decimal, a date, a "
            + "timestamp or a boolean. Cast it in the group's source query.");
      }
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
    List<Column> spineKeyColumns = new ArrayList<>();
    for (int i = 0; i < spineKeys.size(); i++) {
      keysPresent = keysPresent.and(col("`" + spineKeys.get(i) + "`").isNotNull());
      spineKeyColumns.add(col("`" + spineKeys.get(i) + "`").cast(keyTypes.get(i)));
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
    spineNarrow.add(keyHash(spineKeyColumns).as("h"));
    for (int i = 0; i < spineKeys.size(); i++) {
      spineNarrow.add(spineKeyColumns.get(i).as("k" + i));
    }
    spineNarrow.add(col(T).as("t"));
    spineNarrow.add(lit(1).as("kind"));
    spineNarrow.add(lit(null).cast(DataTypes.IntegerType).as("grp"));
    spineNarrow.add(lit(null).cast(DataTypes.LongType).as("created"));
    spineNarrow.add(lit(null).cast(DataTypes.LongType).as("ver"));
    spineNarrow.add(lit(null).cast(DataTypes.LongType).as("rid"));
    spineNarrow.add(struct(spinePayload.toArray(new Column[0])).as("sp"));
    Dataset<Row> spinePart = withId.where(keysPresent).select(spineNarrow.toArray(new Column[0]));
    Dataset<Row> union = spinePart;
    int partitions = options.partitions() > 0 ? options.partitions()
        : Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions"));
    describe("sample key ranges");
    List<RangeBounds.Point> points = new ArrayList<>(
        sample(spinePart.select(col("h"), col("t")), partitions, 1, 1.0));
    long[] ttl = new long[groups.size()];
    for (int gi = 0; gi < groups.size(); gi++) {
      FeatureRequest r = pinned.get(groups.get(gi));
      ttl[gi] = r.ttl().toSeconds() * 1_000_000L + r.ttl().getNano() / 1000;
      Dataset<Row> rows = minT == null ? pinned(r).limit(0)
          : usable(pinned(r), r, minT, maxT, ttl[gi]);
      List<Column> narrow = new ArrayList<>();
      narrow.add(keyHash(keyColumns(r)).as("h"));
      narrow.addAll(aliased(keyColumns(r), "k"));
      narrow.add(expr("unix_micros(" + FeatureGroup.EVENT_TS + ")").as("t"));
      narrow.add(lit(0).as("kind"));
      narrow.add(lit(gi).as("grp"));
      // A row without created_ts is never "known"; in point-in-time mode it sorts last on ties.
      narrow.add(functions.coalesce(expr("unix_micros(" + FeatureGroup.CREATED_TS + ")"),
          lit(Long.MAX_VALUE)).as("created"));
      narrow.add(col("__ver").cast(DataTypes.LongType).as("ver"));
      narrow.add(col("__rid").cast(DataTypes.LongType).as("rid"));
      narrow.add(lit(null).cast(spineType).as("sp"));
      union = union.unionByName(rows.select(narrow.toArray(new Column[0])));
      if (minT != null) {
        // A few of the table's input partitions (file splits): the others are never read.
        points.addAll(sample(usable(pinned(r), r, minT, maxT, ttl[gi]).select(
            keyHash(keyColumns(r)).as("h"), expr("unix_micros(" + FeatureGroup.EVENT_TS + ")").as("t")),
            partitions, 100 + gi, FEATURE_SAMPLE_SHARE));
      }
    }
    double sampledRows = 0;
    for (RangeBounds.Point p : points) {
      sampledRows += p.weight();
    }
    if (options.partitions() <= 0 && sampledRows / partitions > ROWS_PER_PARTITION) {
      partitions = (int) Math.ceil(sampledRows / ROWS_PER_PARTITION);
    }
    RangeBounds bounds = RangeBounds.of(points, partitions);
    // No Spark sort: each partition is loaded and sorted in memory by the pass (PartitionRows).
    Dataset<Row> sorted = union
        .withColumn(ROUTE, PitFunctions.route(bounds, col("h"), col("t")))
        .repartition(partitions, col(ROUTE))
        .drop(ROUTE);
    AsOfMatcher matcher = new AsOfMatcher(keyTypes.toArray(new DataType[0]), spineType.size(), ttl,
        options.asKnownAt(), bounds);
    StructType outSchema = AsOfMatcher.schema(keyType, spineType);
    JavaRDD<InternalRow> passed = sorted.queryExecution().toRdd().toJavaRDD()
        .mapPartitionsWithIndex(matcher, true);
    describe("match " + groupNames(pinned, groups) + " on " + spineKeys);
    Dataset<Row> output = spark.internalCreateDataFrame(passed.rdd(), outSchema, false)
        .persist(StorageLevel.MEMORY_AND_DISK());

    // Carry candidates across range splits of one entity.
    List<Row> info = output.where(col("tag").geq(AsOfMatcher.END_STATE))
        .select("tag", "part", "h", "key", "cands", "n").collectAsList();
    Carry carry = Carry.of(info, matcher, groups.size());

    // The final answer of every spine row (with keys), in the pass's partitions.
    StructType keyStruct = keyType;
    int spineFields = spineType.size();
    JavaRDD<Hit> hits = output.queryExecution().toRdd().toJavaRDD().mapPartitions(
        (FlatMapFunction<Iterator<InternalRow>, Hit>) it -> new HitIterator(it, carry, ttl, keyStruct,
            spineFields));
    if (hits.getNumPartitions() != partitions) {
      throw new IllegalStateException("Point-in-time join: the pass has " + hits.getNumPartitions()
          + " partitions, expected " + partitions);
    }
    describe("collect matched row ids of " + groupNames(pinned, groups));
    Roaring64NavigableMap[] wanted = hits.mapPartitions(
        (FlatMapFunction<Iterator<Hit>, Roaring64NavigableMap[]>) it -> {
          Roaring64NavigableMap[] bits = new Roaring64NavigableMap[ttl.length];
          for (int g = 0; g < bits.length; g++) {
            bits[g] = new Roaring64NavigableMap();
          }
          while (it.hasNext()) {
            Hit hit = it.next();
            for (int g = 0; g < bits.length; g++) {
              if (hit.has[g]) {
                bits[g].addLong(hit.rid[g]);
              }
            }
          }
          for (Roaring64NavigableMap b : bits) {
            b.runOptimize();
          }
          return List.<Roaring64NavigableMap[]>of(bits).iterator();
        }).reduce((a, b) -> {
          for (int g = 0; g < a.length; g++) {
            a[g].or(b[g]);
          }
          return a;
        });

    // Fetch the wide columns of the matched rows only, routed to the partitions of their
    // spine rows (and to the partitions a carried row answers for).
    List<StructType> featureTypes = new ArrayList<>();
    Dataset<Row> fetched = null;
    for (int gi = 0; gi < groups.size(); gi++) {
      FeatureRequest r = pinned.get(groups.get(gi));
      Dataset<Row> table = pinned(r);
      List<Column> values = new ArrayList<>();
      for (FeatureRequest.Feature f : r.features()) {
        values.add(col("`" + f.name() + "`").as(f.output()));
      }
      featureTypes.add((StructType) table.select(struct(values.toArray(new Column[0])))
          .schema().fields()[0].dataType());
    }
    for (int gi = 0; gi < groups.size(); gi++) {
      FeatureRequest r = pinned.get(groups.get(gi));
      Roaring64NavigableMap bits = wanted[gi];
      Map<Long, int[]> extra = carry.destinations(gi);
      final int g = gi;
      UserDefinedFunction routes = functions.udf((UDF3<Long, Long, Long, List<Integer>>) (h, t, rid) -> {
        List<Integer> to = new ArrayList<>(2);
        to.add(bounds.route(bounds.partition(h, t)));
        int[] more = extra.get(rid);
        if (more != null) {
          for (int p : more) {
            to.add(bounds.route(p));
          }
        }
        return to;
      }, DataTypes.createArrayType(DataTypes.IntegerType, false));
      List<Column> cols = new ArrayList<>();
      cols.add(lit(g).as("grp"));
      cols.add(col("__rid").cast(DataTypes.LongType).as("rid"));
      cols.add(functions.explode(routes.apply(keyHash(keyColumns(r)),
          expr("unix_micros(" + FeatureGroup.EVENT_TS + ")"), col("__rid").cast(DataTypes.LongType)))
          .as(ROUTE));
      for (int other = 0; other < groups.size(); other++) {
        if (other == gi) {
          List<Column> values = new ArrayList<>();
          for (FeatureRequest.Feature f : r.features()) {
            values.add(col("`" + f.name() + "`").as(f.output()));
          }
          cols.add(struct(values.toArray(new Column[0])).as("f" + other));
        } else {
          cols.add(lit(null).cast(featureTypes.get(other)).as("f" + other));
        }
      }
      Dataset<Row> part = pinned(r)
          .where(PitFunctions.wanted(bits, col("__rid").cast(DataTypes.LongType)))
          .select(cols.toArray(new Column[0]));
      fetched = fetched == null ? part : fetched.union(part);
    }
    describe("fetch features of " + groupNames(pinned, groups));
    JavaRDD<InternalRow> fetchedRows = fetched.repartition(partitions, col(ROUTE)).drop(ROUTE)
        .queryExecution().toRdd().toJavaRDD();
    if (fetchedRows.getNumPartitions() != partitions) {
      throw new IllegalStateException("Point-in-time join: the fetch has "
          + fetchedRows.getNumPartitions() + " partitions, expected " + partitions);
    }
    JavaRDD<InternalRow> joined = hits.zipPartitions(fetchedRows, attach(groups.size(), featureTypes));
    // Each group's features travel as one struct (no per-value boxing), expanded by a projection.
    StructType joinedSchema = new StructType().add("sp", spineType, true);
    List<Column> expanded = new ArrayList<>();
    expanded.add(col("sp"));
    for (int gi = 0; gi < groups.size(); gi++) {
      joinedSchema = joinedSchema.add(FEATURES + gi, featureTypes.get(gi), true);
      for (StructField f : featureTypes.get(gi).fields()) {
        expanded.add(col(FEATURES + gi + ".`" + f.name() + "`").as(f.name()));
      }
    }
    for (int gi = 0; gi < groups.size(); gi++) {
      int g = groups.get(gi);
      joinedSchema = joinedSchema.add(TS + g, DataTypes.LongType, true)
          .add(CREATED + g, DataTypes.LongType, true);
      expanded.add(col(TS + g));
      expanded.add(col(CREATED + g));
    }
    Dataset<Row> rows = spark.internalCreateDataFrame(joined.rdd(), joinedSchema, false)
        .select(expanded.toArray(new Column[0]));
    if (single) {
      // Spine rows without keys or time: nulls (with several key sets, the left joins give them).
      List<Column> nulls = new ArrayList<>();
      nulls.add(struct(spinePayload.toArray(new Column[0])).as("sp"));
      for (StructField f : rows.schema().fields()) {
        if (!f.name().equals("sp")) {
          nulls.add(lit(null).cast(f.dataType()).as(f.name()));
        }
      }
      rows = rows.union(withId.where(functions.not(keysPresent)).select(nulls.toArray(new Column[0])));
    }
    return new KeySetRows(rows, output, carry.unresolved());
  }

  private static final String ROUTE = "__lakeops_route";

  /** Column prefix of the per-group feature structs in the joined rows. */
  private static final String FEATURES = "__lakeops_f";

  /** Joins a partition's hits with the feature rows fetched into that partition, by row id. */
  private static FlatMapFunction2<Iterator<Hit>, Iterator<InternalRow>, InternalRow> attach(
      int groups, List<StructType> featureTypes) {
    return (hitIt, rowIt) -> {
      List<RowIdIndex> byRid = new ArrayList<>();
      List<List<InternalRow>> fetchedRows = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        byRid.add(new RowIdIndex(1024));
        fetchedRows.add(new ArrayList<>());
      }
      while (rowIt.hasNext()) {
        InternalRow f = rowIt.next();
        int g = f.getInt(0);
        List<InternalRow> list = fetchedRows.get(g);
        byRid.get(g).put(f.getLong(1), list.size());
        list.add(f.getStruct(2 + g, featureTypes.get(g).size()).copy());
      }
      return new Iterator<InternalRow>() {
        @Override
        public boolean hasNext() {
          return hitIt.hasNext();
        }

        @Override
        public InternalRow next() {
          return hitIt.next().toRow(byRid, fetchedRows);
        }
      };
    };
  }

  private static List<Column> keyColumns(FeatureRequest r) {
    List<Column> keys = new ArrayList<>();
    r.entityKeys().forEach(k -> keys.add(col("`" + k + "`")));
    return keys;
  }

  private static List<Column> aliased(List<Column> columns, String prefix) {
    List<Column> out = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      out.add(columns.get(i).as(prefix + i));
    }
    return out;
  }

  /** Feature rows with keys and event time that can be in some spine row's TTL window. */
  private static Dataset<Row> usable(Dataset<Row> table, FeatureRequest r, long minT, long maxT,
      long ttl) {
    Column t = expr("unix_micros(" + FeatureGroup.EVENT_TS + ")");
    Column present = col(FeatureGroup.EVENT_TS).isNotNull();
    for (String k : r.entityKeys()) {
      present = present.and(col("`" + k + "`").isNotNull());
    }
    return table.where(present.and(t.leq(lit(maxT))).and(t.geq(lit(minT - ttl))));
  }

  /** Share of a feature table's input partitions read to place the range bounds. */
  private static final double FEATURE_SAMPLE_SHARE = 0.05;

  /**
   * A sample of (h, t) rows: a reservoir in each of a seeded random {@code share} of the input
   * partitions (at least one; the others are not read at all), each point weighted by its
   * partition's row count over its sample size, times partitions / partitions read.
   */
  private static List<RangeBounds.Point> sample(Dataset<Row> ht, int partitions, long seed,
      double share) {
    JavaRDD<Row> rdd = ht.javaRDD();
    int total = rdd.getNumPartitions();
    int read = (int) Math.min(total, Math.max(1, Math.ceil(total * share)));
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new java.util.Random(seed));
    java.util.Set<Integer> chosen = new HashSet<>(order.subList(0, read));
    double scale = (double) total / Math.max(1, read);
    int perPartition = (int) Math.min(10_000, Math.max(64, 60L * partitions / read + 1));
    List<long[]> parts = rdd.mapPartitionsWithIndex((Integer index, Iterator<Row> it) -> {
      if (!chosen.contains(index)) {
        return java.util.Collections.<long[]>emptyIterator();
      }
      java.util.SplittableRandom random = new java.util.SplittableRandom(seed * 1_000_003L + index);
      long[] h = new long[perPartition];
      long[] t = new long[perPartition];
      long seen = 0;
      while (it.hasNext()) {
        Row row = it.next();
        long slot = seen < perPartition ? seen : random.nextLong(seen + 1);
        if (slot < perPartition) {
          h[(int) slot] = row.getLong(0);
          t[(int) slot] = row.getLong(1);
        }
        seen++;
      }
      int kept = (int) Math.min(seen, perPartition);
      long[] packed = new long[1 + 2 * kept];
      packed[0] = seen;
      System.arraycopy(h, 0, packed, 1, kept);
      System.arraycopy(t, 0, packed, 1 + kept, kept);
      return List.of(packed).iterator();
    }, false).collect();
    List<RangeBounds.Point> points = new ArrayList<>();
    for (long[] p : parts) {
      int kept = (p.length - 1) / 2;
      double weight = scale * p[0] / Math.max(1, kept);
      for (int i = 0; i < kept; i++) {
        points.add(new RangeBounds.Point(p[1 + i], p[1 + kept + i], weight));
      }
    }
    return points;
  }

  /** The answer of one spine row: its payload and, per group, the matched row (if any). */
  static final class Hit implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final InternalRow sp;
    final boolean[] has;
    final long[] rid;
    final long[] ts;
    final long[] created;

    Hit(InternalRow sp, int groups) {
      this.sp = sp;
      has = new boolean[groups];
      rid = new long[groups];
      ts = new long[groups];
      created = new long[groups];
    }

    void set(int g, long rowId, long eventTs, long createdTs) {
      has[g] = true;
      rid[g] = rowId;
      ts[g] = eventTs;
      created[g] = createdTs;
    }

    InternalRow toRow(List<RowIdIndex> byRid, List<List<InternalRow>> fetched) {
      Object[] values = new Object[1 + 3 * has.length];
      values[0] = sp;
      for (int g = 0; g < has.length; g++) {
        if (has[g]) {
          int at = byRid.get(g).get(rid[g]);
          if (at < 0) {
            throw new IllegalStateException("Point-in-time join: matched row id " + rid[g]
                + " of group " + g + " was not fetched");
          }
          values[1 + g] = fetched.get(g).get(at);
        }
      }
      int at = 1 + has.length;
      for (int g = 0; g < has.length; g++) {
        values[at++] = has[g] ? ts[g] : null;
        values[at++] = has[g] ? created[g] : null;
      }
      return new GenericInternalRow(values);
    }
  }

  /** Turns the pass's output into {@link Hit}s, resolving carried rows; drops the bookkeeping rows. */
  private static final class HitIterator implements Iterator<Hit> {
    private final Iterator<InternalRow> input;
    private final Carry carry;
    private final long[] ttl;
    private final int keyFields;
    private final int spineFields;
    private final scala.Function1<Object, Object> toExternalKey;
    private Hit next;

    HitIterator(Iterator<InternalRow> input, Carry carry, long[] ttl, StructType keyType,
        int spineFields) {
      this.input = input;
      this.carry = carry;
      this.ttl = ttl;
      this.keyFields = keyType.size();
      this.spineFields = spineFields;
      this.toExternalKey = CatalystTypeConverters.createToScalaConverter(keyType);
    }

    @Override
    public boolean hasNext() {
      while (next == null && input.hasNext()) {
        InternalRow row = input.next();
        int tag = row.getInt(0);
        if (tag >= AsOfMatcher.END_STATE) {
          continue;
        }
        ArrayData m = row.getArray(6);
        Hit hit = new Hit(row.getStruct(5, spineFields).copy(), ttl.length);
        Staircase[] state = tag == AsOfMatcher.UNRESOLVED
            ? carry.state(row.getInt(1), keyOf((Row) toExternalKey.apply(row.getStruct(3, keyFields))))
            : null;
        long t = row.getLong(4);
        for (int g = 0; g < ttl.length; g++) {
          InternalRow x = m.isNullAt(g) ? null : m.getStruct(g, 3);
          if (x != null) {
            hit.set(g, x.getLong(0), x.getLong(1), x.getLong(2));
          } else if (state != null) {
            long[] c = state[g].answer(t, ttl[g]);
            if (c != null) {
              hit.set(g, c[Staircase.ROW_ID], c[Staircase.TS], c[Staircase.CREATED]);
            }
          }
        }
        next = hit;
      }
      return next != null;
    }

    @Override
    public Hit next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      Hit h = next;
      next = null;
      return h;
    }
  }

  static List<Object> keyOf(Row key) {
    List<Object> k = new ArrayList<>(key.size());
    for (int i = 0; i < key.size(); i++) {
      k.add(key.get(i));
    }
    return k;
  }

  /**
   * The candidates carried into partitions whose first entities started in earlier ones: for
   * partition p with first key hash h, walking back over the non-empty partitions while their
   * last hash is h, each entity of hash h collects the end states it left there; the walk stops
   * at a partition that does not start with h.
   */
  static final class Carry implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final Map<Integer, Map<List<Object>, Staircase[]>> states = new HashMap<>();
    private final List<Map<Long, int[]>> destinations = new ArrayList<>();
    private long unresolved;

    static Carry of(List<Row> info, AsOfMatcher matcher, int groups) {
      Carry carry = new Carry();
      TreeMap<Integer, Long> firstHash = new TreeMap<>();
      Map<Integer, Long> unresolvedByPart = new HashMap<>();
      Map<Integer, Long> lastHash = new HashMap<>();
      Map<Integer, Map<List<Object>, List<Row>>> ends = new HashMap<>();
      for (Row row : info) {
        int part = row.getInt(1);
        if (row.getInt(0) == AsOfMatcher.FIRST_HASH) {
          firstHash.put(part, row.getLong(2));
          unresolvedByPart.put(part, row.getLong(5));
          carry.unresolved += row.getLong(5);
        } else {
          lastHash.put(part, row.getLong(2));
          ends.computeIfAbsent(part, p -> new HashMap<>()).put(keyOf(row.getStruct(3)), row.getList(4));
        }
      }
      List<Map<Long, java.util.Set<Integer>>> dest = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        dest.add(new HashMap<>());
      }
      for (Map.Entry<Integer, Long> p : firstHash.entrySet()) {
        if (unresolvedByPart.get(p.getKey()) == 0) {
          continue;
        }
        long h = p.getValue();
        Map<List<Object>, Staircase[]> byKey = new HashMap<>();
        for (Integer q : firstHash.headMap(p.getKey(), false).descendingKeySet()) {
          if (lastHash.get(q) != h) {
            break;
          }
          for (Map.Entry<List<Object>, List<Row>> e : ends.get(q).entrySet()) {
            Staircase[] state = byKey.computeIfAbsent(e.getKey(), k -> matcher.newState());
            for (Row c : e.getValue()) {
              state[c.getInt(0)].add(new long[] {c.getLong(1), c.getLong(2), c.getLong(3), c.getLong(4)});
            }
          }
          if (firstHash.get(q) != h) {
            break;
          }
        }
        for (Staircase[] state : byKey.values()) {
          for (int g = 0; g < groups; g++) {
            for (long[] c : state[g].rows()) {
              dest.get(g).computeIfAbsent(c[Staircase.ROW_ID], x -> new java.util.TreeSet<>()).add(p.getKey());
            }
          }
        }
        carry.states.put(p.getKey(), byKey);
      }
      for (Map<Long, java.util.Set<Integer>> d : dest) {
        Map<Long, int[]> m = new HashMap<>();
        d.forEach((rid, parts) -> m.put(rid, parts.stream().mapToInt(Integer::intValue).toArray()));
        carry.destinations.add(m);
      }
      return carry;
    }

    Staircase[] state(int part, List<Object> key) {
      Map<List<Object>, Staircase[]> byKey = states.get(part);
      return byKey == null ? null : byKey.get(key);
    }

    Map<Long, int[]> destinations(int group) {
      return destinations.get(group);
    }

    long unresolved() {
      return unresolved;
    }
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
    StructType schema = pinned(r).schema();
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
    scala.Option<String> rowTracking = latestSnapshot(spark, table).metadata().configuration()
        .get("delta.enableRowTracking");
    if (!(rowTracking.isDefined() && "true".equalsIgnoreCase(rowTracking.get()))) {
      throw new IllegalArgumentException("Feature table " + table + " has no Delta row tracking, "
          + "which the point-in-time join needs for its commit-version tie break and to fetch "
          + "matched rows. Enable it once with: ALTER TABLE " + table
          + " SET TBLPROPERTIES ('delta.enableRowTracking' = 'true')");
    }
  }
}

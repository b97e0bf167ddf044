package io.lakeops.features.pit;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.struct;

import io.lakeops.features.definition.FeatureGroup;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.ShuffledRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.UnsafeRowSerializer;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Product2;

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
 * <p>Algorithm: one shuffle for all groups that share the spine's key columns, and the match
 * resolved on narrow records before any wide value is read. One job gathers the statistics: the
 * spine's row count, time range and a sample of (key hash, time), a few file splits of each feature
 * table, and the tables' Delta file statistics; from them {@link RangeBounds} range-partitions
 * (key hash, time). The map side writes each spine and feature row as one compact record ({@link
 * MatchRecords}: narrow fields, key bytes, payload) straight to its partition. Each partition is
 * loaded into primitive records (keys by id, times, tie-break fields) and an arena of the rows'
 * payloads, and sorted in memory by entity, then (time, kind) ({@link PartitionRows}); one pass
 * keeps, per group, the rows of the current entity that can still be an answer ({@link
 * Staircase}). Only then are the payloads read: the spine row's, and the matched feature row's
 * values, straight from the arena, so no feature row is read twice, sorted wide or shuffled again,
 * and there is no second scan of the feature tables. A key hash heavier than half a partition is
 * split by time; what its entities leave at the end of each partition (a few rows, with their
 * values) is collected by a job over the same shuffle output and carried into the next partitions
 * ({@link AsOfMatcher}).
 */
public final class PointInTimeJoin {

  /** Internal spine row id column (dropped from the result). */
  static final String SID = "__lakeops_sid";
  private static final String T = "__lakeops_t";

  private final SparkSession spark;
  private final PitOptions options;
  /** Each pinned table is read (and its Delta snapshot resolved) once per join. */
  private final Map<String, Dataset<Row>> pinnedTables = new java.util.concurrent.ConcurrentHashMap<>();

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
    org.apache.spark.sql.delta.Snapshot snapshot = deltaLog(spark, table)
        .update(false, scala.Option.empty(), scala.Option.empty());
    if (snapshot.version() < 0) {
      throw new IllegalArgumentException("Table " + table + " is not a Delta table (no _delta_log "
          + "at its location); the point-in-time join pins Delta versions");
    }
    return snapshot;
  }

  private static org.apache.spark.sql.delta.DeltaLog deltaLog(SparkSession spark, String table) {
    org.apache.spark.sql.catalyst.TableIdentifier id;
    try {
      id = spark.sessionState().sqlParser().parseTableIdentifier(table);
    } catch (org.apache.spark.sql.catalyst.parser.ParseException e) {
      throw new IllegalArgumentException("'" + table + "' is not a table name: " + e.getMessage(), e);
    }
    return org.apache.spark.sql.delta.DeltaLog.forTable(spark, id);
  }

  /**
   * A table as of a Delta version, with its row tracking metadata as {@code __rid}, {@code __ver},
   * read through {@code scans} ({@link #scanSession}).
   */
  static Dataset<Row> readPinned(SparkSession scans, String table, long version) {
    return scans.sql("SELECT *, _metadata.row_id AS __rid, _metadata.row_commit_version AS __ver FROM "
        + table + " VERSION AS OF " + version);
  }

  /**
   * The session the feature tables are read through: a clone of the caller's (same configuration
   * and catalog) whose optimizer inlines Delta's row tracking struct. Delta's {@code
   * GenerateRowIDs} rule puts a projection over the scan that rebuilds the whole {@code _metadata}
   * struct (file path, name, size, ..., and the row id and commit version as {@code coalesce}s of
   * the materialised and the default values), after Spark's operator optimisation; Spark's {@code
   * CollapseProject} then refuses to inline a struct read by two non-trivial fields, so every
   * feature row built two structs of 11 boxed fields, two of them strings: a sixth of the join's
   * time in a profile. Inlining (always, in this session's last optimiser batch, then simplifying
   * the field reads) leaves only the five row tracking fields, read once each.
   */
  private synchronized SparkSession scanSession() {
    if (scans == null) {
      scans = spark.cloneSession();
      scans.conf().set("spark.sql.optimizer.collapseProjectAlwaysInline", "true");
      List<org.apache.spark.sql.catalyst.rules.Rule<org.apache.spark.sql.catalyst.plans.logical.LogicalPlan>>
          rules = List.of(org.apache.spark.sql.catalyst.optimizer.CollapseProject$.MODULE$,
              org.apache.spark.sql.catalyst.optimizer.SimplifyExtractValueOps$.MODULE$);
      scans.experimental().extraOptimizations_$eq(
          scala.collection.JavaConverters.asScalaBuffer(rules).toSeq());
    }
    return scans;
  }

  private SparkSession scans;

  private Dataset<Row> pinned(FeatureRequest r) {
    return pinnedTables.computeIfAbsent(r.table() + "@" + r.version(),
        k -> readPinned(scanSession(), r.table(), r.version()));
  }

  private PitResult run(Dataset<Row> spine, String spineTime, List<FeatureRequest> requests) {
    if (requests.isEmpty()) {
      throw new IllegalArgumentException("No feature requested");
    }
    validateSpine(spine, spineTime, requests);
    // Each table's checks (the catalog, its Delta log, the pinned version's schema) at once.
    List<Callable<FeatureRequest>> checks = new ArrayList<>();
    for (FeatureRequest r : requests) {
      checks.add(() -> {
        long latest = requireRowTracking(r.table()).version();
        FeatureRequest p = r.version() == null ? r.atVersion(latest) : r;
        validateTable(p);
        return p;
      });
    }
    List<FeatureRequest> pinned = inParallel(checks);
    List<StructType> schemas = new ArrayList<>();
    pinned.forEach(p -> schemas.add(pinned(p).schema()));
    List<String> spineColumns = Arrays.asList(spine.columns());
    // Groups sharing the spine's key columns go through one shuffle.
    Map<List<String>, List<Integer>> keySets = new LinkedHashMap<>();
    for (int g = 0; g < pinned.size(); g++) {
      keySets.computeIfAbsent(pinned.get(g).spineKeys(), k -> new ArrayList<>()).add(g);
    }
    boolean single = keySets.size() == 1;
    describe("spine");
    Dataset<Row> withT = spine.withColumn(T, expr("unix_micros(CAST(`" + spineTime + "` AS TIMESTAMP))"));
    List<Dataset<Row>> persisted = new ArrayList<>();
    if (!single) {
      // Each key set's answers are joined back by a spine row id: the spine is cached, so that
      // every key set sees the same rows with the same ids.
      withT = withT.withColumn(SID, monotonically_increasing_id())
          .persist(StorageLevel.MEMORY_AND_DISK());
      persisted.add(withT);
    } else if (!spine.queryExecution().analyzed().deterministic()) {
      // The spine is read more than once (statistics, the match, spine rows without keys): a
      // query with rand() or the like is cached so that all reads see the same rows.
      withT = withT.persist(StorageLevel.MEMORY_AND_DISK());
      persisted.add(withT);
    }
    try {
      long spineRows = -1;
      long carried = 0;
      Dataset<Row> result = single ? null : withT.drop(T);
      int ks = 0;
      for (Map.Entry<List<String>, List<Integer>> e : keySets.entrySet()) {
        KeySetRows k = match(withT, e.getKey(), e.getValue(), pinned, schemas, single);
        spineRows = spineRows < 0 ? k.spineRows() : spineRows;
        carried += k.carried();
        if (single) {
          result = k.rows();
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
      // One projection over the answers: a spine column is a field of their struct sp.
      spineColumns.forEach(c -> out.add(single ? col("sp.`" + c + "`").as(c) : col("`" + c + "`")));
      for (FeatureRequest r : pinned) {
        r.features().forEach(f -> {
          featureColumns.add(f.output());
          out.add(col("`" + f.output() + "`"));
        });
      }
      for (int g = 0; g < pinned.size(); g++) {
        FeatureRequest r = pinned.get(g);
        out.add(expr("timestamp_micros(" + TS + g + ")").as(r.featureTsColumn()));
        // A row without created_ts carries Long.MAX_VALUE in the match (never known): null here.
        out.add(expr("CASE WHEN " + CREATED + g + " = " + Long.MAX_VALUE + "L THEN NULL ELSE "
            + "timestamp_micros(" + CREATED + g + ") END").as(r.createdTsColumn()));
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
   * their audit times in micros; the spine's row count; the feature rows carried across splits.
   */
  private record KeySetRows(Dataset<Row> rows, long spineRows, long carried) {}

  /** Test hook: key hashes modulo this (when positive), to make distinct entities collide. */
  static volatile int hashBucketsForTesting = 0;

  /**
   * The key hash: 23 bits of xxhash64 of the keys (with the row's kind, an int in the shuffle
   * records, {@link MatchRecords}). Entities sharing a hash are kept apart by their key bytes.
   */
  private static Column keyHash(List<Column> keys) {
    Column h = functions.xxhash64(keys.toArray(new Column[0]));
    int buckets = hashBucketsForTesting;
    return buckets > 0 ? functions.pmod(h, lit((long) buckets))
        : h.bitwiseAND(lit(HASH_MASK));
  }

  private static final long HASH_MASK = (1L << 23) - 1;

  /**
   * Most rows one partition of the match holds in memory ({@link PartitionRows}: about 120 bytes
   * a row while sorting plus the payloads): when the sampled row count says more, the join uses
   * more partitions than configured.
   */
  static final long ROWS_PER_PARTITION = 2_000_000L;

  /**
   * Most estimated bytes (records and payloads) one partition of the match holds in memory: when
   * the sample says more, the join uses more partitions than configured.
   */
  static final long BYTES_PER_PARTITION = 512L << 20;

  /** The size of every row of this struct as an {@code UnsafeRow}, or -1 when it varies. */
  static long fixedSize(StructType type) {
    for (StructField f : type.fields()) {
      if (!org.apache.spark.sql.catalyst.expressions.UnsafeRow.isFixedLength(f.dataType())) {
        return -1;
      }
    }
    return 8L * ((type.size() + 63) / 64) + 8L * type.size();
  }

  /** Bytes a row takes in a loaded partition besides its payload (records, sort arrays). */
  private static final long RECORD_BYTES = 128;

  private KeySetRows match(Dataset<Row> spine, List<String> spineKeys, List<Integer> groups,
      List<FeatureRequest> pinned, List<StructType> schemas, boolean single) {
    FeatureRequest first = pinned.get(groups.get(0));
    StructType firstSchema = schemas.get(groups.get(0));
    List<DataType> keyTypes = new ArrayList<>();
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
      // Only a lossless cast (Spark's up-cast: smallint to int, int to bigint, a date to a timestamp):
      // a lossy one (bigint to int, a string or a decimal to an int, a timestamp to a date) would
      // match rows of another entity, or make a null key of a present one.
      DataType spineType = spine.schema().apply(spineKeys.get(i)).dataType();
      if (!spineType.equals(keyTypes.get(i))
          && !org.apache.spark.sql.catalyst.expressions.Cast.canUpCast(spineType, keyTypes.get(i))) {
        throw new IllegalArgumentException("Spine column " + spineKeys.get(i) + " is "
            + spineType.simpleString() + " but feature group " + first.group() + "'s key column "
            + first.entityKeys().get(i) + " is " + keyTypes.get(i).simpleString() + ", and a cast "
            + "could change or lose keys; cast the spine column to "
            + keyTypes.get(i).simpleString() + " in the spine query (after checking that no key "
            + "changes)");
      }
      keysPresent = keysPresent.and(col("`" + spineKeys.get(i) + "`").isNotNull());
      spineKeyColumns.add(col("`" + spineKeys.get(i) + "`").cast(keyTypes.get(i)));
    }
    List<Column> spinePayload = new ArrayList<>();
    for (String c : spine.columns()) {
      if (!c.equals(T) && (single || c.equals(SID))) {
        spinePayload.add(col("`" + c + "`"));
      }
    }
    StructType spineType = (StructType) spine.select(struct(spinePayload.toArray(new Column[0])))
        .schema().fields()[0].dataType();
    List<StructType> featureTypes = new ArrayList<>();
    for (int gi = 0; gi < groups.size(); gi++) {
      FeatureRequest r = pinned.get(groups.get(gi));
      featureTypes.add((StructType) pinned(r).select(struct(featureValues(r)))
          .schema().fields()[0].dataType());
    }
    int partitions = options.partitions() > 0 ? options.partitions()
        : Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions"));

    long[] ttl = new long[groups.size()];
    for (int gi = 0; gi < groups.size(); gi++) {
      Duration d = pinned.get(groups.get(gi)).ttl();
      ttl[gi] = d.toSeconds() * 1_000_000L + d.getNano() / 1000;
    }
    // One job for the statistics that place the range bounds: the spine's row count, the time
    // range of its rows with keys, and a sample of their (key hash, time); a sample of a few file
    // splits of each feature table; the tables' file statistics (single-key files).
    describe("spine statistics and key ranges of " + groupNames(pinned, groups));
    Dataset<Row> spineStatistics = spine.select(functions.when(keysPresent,
        keyHash(spineKeyColumns)).as("h"), functions.when(keysPresent, col(T)).as("t"),
        struct(spinePayload.toArray(new Column[0])));
    int parts = partitions;
    List<Callable<Sampler>> sampling = new ArrayList<>();
    sampling.add(() -> sampler(0, spineStatistics.queryExecution().toRdd().toJavaRDD(),
        spineStatistics.schema(), parts, 1, 1.0, 8 + 3 * 8));
    List<Callable<Dataset<Row>>> fileStatisticsFrames = new ArrayList<>();
    for (int gi = 0; gi < groups.size(); gi++) {
      FeatureRequest r = pinned.get(groups.get(gi));
      int g = gi;
      // Narrow: the keys and event time only (a struct of fixed-width values has one size; only
      // other ones are read and measured). Rows out of the spine's time range are dropped from
      // the sample afterwards, as the range is not known yet.
      StructType featureType = featureTypes.get(gi);
      sampling.add(() -> {
        Dataset<Row> narrow = notNull(pinned(r), r).select(keyHash(keyColumns(r)).as("h"),
            expr("unix_micros(" + FeatureGroup.EVENT_TS + ")").as("t"),
            fixedSize(featureType) >= 0 ? lit(null).cast(featureType) : struct(featureValues(r)));
        return sampler(1 + g, narrow.queryExecution().toRdd().toJavaRDD(), narrow.schema(), parts,
            100 + g, FEATURE_SAMPLE_SHARE, 8 + 3 * 8);
      });
      fileStatisticsFrames.add(() -> fileStatisticsForTesting ? singleKeyFiles(g, r, keyTypes) : null);
    }
    List<Sampler> samplers = inParallel(sampling);
    List<Dataset<Row>> fileStatistics = inParallel(fileStatisticsFrames);
    Statistics statistics = statistics(samplers, fileStatistics);
    Sampled spineSample = statistics.samples().get(0);
    Long minT = spineSample.minT();
    Long maxT = spineSample.maxT();
    List<RangeBounds.Point> points = new ArrayList<>(spineSample.points());
    double estimatedRows = spineSample.weight();
    double estimatedBytes = spineSample.weight() * (RECORD_BYTES + spineSample.payloadBytes());
    for (int gi = 0; minT != null && gi < groups.size(); gi++) {
      long from = minT - ttl[gi];
      Sampled s = statistics.samples().get(1 + gi);
      long fixed = fixedSize(featureTypes.get(gi));
      // Keys that fill whole files (a table clustered by key) are counted from the statistics
      // instead: the split sample misses such a file 19 times in 20, or, when it reads one,
      // extrapolates that file's key to every split it did not read.
      Map<Long, List<RangeBounds.Point>> known = points(
          statistics.singleKeyFiles().getOrDefault(gi, Map.of()), from, maxT);
      double weight = 0;
      for (RangeBounds.Point p : s.points()) {
        if (p.time() >= from && p.time() <= maxT && !known.containsKey(p.hash())) {
          points.add(p);
          weight += p.weight();
        }
      }
      for (List<RangeBounds.Point> ps : known.values()) {
        for (RangeBounds.Point p : ps) {
          points.add(p);
          weight += p.weight();
        }
      }
      estimatedRows += weight;
      estimatedBytes += weight * (RECORD_BYTES + (fixed >= 0 ? fixed : s.payloadBytes()));
    }

    // The map side's inputs, laid out as MatchRecords.Writer reads them: key hash, time,
    // [created, version, row id], the key columns, the payload columns.
    List<Column> spineIn = new ArrayList<>();
    spineIn.add(keyHash(spineKeyColumns).as("h"));
    spineIn.add(col(T).as("t"));
    spineIn.addAll(aliased(spineKeyColumns, "k"));
    spineIn.addAll(aliased(spinePayload, "p"));
    Dataset<Row> spineInput = spine.where(keysPresent).select(spineIn.toArray(new Column[0]));
    List<Dataset<Row>> groupInputs = new ArrayList<>();
    for (int gi = 0; gi < groups.size(); gi++) {
      FeatureRequest r = pinned.get(groups.get(gi));
      Dataset<Row> rows = minT == null ? pinned(r).limit(0)
          : usable(pinned(r), r, minT, maxT, ttl[gi]);
      List<Column> cols = new ArrayList<>();
      cols.add(keyHash(keyColumns(r)).as("h"));
      cols.add(expr("unix_micros(" + FeatureGroup.EVENT_TS + ")").as("t"));
      // A row without created_ts is never "known"; in point-in-time mode it sorts last on ties.
      cols.add(functions.coalesce(expr("unix_micros(" + FeatureGroup.CREATED_TS + ")"),
          lit(Long.MAX_VALUE)).as("created"));
      cols.add(col("__ver").cast(DataTypes.LongType).as("ver"));
      cols.add(col("__rid").cast(DataTypes.LongType).as("rid"));
      cols.addAll(aliased(keyColumns(r), "k"));
      cols.addAll(Arrays.asList(featureValues(r)));
      groupInputs.add(rows.select(cols.toArray(new Column[0])));
    }
    List<Callable<JavaRDD<InternalRow>>> planning = new ArrayList<>();
    groupInputs.forEach(input -> planning.add(() -> input.queryExecution().toRdd().toJavaRDD()));
    List<JavaRDD<InternalRow>> groupRdds = inParallel(planning);
    if (options.partitions() <= 0) {
      partitions = (int) Math.max(partitions, Math.max(Math.ceil(estimatedRows / ROWS_PER_PARTITION),
          Math.ceil(estimatedBytes / BYTES_PER_PARTITION)));
    }
    RangeBounds bounds = RangeBounds.of(points, partitions);
    AsOfMatcher matcher = new AsOfMatcher(keyTypes.toArray(new DataType[0]), spineType,
        featureTypes.toArray(new StructType[0]), ttl, options.asKnownAt(), bounds,
        (int) Math.min(ROWS_PER_PARTITION, Math.ceil(1.1 * estimatedRows / partitions)));
    // One shuffle of the spine and all groups' rows as compact records (MatchRecords), each sent
    // to its range partition of (key hash, time); no Spark sort: each partition is loaded and
    // sorted in memory by the pass (PartitionRows).
    describe("match " + groupNames(pinned, groups) + " on " + spineKeys);
    DataType[] keyTypeArray = keyTypes.toArray(new DataType[0]);
    JavaRDD<Product2<Integer, InternalRow>> records = records(spineInput,
        new MatchRecords.Writer(MatchRecords.KIND_SPINE, 0, keyTypeArray, spineType, bounds));
    for (int gi = 0; gi < groups.size(); gi++) {
      records = records.union(groupRdds.get(gi).mapPartitions(new MatchRecords.Writer(
          MatchRecords.KIND_FEATURE, gi, keyTypeArray, featureTypes.get(gi), bounds)::records));
    }
    ShuffledRDD<Integer, InternalRow, InternalRow> exchange = new ShuffledRDD<>(records.rdd(),
        new MatchRecords.ByPartition(partitions), TAG_INT, TAG_ROW, TAG_ROW);
    // Spark SQL's serializer of UnsafeRows: a length and the bytes of each record.
    exchange.setSerializer(new UnsafeRowSerializer(1, null));
    JavaRDD<scala.Tuple2<Integer, InternalRow>> shuffled = exchange.toJavaRDD();
    // Hot hashes split by time: what their entities leave at the end of each partition (a few
    // rows each) is carried to the start of the next. The shuffle's output is read again by the
    // match, not recomputed.
    boolean split = false;
    for (int p = 1; p < partitions; p++) {
      split |= bounds.splitsBelow(p);
    }
    List<AsOfMatcher.EndState> ends = List.of();
    if (split) {
      describe("carry split entities of " + groupNames(pinned, groups));
      ends = shuffled.mapPartitionsWithIndex(
          (Integer p, Iterator<scala.Tuple2<Integer, InternalRow>> it) -> matcher.endStates(p,
              values(it)), true).collect();
    }
    AsOfMatcher.Carry carry = AsOfMatcher.Carry.of(ends, matcher);
    JavaRDD<InternalRow> answers = shuffled.mapPartitionsWithIndex(
        (Integer p, Iterator<scala.Tuple2<Integer, InternalRow>> it) -> matcher.answers(p,
            values(it), carry), true);

    // Each group's features travel as one struct (no per-value boxing), expanded by a projection.
    StructType answerSchema = new StructType().add("sp", spineType, true);
    List<Column> expanded = new ArrayList<>();
    expanded.add(col("sp"));
    for (int gi = 0; gi < groups.size(); gi++) {
      answerSchema = answerSchema.add(FEATURES + gi, featureTypes.get(gi), true);
      for (StructField f : featureTypes.get(gi).fields()) {
        expanded.add(col(FEATURES + gi + ".`" + f.name() + "`").as(f.name()));
      }
    }
    for (int gi = 0; gi < groups.size(); gi++) {
      int g = groups.get(gi);
      answerSchema = answerSchema.add(TS + g, DataTypes.LongType, true)
          .add(CREATED + g, DataTypes.LongType, true);
      expanded.add(col(TS + g));
      expanded.add(col(CREATED + g));
    }
    Dataset<Row> rows = spark.internalCreateDataFrame(answers.rdd(), answerSchema, false)
        .select(expanded.toArray(new Column[0]));
    if (single && spineSample.seen() < spineSample.rows()) {
      // Spine rows without keys or time: nulls (with several key sets, the left joins give them).
      // Only when the statistics job saw some: otherwise this would read the spine once more.
      List<Column> nulls = new ArrayList<>();
      nulls.add(struct(spinePayload.toArray(new Column[0])).as("sp"));
      for (StructField f : rows.schema().fields()) {
        if (!f.name().equals("sp")) {
          nulls.add(lit(null).cast(f.dataType()).as(f.name()));
        }
      }
      rows = rows.union(spine.where(functions.not(keysPresent)).select(nulls.toArray(new Column[0])));
    }
    return new KeySetRows(rows, spineSample.rows(), carry.rows());
  }

  private static Column[] featureValues(FeatureRequest r) {
    List<Column> values = new ArrayList<>();
    for (FeatureRequest.Feature f : r.features()) {
      values.add(col("`" + f.name() + "`").as(f.output()));
    }
    return values.toArray(new Column[0]);
  }

  private static final scala.reflect.ClassTag<Integer> TAG_INT =
      scala.reflect.ClassTag$.MODULE$.apply(Integer.class);
  private static final scala.reflect.ClassTag<InternalRow> TAG_ROW =
      scala.reflect.ClassTag$.MODULE$.apply(InternalRow.class);

  /** The records of one input of the match, each with its target partition. */
  private static JavaRDD<Product2<Integer, InternalRow>> records(Dataset<Row> input,
      MatchRecords.Writer writer) {
    return input.queryExecution().toRdd().toJavaRDD().mapPartitions(writer::records);
  }

  /** The records of a shuffle's output. */
  private static Iterator<InternalRow> values(Iterator<scala.Tuple2<Integer, InternalRow>> it) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public InternalRow next() {
        return it.next()._2();
      }
    };
  }

  /** Column prefix of the per-group feature structs in the answer rows. */
  private static final String FEATURES = "__lakeops_f";

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
    return notNull(table, r).where(t.leq(lit(maxT)).and(t.geq(lit(minT - ttl))));
  }

  /** Feature rows with keys and event time. */
  private static Dataset<Row> notNull(Dataset<Row> table, FeatureRequest r) {
    Column present = col(FeatureGroup.EVENT_TS).isNotNull();
    for (String k : r.entityKeys()) {
      present = present.and(col("`" + k + "`").isNotNull());
    }
    return table.where(present);
  }

  /** Test hook: false to place the range bounds from the samples alone. */
  static volatile boolean fileStatisticsForTesting = true;

  /** Most time bins a key known from file statistics is spread over. */
  private static final int MAX_STATISTICS_BINS = 64;

  /** Rows of a key per time bin (fewer bins for lighter keys). */
  private static final long ROWS_PER_STATISTICS_BIN = 1024;

  /**
   * Entity keys that fill whole files of the pinned snapshot, from Delta's file statistics (a
   * file whose key columns have min = max and no nulls holds that one key): per key hash, points
   * over time that weigh its rows with event_ts in {@code [from, to]}, spread over each file's
   * event-time range. A table clustered by entity key (Z-order, liquid clustering, a sorted write)
   * keeps a hot key in a few whole files, which a sample of 5% of the splits rarely reads; the
   * statistics (which Delta keeps for data skipping, read from the log, not the data) always see
   * it, so the bounds split it by time. Empty when the statistics do not cover the key columns and
   * event_ts (a key that is a partition column, or beyond the indexed columns), and for key types
   * whose statistics are not exact values (timestamps hold milliseconds; strings of 32 or more
   * characters are truncated).
   */
  private Dataset<Row> singleKeyFiles(int group, FeatureRequest r, List<DataType> keyTypes) {
    org.apache.spark.sql.delta.Snapshot snapshot = deltaLog(spark, r.table())
        .getSnapshotAt(r.version(), scala.Option.empty(), scala.Option.empty());
    StructType stats = snapshot.statsSchema();
    StructType schema = snapshot.schema();
    List<String> names = new ArrayList<>(r.entityKeys());
    names.add(FeatureGroup.EVENT_TS);
    List<String> physical = new ArrayList<>();
    for (String n : names) {
      physical.add(org.apache.spark.sql.delta.DeltaColumnMapping.getPhysicalName(schema.apply(n)));
    }
    for (String part : List.of("minValues", "maxValues", "nullCount")) {
      if (!Arrays.asList(stats.fieldNames()).contains(part)) {
        return null;
      }
      StructType values = (StructType) stats.apply(part).dataType();
      if (!Arrays.asList(values.fieldNames()).containsAll(physical)) {
        return null;
      }
    }
    Column where = col("stats.numRecords").isNotNull();
    List<Column> keys = new ArrayList<>();
    for (int i = 0; i < keyTypes.size(); i++) {
      DataType type = keyTypes.get(i);
      if (!(type instanceof org.apache.spark.sql.types.IntegralType
          || type instanceof org.apache.spark.sql.types.StringType
          || type instanceof org.apache.spark.sql.types.DateType
          || type instanceof org.apache.spark.sql.types.BooleanType)) {
        return null;
      }
      Column min = col("stats.minValues.`" + physical.get(i) + "`");
      Column max = col("stats.maxValues.`" + physical.get(i) + "`");
      where = where.and(min.isNotNull()).and(min.equalTo(max))
          .and(col("stats.nullCount.`" + physical.get(i) + "`").equalTo(0));
      if (type instanceof org.apache.spark.sql.types.StringType) {
        where = where.and(functions.length(min).lt(32));
      }
      keys.add(min.cast(type));
    }
    String event = physical.get(physical.size() - 1);
    Column tMin = expr("unix_micros(stats.minValues.`" + event + "`)");
    // The maximum is kept in milliseconds, rounded down.
    Column tMax = expr("unix_micros(stats.maxValues.`" + event + "`)").plus(lit(999L));
    Column rows = col("stats.numRecords")
        .minus(functions.coalesce(col("stats.nullCount.`" + event + "`"), lit(0L)))
        .minus(functions.coalesce(col("deletionVector.cardinality"), lit(0L)));
    return snapshot.withStats()
        .where(where.and(tMin.isNotNull()).and(tMax.isNotNull()).and(rows.gt(0)))
        .select(lit(group).as("g"), keyHash(keys).as("h"), rows.as("rows"), tMin.as("a"),
            tMax.as("b"));
  }

  /**
   * Points over time of the rows of single-key files (per key hash, files as {rows, min time, max
   * time}), clipped to [from, to].
   */
  private static Map<Long, List<RangeBounds.Point>> points(Map<Long, List<long[]>> files,
      long from, long to) {
    Map<Long, List<RangeBounds.Point>> out = new HashMap<>();
    files.forEach((h, all) -> {
      // Each file's rows, assumed even over its time range, clipped to [from, to].
      List<long[]> list = new ArrayList<>();
      double total = 0;
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      for (long[] file : all) {
        if (file[2] < from || file[1] > to) {
          continue;
        }
        long a = Math.max(file[1], from);
        long b = Math.min(file[2], to);
        double share = file[2] == file[1] ? 1 : (double) (b - a) / (file[2] - file[1]);
        long[] f = {Math.round(file[0] * share), a, b};
        list.add(f);
        total += f[0];
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
      if (list.isEmpty()) {
        return;
      }
      int bins = (int) Math.max(1, Math.min(MAX_STATISTICS_BINS, total / ROWS_PER_STATISTICS_BIN));
      double width = Math.max(1.0, (double) (hi - lo + 1) / bins);
      double[] weights = new double[bins];
      for (long[] f : list) {
        int first = (int) Math.min(bins - 1, (f[1] - lo) / width);
        int last = (int) Math.min(bins - 1, (f[2] - lo) / width);
        for (int b = first; b <= last; b++) {
          weights[b] += (double) f[0] / (last - first + 1);
        }
      }
      List<RangeBounds.Point> points = new ArrayList<>();
      for (int b = 0; b < bins; b++) {
        if (weights[b] > 0) {
          points.add(new RangeBounds.Point(h, lo + (long) (b * width), weights[b]));
        }
      }
      if (!points.isEmpty()) {
        out.put(h, points);
      }
    });
    return out;
  }

  /** Driver threads that plan the join's queries at once. */
  private static final int PLANNING_THREADS = 4;

  /**
   * Runs planning steps (each plans a query of its own: Delta's snapshot, file listing and data
   * skipping included) on a few driver threads: their work is mostly waiting for the log and
   * for small Spark jobs, a sixth of the join's time at 1M spine rows when one ran after
   * another. The threads start here, so they inherit the caller's job description and session.
   */
  private static <T> List<T> inParallel(List<Callable<T>> steps) {
    List<T> out = new ArrayList<>();
    if (steps.size() <= 1) {
      for (Callable<T> step : steps) {
        out.add(call(step));
      }
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(steps.size(), PLANNING_THREADS),
        r -> {
          Thread t = new Thread(r, "lakeops-pit-planning");
          t.setDaemon(true);
          return t;
        });
    try {
      List<Future<T>> futures = new ArrayList<>();
      steps.forEach(step -> futures.add(pool.submit(step)));
      for (Future<T> f : futures) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException re) {
            throw re;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while planning the point-in-time join", e);
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static <T> T call(Callable<T> step) {
    try {
      return step.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Share of a feature table's input partitions read to place the range bounds. */
  private static final double FEATURE_SAMPLE_SHARE = 0.05;

  /**
   * A sample of (h, t): the points (each standing for {@code weight} rows), the rows read, those
   * of them with both values ({@code seen}), and over those, their estimated total ({@code
   * weight}), time range and mean payload size in bytes.
   */
  record Sampled(List<RangeBounds.Point> points, long rows, long seen, double weight, Long minT,
      Long maxT, double payloadBytes) {}

  /** One input's part of a sampling job: packed partition summaries, and their scale. */
  private record Sampler(JavaRDD<long[]> parts, double scale) {}

  /**
   * Samples rows that start with (h, t) (long columns): a reservoir in each of a seeded random
   * {@code share} of the input partitions (at least one; the others are not read at all), each
   * point weighted by its partition's row count over its sample size, times partitions /
   * partitions read. Rows with a null h or t are counted in {@code rows} only. The payload size is
   * measured as the row's size (as Spark holds it, which is what a loaded partition keeps) less
   * {@code overheadBytes}. Several inputs' samplers run as one job ({@link #summarize}).
   */
  private static Sampler sampler(int tag, JavaRDD<InternalRow> rdd, StructType schema,
      int partitions, long seed, double share, int overheadBytes) {
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
    JavaRDD<long[]> parts = rdd.mapPartitionsWithIndex((Integer index, Iterator<InternalRow> it) -> {
      if (!chosen.contains(index)) {
        return java.util.Collections.<long[]>emptyIterator();
      }
      java.util.SplittableRandom random = new java.util.SplittableRandom(seed * 1_000_003L + index);
      long[] h = new long[perPartition];
      long[] t = new long[perPartition];
      long rows = 0;
      long seen = 0;
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      long bytes = 0;
      org.apache.spark.sql.catalyst.expressions.UnsafeProjection toUnsafe = null;
      while (it.hasNext()) {
        InternalRow row = it.next();
        rows++;
        if (row.isNullAt(0) || row.isNullAt(1)) {
          continue;
        }
        long time = row.getLong(1);
        min = Math.min(min, time);
        max = Math.max(max, time);
        if (row instanceof org.apache.spark.sql.catalyst.expressions.UnsafeRow u) {
          bytes += Math.max(0, u.getSizeInBytes() - overheadBytes);
        } else {
          if (toUnsafe == null) {
            toUnsafe = org.apache.spark.sql.catalyst.expressions.UnsafeProjection.create(schema);
          }
          bytes += Math.max(0, toUnsafe.apply(row).getSizeInBytes() - overheadBytes);
        }
        long slot = seen < perPartition ? seen : random.nextLong(seen + 1);
        if (slot < perPartition) {
          h[(int) slot] = row.getLong(0);
          t[(int) slot] = time;
        }
        seen++;
      }
      int kept = (int) Math.min(seen, perPartition);
      long[] packed = new long[6 + 2 * kept];
      packed[0] = tag;
      packed[1] = rows;
      packed[2] = seen;
      packed[3] = min;
      packed[4] = max;
      packed[5] = bytes;
      System.arraycopy(h, 0, packed, 6, kept);
      System.arraycopy(t, 0, packed, 6 + kept, kept);
      return List.of(packed).iterator();
    }, false);
    return new Sampler(parts, scale);
  }

  /**
   * The samples (in the samplers' order) and, per group, the single-key files (per key hash: {rows,
   * min time, max time}) of the statistics frames ({@link #singleKeyFiles}; null where they do not
   * apply).
   */
  private record Statistics(List<Sampled> samples,
      Map<Integer, Map<Long, List<long[]>>> singleKeyFiles) {}

  /** Runs the samplers and reads the file statistics, as one job. */
  private static Statistics statistics(List<Sampler> samplers, List<Dataset<Row>> fileStatistics) {
    JavaRDD<long[]> all = samplers.get(0).parts();
    for (int i = 1; i < samplers.size(); i++) {
      all = all.union(samplers.get(i).parts());
    }
    for (Dataset<Row> f : fileStatistics) {
      if (f != null) {
        // Tagged -1 - group; rows g, h, rows, a, b.
        all = all.union(f.queryExecution().toRdd().toJavaRDD().map(r -> new long[] {
            -1 - r.getInt(0), r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4)}));
      }
    }
    List<long[]> parts = all.collect();
    Map<Integer, Map<Long, List<long[]>>> files = new HashMap<>();
    for (long[] p : parts) {
      if (p[0] < 0) {
        files.computeIfAbsent((int) (-1 - p[0]), g -> new HashMap<>())
            .computeIfAbsent(p[1], h -> new ArrayList<>()).add(new long[] {p[2], p[3], p[4]});
      }
    }
    List<Sampled> out = new ArrayList<>();
    for (int tag = 0; tag < samplers.size(); tag++) {
      double scale = samplers.get(tag).scale();
      List<RangeBounds.Point> points = new ArrayList<>();
      long rows = 0;
      long seen = 0;
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      long bytes = 0;
      for (long[] p : parts) {
        if (p[0] != tag) {
          continue;
        }
        rows += p[1];
        seen += p[2];
        min = Math.min(min, p[3]);
        max = Math.max(max, p[4]);
        bytes += p[5];
        int kept = (p.length - 6) / 2;
        double weight = scale * p[2] / Math.max(1, kept);
        for (int i = 0; i < kept; i++) {
          points.add(new RangeBounds.Point(p[6 + i], p[6 + kept + i], weight));
        }
      }
      out.add(new Sampled(points, rows, seen, scale * seen, seen == 0 ? null : min,
          seen == 0 ? null : max, seen == 0 ? 0 : (double) bytes / seen));
    }
    return new Statistics(out, files);
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

  /** The table's latest Delta snapshot, after checking that it has row tracking. */
  private org.apache.spark.sql.delta.Snapshot requireRowTracking(String table) {
    if (!spark.catalog().tableExists(table)) {
      throw new IllegalArgumentException("Feature table " + table + " does not exist: materialise "
          + "its group first");
    }
    org.apache.spark.sql.delta.Snapshot latest = latestSnapshot(spark, table);
    scala.Option<String> rowTracking = latest.metadata().configuration()
        .get("delta.enableRowTracking");
    if (!(rowTracking.isDefined() && "true".equalsIgnoreCase(rowTracking.get()))) {
      throw new IllegalArgumentException("Feature table " + table + " has no Delta row tracking, "
          + "which the point-in-time join needs for its deterministic tie break (commit version, "
          + "then row id). Enable it once with: ALTER TABLE " + table
          + " SET TBLPROPERTIES ('delta.enableRowTracking' = 'true')");
    }
    return latest;
  }
}

package io.lakeops.features.trainingset;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import io.delta.tables.DeltaTable;
import io.lakeops.features.pit.FeatureRequest;
import io.lakeops.features.pit.PitOptions;
import io.lakeops.features.pit.PitResult;
import io.lakeops.features.pit.PointInTimeJoin;
import io.lakeops.features.spark.DeltaWrites;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Builds training sets with the point-in-time join, writes them as Delta tables, records each
 * in the manifest ({@code lakeops.training_sets}) with the pinned Delta version of every input,
 * and rebuilds one exactly from those versions (Delta time travel).
 *
 * <p>After the join and before anything is written, one aggregation over the result counts the
 * rows, computes the content digest and checks every audit time: no feature row from after its
 * spine time, or older than its TTL, or (as known at) written after the spine time. A violation
 * fails the build; the rows out must equal the spine's rows in.
 */
public final class TrainingSets {

  static final StructType FEATURE = new StructType()
      .add("group_name", DataTypes.StringType, false)
      .add("table_name", DataTypes.StringType, false)
      .add("table_version", DataTypes.LongType, false)
      .add("entity_keys", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("spine_keys", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("features", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("outputs", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("ttl_seconds", DataTypes.LongType, false);

  static final StructType MANIFEST = new StructType()
      .add("training_set_id", DataTypes.StringType, false)
      .add("name", DataTypes.StringType, false)
      .add("build_number", DataTypes.IntegerType, false)
      .add("description", DataTypes.StringType)
      .add("run_id", DataTypes.StringType)
      .add("created_at", DataTypes.TimestampType, false)
      .add("spine_source", DataTypes.StringType, false)
      .add("spine_table", DataTypes.StringType, false)
      .add("spine_version", DataTypes.LongType, false)
      .add("spine_keys", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("spine_time", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, false)
      .add("carry", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("feature_refs", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("feature_tables", DataTypes.createArrayType(FEATURE, false), false)
      .add("input_versions", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType, false), false)
      .add("as_known_at", DataTypes.BooleanType, false)
      .add("audit_columns", DataTypes.BooleanType, false)
      .add("output_table", DataTypes.StringType, false)
      .add("output_version", DataTypes.LongType, false)
      .add("row_count", DataTypes.LongType, false)
      .add("digest", DataTypes.StringType, false);

  private final SparkSession spark;
  private final String manifestTable;
  private final PitOptions options;

  public TrainingSets(SparkSession spark, String manifestTable, PitOptions options) {
    this.spark = spark;
    this.manifestTable = manifestTable;
    this.options = options;
  }

  /** Builds {@code spec}, writes its table and records it in the manifest. */
  public TrainingSetResult build(TrainingSetSpec spec, String runId, Instant now) {
    SpineSource spine = spec.spine();
    String spineTable = spine.table();
    if (spine.query() != null) {
      spineTable = spec.outputTable() + "__spine";
      Dataset<Row> rows;
      try {
        rows = spark.sql(spine.query());
      } catch (Exception e) {
        throw new IllegalArgumentException("The spine query of training set " + spec.name()
            + " fails: " + e.getMessage(), e);
      }
      describe(spec.name(), "store the spine query's rows in " + spineTable);
      DeltaWrites.replaceAll(spark, rows, spineTable,
          Map.of("comment", "Spine of training set " + spec.name() + ": " + spine.query()));
    } else if (!spark.catalog().tableExists(spineTable)) {
      throw new IllegalArgumentException("The spine table " + spineTable + " of training set "
          + spec.name() + " does not exist");
    }
    long spineVersion = PointInTimeJoin.currentVersion(spark, spineTable);
    Built built = write(spec, spineTable, spineVersion, spec.requests(), spec.outputTable());
    String id = recordManifest(spec, runId, now, spineTable, spineVersion, built);
    return new TrainingSetResult(id, spec.outputTable(), built.outputVersion, built.rows,
        built.digest(), spineTable, spineVersion, built.pinned, built.carried, built.matchedShare);
  }

  /**
   * Rebuilds training set {@code id} from its pinned versions into {@code outputTable} (its own
   * table when null) and returns the result; the caller compares {@link TrainingSetResult#digest()}
   * with {@link #recordedDigest(String)}.
   */
  public TrainingSetResult rebuild(String id, String outputTable) {
    Row m = manifestRow(id);
    List<FeatureRequest> requests = new ArrayList<>();
    for (Row f : m.<Row>getList(m.fieldIndex("feature_tables"))) {
      List<String> features = f.getList(5);
      List<String> outputs = f.getList(6);
      List<FeatureRequest.Feature> fs = new ArrayList<>();
      for (int i = 0; i < features.size(); i++) {
        fs.add(new FeatureRequest.Feature(features.get(i), outputs.get(i)));
      }
      requests.add(new FeatureRequest(f.getString(0), f.getString(1), f.getLong(2), f.getList(3),
          f.getList(4), fs, Duration.ofSeconds(f.getLong(7))));
    }
    SpineSource spine = new SpineSource(m.getString(m.fieldIndex("spine_table")), null,
        m.getList(m.fieldIndex("spine_keys")), m.getString(m.fieldIndex("spine_time")),
        m.getString(m.fieldIndex("label")), m.getList(m.fieldIndex("carry")));
    String output = outputTable != null ? outputTable : m.getString(m.fieldIndex("output_table"));
    if (outputTable == null) {
      // In place only for the latest build of that table: an older one would replace what the
      // later builds wrote, which their manifest rows and their users still point at.
      List<Row> later = spark.table(manifestTable)
          .where(col("output_table").equalTo(output).and(col("training_set_id").notEqual(id))
              .and(col("created_at").gt(m.getTimestamp(m.fieldIndex("created_at")))))
          .orderBy(col("created_at").desc()).select("training_set_id").limit(1).collectAsList();
      if (!later.isEmpty()) {
        throw new IllegalArgumentException("Training set " + id + " was written to " + output
            + ", which now holds the later build " + later.get(0).getString(0) + "; rebuild "
            + id + " into another table (--output-table), or rebuild " + later.get(0).getString(0));
      }
    }
    TrainingSetSpec spec = new TrainingSetSpec(m.getString(m.fieldIndex("name")),
        m.getString(m.fieldIndex("description")), spine, m.getList(m.fieldIndex("feature_refs")),
        requests, m.getBoolean(m.fieldIndex("as_known_at")), m.getBoolean(m.fieldIndex("audit_columns")),
        output);
    long spineVersion = m.getLong(m.fieldIndex("spine_version"));
    Built built = write(spec, spine.table(), spineVersion, requests, output);
    // In the format of the recorded digest, which the caller compares it with.
    return new TrainingSetResult(id, output, built.outputVersion, built.rows,
        built.digest(m.getString(m.fieldIndex("digest"))),
        spine.table(), spineVersion, built.pinned, built.carried, built.matchedShare);
  }

  /** Where a training set was written: its table and the Delta version that holds it. */
  public record Output(String id, String table, long version) {}

  /**
   * The recorded output of training set {@code id}, or empty when the manifest has no such id
   * (or does not exist yet). A read API for other modules: the drift job reads the pinned
   * version of a training set as its reference.
   */
  public java.util.Optional<Output> output(String id) {
    if (!spark.catalog().tableExists(manifestTable)) {
      return java.util.Optional.empty();
    }
    List<Row> rows = spark.table(manifestTable).where(col("training_set_id").equalTo(id))
        .select("output_table", "output_version").collectAsList();
    return rows.isEmpty() ? java.util.Optional.empty()
        : java.util.Optional.of(new Output(id, rows.get(0).getString(0), rows.get(0).getLong(1)));
  }

  /** Every training set id in the manifest (empty when it does not exist yet). */
  public List<String> ids() {
    if (!spark.catalog().tableExists(manifestTable)) {
      return List.of();
    }
    return spark.table(manifestTable).select("training_set_id")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }

  /** The digest recorded for training set {@code id}. */
  public String recordedDigest(String id) {
    Row m = manifestRow(id);
    return m.getString(m.fieldIndex("digest"));
  }

  private Row manifestRow(String id) {
    if (!spark.catalog().tableExists(manifestTable)) {
      throw new IllegalArgumentException("No training set '" + id + "': " + manifestTable
          + " does not exist yet");
    }
    List<Row> rows = spark.table(manifestTable).where(col("training_set_id").equalTo(id)).collectAsList();
    if (rows.isEmpty()) {
      List<String> known = spark.table(manifestTable).orderBy(col("created_at").desc()).limit(10)
          .select("training_set_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
      throw new IllegalArgumentException("No training set '" + id + "' in " + manifestTable
          + ". The latest ones: " + known);
    }
    return rows.get(0);
  }

  private record Built(long rows, Map<Integer, String> digests, long outputVersion,
      List<FeatureRequest> pinned, long carried, Map<String, Double> matchedShare) {

    /** The digest in today's format. */
    String digest() {
      return digests.get(DIGEST_VERSION);
    }

    /** The digest in the format of {@code recorded}. */
    String digest(String recorded) {
      return digests.get(digestVersion(recorded));
    }
  }

  private Built write(TrainingSetSpec spec, String spineTable, long spineVersion,
      List<FeatureRequest> requests, String output) {
    SpineSource spine = spec.spine();
    Dataset<Row> spineRows = spark.sql("SELECT * FROM " + spineTable + " VERSION AS OF " + spineVersion);
    List<String> missing = new ArrayList<>(spine.columns());
    missing.removeAll(Arrays.asList(spineRows.columns()));
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("The spine " + spineTable + " (version " + spineVersion
          + ") of training set " + spec.name() + " has no column(s) " + missing + "; its columns are "
          + Arrays.toString(spineRows.columns()));
    }
    spineRows = spineRows.select(spine.columns().stream().map(c -> col("`" + c + "`")).toArray(Column[]::new));
    describe(spec.name(), "point-in-time join");
    PitResult pit = PointInTimeJoin.join(spark, spineRows, spine.time(), requests,
        options.withAsKnownAt(spec.asKnownAt()));
    Dataset<Row> rows = pit.rows().persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<String> written = new ArrayList<>(spine.columns());
      written.addAll(pit.featureColumns());
      if (spec.auditColumns()) {
        pit.pinned().forEach(r -> written.add(r.featureTsColumn()));
      }
      describe(spec.name(), "check the rows and compute the digest");
      Check check = check(rows, spine.time(), pit.pinned(), written, spec.asKnownAt());
      if (check.rows != pit.spineRows()) {
        throw new IllegalStateException("Training set " + spec.name() + ": " + check.rows
            + " rows out for " + pit.spineRows() + " spine rows in; the output and the manifest "
            + "were not written");
      }
      if (!check.leaks.isEmpty()) {
        throw new IllegalStateException("Training set " + spec.name() + " failed its point-in-time "
            + "check; the output and the manifest were not written: " + check.leaks);
      }
      describe(spec.name(), "write " + output);
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("comment", "Training set " + spec.name()
          + (spec.description() == null || spec.description().isEmpty() ? "" : ": " + spec.description()));
      properties.put("lakeops.training-set", spec.name());
      DeltaWrites.replaceAll(spark,
          rows.select(written.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new)),
          output, properties);
      long version = PointInTimeJoin.currentVersion(spark, output);
      return new Built(check.rows, check.digests, version, pit.pinned(), pit.carriedRows(), check.matchedShare);
    } finally {
      rows.unpersist();
      pit.release();
      spark.sparkContext().setJobDescription(null);
    }
  }

  /**
   * What one check found: the row count, the content digest in every format ({@link #digest()}
   * is the one written today, {@link #digest(String)} the one in the format of a recorded digest),
   * the point-in-time violations and each group's share of matched rows.
   */
  record Check(long rows, Map<Integer, String> digests, List<String> leaks,
      Map<String, Double> matchedShare) {

    /** The digest in today's format ({@link #DIGEST_VERSION}). */
    String digest() {
      return digests.get(DIGEST_VERSION);
    }

    /** The digest in the format of {@code recorded} (an older manifest row's digest). */
    String digest(String recorded) {
      return digests.get(digestVersion(recorded));
    }
  }

  /**
   * The digest format written today. Version 2 ({@code "v2:"} + hex) hashes each row with a mask
   * of its null columns, and nested values (arrays, maps, structs) as JSON: Spark's
   * {@code xxhash64} skips nulls, so under version 1 (a bare hex digest) two rows that differ only
   * in which of two same-typed columns (or array elements) is null hashed alike. Version 1 is
   * still computed, so that the builds it recorded rebuild and rerun as before.
   */
  static final int DIGEST_VERSION = 2;

  /** The format of a recorded digest: {@code "v<n>:<hex>"}, or a bare hex digest (version 1). */
  static int digestVersion(String digest) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("v(\\d+):[0-9a-f]{64}").matcher(digest);
    if (m.matches()) {
      int v = Integer.parseInt(m.group(1));
      if (v >= 1 && v <= DIGEST_VERSION) {
        return v;
      }
    } else if (digest.matches("[0-9a-f]{64}")) {
      return 1;
    }
    throw new IllegalArgumentException("Recorded digest '" + digest + "' is in no format this "
        + "version of LakeOps knows (a 64-digit hex SHA-256, or v1 to v" + DIGEST_VERSION
        + " followed by ':' and one); was it written by a newer LakeOps?");
  }

  /** JSON options for nested values in digest version 2: exact times, nulls kept. */
  private static final String JSON_OPTIONS = "map('timestampFormat', \"yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX\", "
      + "'timestampNTZFormat', \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS\", 'timeZone', 'UTC', "
      + "'ignoreNullFields', 'false')";

  /** One aggregation: rows, digest of the written columns, audit-time violations per group. */
  static Check check(Dataset<Row> rows, String spineTime, List<FeatureRequest> pinned,
      List<String> written, boolean asKnownAt) {
    List<Column> aggs = new ArrayList<>();
    aggs.add(expr("count(1)"));
    String cols = String.join(", ", written.stream().map(c -> "`" + c + "`").toList());
    aggs.add(expr("sum(CAST(xxhash64(" + cols + ") AS DECIMAL(38, 0)))"));
    aggs.add(expr("sum(CAST(xxhash64('lakeops', " + cols + ") AS DECIMAL(38, 0)))"));
    // Version 2: the null mask (63 columns a word) first, then the values, nested ones as JSON.
    List<String> v2 = new ArrayList<>();
    for (int from = 0; from < written.size(); from += 63) {
      List<String> bits = new ArrayList<>();
      for (int i = from; i < Math.min(written.size(), from + 63); i++) {
        bits.add("IF(`" + written.get(i) + "` IS NULL, " + (1L << (i - from)) + "L, 0L)");
      }
      v2.add("(" + String.join(" | ", bits) + ")");
    }
    for (String c : written) {
      DataType type = rows.schema().apply(c).dataType();
      boolean nested = type instanceof org.apache.spark.sql.types.ArrayType
          || type instanceof org.apache.spark.sql.types.MapType
          || type instanceof StructType;
      v2.add(nested ? "to_json(`" + c + "`, " + JSON_OPTIONS + ")" : "`" + c + "`");
    }
    String v2cols = String.join(", ", v2);
    aggs.add(expr("sum(CAST(xxhash64(" + v2cols + ") AS DECIMAL(38, 0)))"));
    aggs.add(expr("sum(CAST(xxhash64('lakeops', " + v2cols + ") AS DECIMAL(38, 0)))"));
    int first = aggs.size();
    String t = "unix_micros(CAST(`" + spineTime + "` AS TIMESTAMP))";
    for (FeatureRequest r : pinned) {
      String ts = "unix_micros(`" + r.featureTsColumn() + "`)";
      String created = "unix_micros(`" + r.createdTsColumn() + "`)";
      long ttl = r.ttl().toSeconds() * 1_000_000L;
      aggs.add(expr("count_if(" + ts + " > " + t + ")"));
      aggs.add(expr("count_if(" + ts + " < " + t + " - " + ttl + ")"));
      aggs.add(expr(asKnownAt ? "count_if(" + created + " > " + t + ")" : "CAST(0 AS BIGINT)"));
      aggs.add(expr("count(`" + r.featureTsColumn() + "`)"));
    }
    Row a = rows.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0])).first();
    long n = a.getLong(0);
    List<String> leaks = new ArrayList<>();
    Map<String, Double> matched = new LinkedHashMap<>();
    for (int g = 0; g < pinned.size(); g++) {
      String name = pinned.get(g).group();
      long after = a.getLong(first + 4 * g);
      long old = a.getLong(first + 1 + 4 * g);
      long unknown = a.getLong(first + 2 + 4 * g);
      if (after > 0) {
        leaks.add(after + " row(s) of " + name + " use a feature row from after the spine time");
      }
      if (old > 0) {
        leaks.add(old + " row(s) of " + name + " use a feature row older than its TTL");
      }
      if (unknown > 0) {
        leaks.add(unknown + " row(s) of " + name + " use a feature row written after the spine time");
      }
      matched.put(name, n == 0 ? 0.0 : a.getLong(first + 3 + 4 * g) / (double) n);
    }
    StringBuilder schema = new StringBuilder();
    for (String c : written) {
      schema.append(c).append(':').append(rows.schema().apply(c).dataType().sql()).append(';');
    }
    Map<Integer, String> digests = Map.of(
        1, sha256(schema + "|" + n + "|" + a.get(1) + "|" + a.get(2)),
        2, "v2:" + sha256("v2|" + schema + "|" + n + "|" + a.get(3) + "|" + a.get(4)));
    return new Check(n, digests, leaks, matched);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private String recordManifest(TrainingSetSpec spec, String runId, Instant now, String spineTable,
      long spineVersion, Built built) {
    int buildNumber = 1;
    String id = null;
    if (spark.catalog().tableExists(manifestTable)) {
      List<Row> previous = spark.table(manifestTable).where(col("name").equalTo(spec.name()))
          .select("build_number", "run_id", "training_set_id", "digest", "output_table",
              "spine_source", "feature_refs", "feature_tables")
          .collectAsList();
      Row latest = null;
      for (Row p : previous) {
        buildNumber = Math.max(buildNumber, p.getInt(0) + 1);
        // A retry of the same run (Airflow keeps its run_id) replaces its own entry.
        if (runId != null && runId.equals(p.getString(1))) {
          id = p.getString(2);
        }
        if (latest == null || p.getInt(0) > latest.getInt(0)) {
          latest = p;
        }
      }
      // A rerun that rebuilt exactly the latest build (a retry under a new run id, such as the
      // rerun after a kill -9 that came after the manifest commit) keeps its id: same spine
      // definition, feature references, pinned feature versions, output table and content digest.
      if (id == null && latest != null && sameBuild(latest, spec, built)) {
        id = latest.getString(2);
      }
    }
    if (id == null) {
      id = spec.name() + "_v" + buildNumber;
    } else {
      buildNumber = Integer.parseInt(id.substring(id.lastIndexOf("_v") + 2));
    }
    List<Row> features = new ArrayList<>();
    Map<String, Long> versions = new LinkedHashMap<>();
    versions.put(spineTable, spineVersion);
    for (FeatureRequest r : built.pinned) {
      features.add(RowFactory.create(r.group(), r.table(), r.version(),
          r.entityKeys().toArray(), r.spineKeys().toArray(),
          r.features().stream().map(FeatureRequest.Feature::name).toArray(),
          r.features().stream().map(FeatureRequest.Feature::output).toArray(),
          r.ttl().toSeconds()));
      versions.put(r.table(), r.version());
    }
    Row row = RowFactory.create(id, spec.name(), buildNumber, spec.description(), runId,
        Timestamp.from(now), spec.spine().describe(), spineTable, spineVersion,
        spec.spine().entityKeys().toArray(), spec.spine().time(), spec.spine().label(),
        spec.spine().carry().toArray(), spec.featureRefs().toArray(), features.toArray(),
        scala.collection.JavaConverters.mapAsScalaMap(versions), spec.asKnownAt(),
        spec.auditColumns(), spec.outputTable(), built.outputVersion, built.rows, built.digest());
    Dataset<Row> df = spark.createDataFrame(List.of(row), MANIFEST);
    DeltaWrites.ensureDatabase(spark, manifestTable);
    if (!spark.catalog().tableExists(manifestTable)) {
      DeltaWrites.append(spark, df, manifestTable,
          "LakeOps training sets: spine, features and the pinned Delta version of every input");
    } else {
      DeltaTable.forName(spark, manifestTable).as("t")
          .merge(df.as("s"), "t.training_set_id = s.training_set_id")
          .whenMatched().updateAll()
          .whenNotMatched().insertAll()
          .execute();
    }
    return id;
  }

  /** Whether manifest row {@code p} (the latest build of the spec's name) is what was just built. */
  private static boolean sameBuild(Row p, TrainingSetSpec spec, Built built) {
    if (!built.digest(p.getString(3)).equals(p.getString(3)) || !spec.outputTable().equals(p.getString(4))
        || !spec.spine().describe().equals(p.getString(5))
        || !spec.featureRefs().equals(p.getList(6))) {
      return false;
    }
    List<String> pinned = new ArrayList<>();
    for (Row f : p.<Row>getList(7)) {
      pinned.add(f.getString(1) + "@" + f.getLong(2));
    }
    return pinned.equals(built.pinned.stream().map(r -> r.table() + "@" + r.version()).toList());
  }

  private void describe(String name, String step) {
    spark.sparkContext().setJobDescription("lakeops training-set " + name + ": " + step);
  }
}

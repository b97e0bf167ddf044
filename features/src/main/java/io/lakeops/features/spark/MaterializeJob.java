package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.delta.tables.DeltaTable;
import io.lakeops.features.MaterializeResult;
import io.lakeops.features.definition.DerivedFeature;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.WindowAggregate;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code materialize} / one chunk of {@code backfill}: computes a group's features for a date
 * range ({@link FeatureComputation}) and merges them into {@code features.<group>} on
 * (keys, event_ts), limited to the range's partitions. Unchanged rows are left alone (their
 * {@code created_ts} stays), changed rows get the new values and a new {@code created_ts}, new
 * rows are inserted, and rows of the range that no longer come out are deleted. Running a range
 * twice therefore leaves identical rows, and {@code created_ts} tells when a value became known.
 * Then the feature catalog is upserted with this range's statistics (one aggregation pass).
 */
public final class MaterializeJob {

  private final SparkSession spark;
  private final FeatureTables tables;
  private final Object writeLock;

  public MaterializeJob(SparkSession spark, FeatureTables tables) {
    this(spark, tables, null);
  }

  /**
   * With a write lock shared by concurrent chunks: each computes in parallel, then commits
   * alone (a MERGE that may delete rows reads more than its partitions and would conflict).
   */
  public MaterializeJob(SparkSession spark, FeatureTables tables, Object writeLock) {
    this.spark = spark;
    this.tables = tables;
    this.writeLock = writeLock;
  }

  public MaterializeResult run(FeatureGroup group, LocalDate from, LocalDate to, Instant now) {
    return run(group, from, to, now, true);
  }

  /** As {@link #run(FeatureGroup, LocalDate, LocalDate, Instant)}; backfill updates the catalog once at its end. */
  public MaterializeResult run(FeatureGroup group, LocalDate from, LocalDate to, Instant now,
      boolean updateCatalog) {
    IngestJob.requireUtcSession(spark);
    String source = tables.ingested(group);
    if (!spark.catalog().tableExists(source)) {
      throw new IngestRejected("Cannot materialise " + group.name() + ": " + source + " does not "
          + "exist yet. Run ingest for the group first.");
    }
    describe(group, "compute features " + from + ".." + to);
    Dataset<Row> ingested = spark.table(source);
    Dataset<Row> features = withComments(FeatureComputation.compute(ingested, group, from, to), group)
        .sortWithinPartitions(FeatureGroup.EVENT_DATE)
        .withColumn(FeatureGroup.CREATED_TS, lit(Timestamp.from(now)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      String table = tables.features(group);
      // Computes and caches the range once (outside any write lock); the merge and the catalog
      // statistics read the cache. After the merge the range holds exactly these rows.
      long rowsOut = features.count();
      long[] counts;
      if (writeLock != null) {
        synchronized (writeLock) {
          describe(group, "merge into " + table);
          counts = merge(features, group, table, from, to);
        }
      } else {
        describe(group, "merge into " + table);
        counts = merge(features, group, table, from, to);
      }
      if (updateCatalog) {
        describe(group, "catalog statistics");
        new FeatureCatalog(spark, tables.catalog()).upsert(group, table, features, to, now);
      }
      return new MaterializeResult(group.name(), from, to, rowsOut, counts[0], counts[1], counts[2]);
    } finally {
      features.unpersist();
      spark.sparkContext().setJobDescription(null);
    }
  }

  private void describe(FeatureGroup group, String step) {
    spark.sparkContext().setJobDescription("lakeops materialize " + group.name() + ": " + step);
  }

  /** Returns {inserted, updated, deleted}. */
  private long[] merge(Dataset<Row> rows, FeatureGroup group, String table, LocalDate from, LocalDate to) {
    DeltaWrites.ensureDatabase(spark, table);
    if (!spark.catalog().tableExists(table)) {
      try {
        var writer = rows.writeTo(table).using("delta")
            .tableProperty("comment", group.description().isEmpty()
                ? "LakeOps feature group " + group.name() : group.description())
            .tableProperty("lakeops.group", group.name())
            .tableProperty("lakeops.definition-version", String.valueOf(group.version()))
            .tableProperty("lakeops.entity-keys", String.join(",", group.entityKeys()))
            .tableProperty("lakeops.ttl-seconds", String.valueOf(group.ttl().toSeconds()))
            // Row ids and commit versions per row: the point-in-time join breaks ties on the
            // commit version and fetches matched rows by row id.
            .tableProperty("delta.enableRowTracking", "true");
        // Not partitioned by day (tiny files); date pruning comes from Delta's file statistics.
        writer.create();
      } catch (org.apache.spark.sql.AnalysisException e) {
        throw new IllegalStateException("Cannot create " + table + ": " + e.getMessage(), e);
      }
      long n = spark.table(table).count();
      return new long[] {n, 0, 0};
    }
    addNewColumns(rows, group, table);
    StringBuilder on = new StringBuilder();
    for (String k : group.entityKeys()) {
      on.append("t.`").append(k).append("` <=> s.`").append(k).append("` AND ");
    }
    String range = "t.event_date BETWEEN DATE'" + from + "' AND DATE'" + to + "'";
    on.append("t.event_ts = s.event_ts AND ").append(range);
    List<String> differs = new ArrayList<>();
    Map<String, String> update = new LinkedHashMap<>();
    for (String f : group.featureNames()) {
      differs.add("NOT (t.`" + f + "` <=> s.`" + f + "`)");
      update.put("`" + f + "`", "s.`" + f + "`");
    }
    update.put(FeatureGroup.CREATED_TS, "s." + FeatureGroup.CREATED_TS);
    var builder = DeltaTable.forName(spark, table).as("t").merge(rows.as("s"), on.toString());
    if (!differs.isEmpty()) {
      builder = builder.whenMatched(String.join(" OR ", differs)).updateExpr(update);
    }
    builder.whenNotMatched().insertAll()
        .whenNotMatchedBySource(range).delete()
        .execute();
    Row metrics = DeltaTable.forName(spark, table).history(1).select("operationMetrics").first();
    Map<String, String> m = metrics.getJavaMap(0);
    return new long[] {parse(m, "numTargetRowsInserted"), parse(m, "numTargetRowsUpdated"),
        parse(m, "numTargetRowsDeleted")};
  }

  private static long parse(Map<String, String> metrics, String key) {
    String v = metrics == null ? null : metrics.get(key);
    return v == null ? 0 : Long.parseLong(v);
  }

  /** A new definition version may add features: add their columns (nullable) before merging. */
  private void addNewColumns(Dataset<Row> rows, FeatureGroup group, String table) {
    Set<String> existing = new HashSet<>(Arrays.asList(spark.table(table).columns()));
    List<String> added = new ArrayList<>();
    for (StructField f : rows.schema().fields()) {
      if (!existing.contains(f.name())) {
        added.add("`" + f.name() + "` " + f.dataType().sql());
      }
    }
    if (!added.isEmpty()) {
      spark.sql("ALTER TABLE " + table + " ADD COLUMNS (" + String.join(", ", added) + ")");
    }
    var tracking = spark.sql("SHOW TBLPROPERTIES " + table + " ('delta.enableRowTracking')").collectAsList();
    if (tracking.isEmpty() || !"true".equals(tracking.get(0).getString(1))) {
      // Tables made before row tracking was turned on get it now (Delta backfills the row ids).
      spark.sql("ALTER TABLE " + table + " SET TBLPROPERTIES ('delta.enableRowTracking' = 'true')");
    }
    String version = String.valueOf(group.version());
    var properties = spark.sql("SHOW TBLPROPERTIES " + table + " ('lakeops.definition-version')").collectAsList();
    if (properties.isEmpty() || !version.equals(properties.get(0).getString(1))) {
      spark.sql("ALTER TABLE " + table + " SET TBLPROPERTIES ('lakeops.definition-version' = '" + version + "')");
    }
  }

  /** Column comments from the definition's descriptions. */
  static Dataset<Row> withComments(Dataset<Row> rows, FeatureGroup group) {
    Map<String, String> descriptions = new LinkedHashMap<>();
    for (WindowAggregate a : group.aggregates()) {
      descriptions.put(a.name(), a.description().isEmpty() ? describe(a) : a.description());
    }
    for (DerivedFeature d : group.derived()) {
      descriptions.put(d.name(), d.description().isEmpty() ? d.expression() : d.description());
    }
    group.columns().forEach(c -> descriptions.putIfAbsent(c.name(), c.description()));
    descriptions.put(FeatureGroup.EVENT_TS, "Event time (UTC)");
    descriptions.put(FeatureGroup.EVENT_DATE, "UTC date of event_ts (partition)");
    List<Column> columns = new ArrayList<>();
    for (String name : rows.columns()) {
      String d = descriptions.getOrDefault(name, "");
      Metadata metadata = new MetadataBuilder().putString("comment", d).build();
      columns.add(col("`" + name + "`").as(name, metadata));
    }
    return rows.select(columns.toArray(Column[]::new));
  }

  static String describe(WindowAggregate a) {
    return a.function().label() + "(" + a.column().orElse("*") + ") over " + a.windowDays() + " days";
  }
}

package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;

import io.delta.tables.DeltaTable;
import io.lakeops.features.definition.DerivedFeature;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.WindowAggregate;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code lakeops.feature_catalog}: one row per (group, feature) for discovery: type,
 * description, owner, tags, source, how it is computed, definition version and the versions
 * seen, and the latest statistics (of the last materialised range), merged on (group, feature).
 */
public final class FeatureCatalog {

  static final StructType SCHEMA = new StructType()
      .add("group_name", DataTypes.StringType, false)
      .add("feature", DataTypes.StringType, false)
      .add("data_type", DataTypes.StringType, false)
      .add("description", DataTypes.StringType, true)
      .add("owner", DataTypes.StringType, true)
      .add("tags", DataTypes.createArrayType(DataTypes.StringType), true)
      .add("entity_keys", DataTypes.createArrayType(DataTypes.StringType), true)
      .add("feature_table", DataTypes.StringType, false)
      .add("source", DataTypes.StringType, true)
      .add("kind", DataTypes.StringType, false)
      .add("expression", DataTypes.StringType, true)
      .add("definition_version", DataTypes.IntegerType, false)
      .add("version_history", DataTypes.createArrayType(DataTypes.IntegerType), false)
      .add("ttl_days", DataTypes.DoubleType, true)
      .add("definition_file", DataTypes.StringType, true)
      .add("stats_through", DataTypes.DateType, true)
      .add("stats_rows", DataTypes.LongType, true)
      .add("stats_nulls", DataTypes.LongType, true)
      .add("stats_mean", DataTypes.DoubleType, true)
      .add("stats_min", DataTypes.DoubleType, true)
      .add("stats_max", DataTypes.DoubleType, true)
      .add("updated_at", DataTypes.TimestampType, false);

  private final SparkSession spark;
  private final String table;

  public FeatureCatalog(SparkSession spark, String table) {
    this.spark = spark;
    this.table = table;
  }

  public void upsert(FeatureGroup group, String featureTable, Dataset<Row> features, LocalDate through,
      Instant now) {
    List<String> names = group.featureNames();
    // Every statistic of every feature in one aggregation.
    List<Column> aggs = new ArrayList<>();
    aggs.add(functions.count(functions.lit(1)).as("rows"));
    for (String f : names) {
      Column c = col("`" + f + "`").cast("double");
      aggs.add(functions.sum(functions.when(col("`" + f + "`").isNull(), 1L).otherwise(0L)).as("nulls_" + f));
      aggs.add(functions.avg(c).as("mean_" + f));
      aggs.add(functions.min(c).as("min_" + f));
      aggs.add(functions.max(c).as("max_" + f));
    }
    Row stats = features.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
    Map<String, String> types = new java.util.HashMap<>();
    for (var f : features.schema().fields()) {
      types.put(f.name(), f.dataType().simpleString());
    }
    List<Row> rows = new ArrayList<>();
    for (WindowAggregate a : group.aggregates()) {
      rows.add(row(group, featureTable, a.name(), types, a.description(), "aggregate",
          MaterializeJob.describe(a), stats, through, now));
    }
    for (DerivedFeature d : group.derived()) {
      rows.add(row(group, featureTable, d.name(), types, d.description(), "derived", d.expression(),
          stats, through, now));
    }
    Dataset<Row> update = spark.createDataFrame(rows, SCHEMA);
    if (!spark.catalog().tableExists(table)) {
      DeltaWrites.append(spark, update, table, "LakeOps feature catalog: one row per feature");
      return;
    }
    Map<String, String> set = new java.util.LinkedHashMap<>();
    for (var f : SCHEMA.fields()) {
      set.put(f.name(), "s." + f.name());
    }
    set.put("version_history", "array_sort(array_distinct(concat(t.version_history, s.version_history)))");
    DeltaTable.forName(spark, table).as("t")
        .merge(update.as("s"), "t.group_name = s.group_name AND t.feature = s.feature")
        .whenMatched().updateExpr(set)
        .whenNotMatched().insertAll()
        .execute();
  }

  private static Row row(FeatureGroup g, String featureTable, String name, Map<String, String> types,
      String description, String kind, String expression, Row stats, LocalDate through, Instant now) {
    long rows = stats.getLong(stats.fieldIndex("rows"));
    Object nulls = stats.get(stats.fieldIndex("nulls_" + name));
    return RowFactory.create(g.name(), name, types.getOrDefault(name, "unknown"),
        description.isEmpty() ? expression : description, g.owner(), g.tags().toArray(String[]::new),
        g.entityKeys().toArray(String[]::new), featureTable,
        g.source().path().orElse(g.source().table().orElse("")), kind, expression, g.version(),
        new Integer[] {g.version()}, g.ttl().toSeconds() / 86_400.0, g.definitionFile(),
        Date.valueOf(through), rows, nulls == null ? 0L : ((Number) nulls).longValue(),
        number(stats, "mean_" + name), number(stats, "min_" + name), number(stats, "max_" + name),
        Timestamp.from(now));
  }

  private static Double number(Row r, String field) {
    Object v = r.get(r.fieldIndex(field));
    return v == null ? null : ((Number) v).doubleValue();
  }
}

package io.lakeops.drift.spark;

import static org.apache.spark.sql.functions.col;

import io.lakeops.drift.DriftColumn;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.profile.CategoricalState;
import io.lakeops.drift.profile.DriftProfile;
import io.lakeops.drift.profile.GroupKey;
import io.lakeops.drift.profile.GroupState;
import io.lakeops.drift.profile.NumericState;
import io.lakeops.drift.profile.PerformanceState;
import io.lakeops.drift.stats.EdgeHistogram;
import io.lakeops.features.spark.DeltaWrites;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * Reference profiles in Delta ({@code lakeops.drift_profiles} by default), one row per
 * (profile, segment, column) holding the mergeable state itself: counts, moments, the
 * quantile edges with the counts on them, and categories with the "other" bucket. A profile
 * is written once per id (a hash of what defines the reference) and read back instead of
 * scanning the reference again.
 */
public final class DriftProfiles {

  static final StructType SCHEMA = new StructType()
      .add("profile_id", DataTypes.StringType, false)
      .add("created_at", DataTypes.TimestampType, false)
      .add("definition", DataTypes.StringType, true)
      .add("segment_column", DataTypes.StringType, true)
      .add("segment", DataTypes.StringType, false)
      .add("group_rows", DataTypes.LongType, false)
      .add("column_name", DataTypes.StringType, false)
      .add("kind", DataTypes.StringType, false)
      .add("rows", DataTypes.LongType, false)
      .add("nulls", DataTypes.LongType, false)
      .add("nans", DataTypes.LongType, false)
      .add("pos_inf", DataTypes.LongType, false)
      .add("neg_inf", DataTypes.LongType, false)
      .add("finite", DataTypes.LongType, false)
      .add("mean", DataTypes.DoubleType, false)
      .add("m2", DataTypes.DoubleType, false)
      .add("min", DataTypes.DoubleType, false)
      .add("max", DataTypes.DoubleType, false)
      .add("edges", DataTypes.createArrayType(DataTypes.DoubleType), true)
      .add("at_edge", DataTypes.createArrayType(DataTypes.LongType), true)
      .add("interior", DataTypes.createArrayType(DataTypes.LongType), true)
      .add("interior_distance", DataTypes.createArrayType(DataTypes.DoubleType), true)
      .add("psi_edge_indexes", DataTypes.createArrayType(DataTypes.IntegerType), true)
      .add("categories", DataTypes.createArrayType(DataTypes.StringType), true)
      .add("category_counts", DataTypes.createArrayType(DataTypes.LongType), true)
      .add("other_count", DataTypes.LongType, false)
      .add("other_distinct", DataTypes.LongType, false)
      .add("overflow", DataTypes.BooleanType, false)
      .add("labelled", DataTypes.LongType, false)
      .add("positives", DataTypes.LongType, false)
      .add("errors", DataTypes.LongType, false)
      .add("brier_sum", DataTypes.DoubleType, false)
      .add("invalid", DataTypes.LongType, false);

  private static final String PERFORMANCE = "(performance)";
  private static final String AUC_POSITIVES = "auc_positives";
  private static final String AUC_NEGATIVES = "auc_negatives";

  private final SparkSession spark;
  private final String table;

  public DriftProfiles(SparkSession spark, String table) {
    this.spark = spark;
    this.table = table;
  }

  public String table() {
    return table;
  }

  /** Replaces the rows of this profile id (so a rerun leaves one copy). */
  public void save(DriftProfile profile, String definition, Instant createdAt) {
    List<Row> rows = new ArrayList<>();
    Timestamp ts = Timestamp.from(createdAt);
    for (Map.Entry<GroupKey, GroupState> e : profile.groups().entrySet()) {
      GroupKey k = e.getKey();
      GroupState g = e.getValue();
      String segColumn = k.segmentColumn(profile.segments());
      for (int j = 0; j < g.numeric.length; j++) {
        NumericState n = g.numeric[j];
        EdgeHistogram h = n.histogram;
        rows.add(RowFactory.create(profile.id(), ts, definition, segColumn, k.value(), g.rows,
            profile.numericColumns().get(j).name(), "numeric", n.rows, n.nulls, n.nans,
            n.positiveInfinities, n.negativeInfinities, n.finite, n.mean, n.m2, n.min, n.max,
            seq(h.edges()), seq(h.atEdge()), seq(h.interior()), seq(h.distance()),
            seq(n.psiEdgeIndexes), null, null, 0L, 0L, false, 0L, 0L, 0L, 0.0, 0L));
      }
      for (int j = 0; j < g.categorical.length; j++) {
        CategoricalState c = g.categorical[j];
        List<String> names = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        c.ranked().forEach(en -> {
          names.add(en.getKey());
          counts.add(en.getValue());
        });
        rows.add(RowFactory.create(profile.id(), ts, definition, segColumn, k.value(), g.rows,
            profile.categoricalColumns().get(j).name(), "categorical", c.rows, c.nulls, 0L, 0L, 0L,
            0L, 0.0, 0.0, 0.0, 0.0, null, null, null, null, null,
            JavaConverters.asScalaBuffer(names).toSeq(), JavaConverters.asScalaBuffer(counts).toSeq(),
            c.otherCount, c.otherDistinct, c.overflow, 0L, 0L, 0L, 0.0, 0L));
      }
      if (g.performance != null) {
        PerformanceState p = g.performance;
        rows.add(RowFactory.create(profile.id(), ts, definition, segColumn, k.value(), g.rows,
            PERFORMANCE, "performance", p.rows, 0L, 0L, 0L, 0L, 0L, 0.0, 0.0, 0.0, 0.0, null, null,
            null, null, null, null, null, 0L, 0L, false, p.labelled, p.positives, p.errors,
            p.brierSum, p.invalid));
        if (p.positiveScores != null) {
          // The AUC's score counts, one EdgeHistogram per class, in the numeric columns' layout.
          for (var h : List.of(Map.entry(AUC_POSITIVES, p.positiveScores), Map.entry(AUC_NEGATIVES, p.negativeScores))) {
            EdgeHistogram e2 = h.getValue();
            rows.add(RowFactory.create(profile.id(), ts, definition, segColumn, k.value(), g.rows,
                PERFORMANCE, h.getKey(), e2.total(), 0L, 0L, 0L, 0L, e2.total(), 0.0, 0.0, 0.0, 0.0,
                seq(e2.edges()), seq(e2.atEdge()), seq(e2.interior()), seq(e2.distance()), null, null,
                null, 0L, 0L, false, 0L, 0L, 0L, 0.0, 0L));
          }
        }
      }
    }
    DeltaWrites.replace(spark, spark.createDataFrame(rows, SCHEMA), table,
        col("profile_id").equalTo(profile.id()),
        "LakeOps drift reference profiles: mergeable state per profile, segment and column");
  }

  /** The stored profile with this id, laid out for {@code options}; empty when absent. */
  public Optional<DriftProfile> load(String id, DriftOptions options) {
    if (!spark.catalog().tableExists(table)) {
      return Optional.empty();
    }
    List<Row> rows = spark.table(table).where(col("profile_id").equalTo(id)).collectAsList();
    if (rows.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Integer> numericIndex = index(options.numericColumns());
    Map<String, Integer> categoricalIndex = index(options.categoricalColumns());
    Map<GroupKey, GroupState> groups = new HashMap<>();
    Map<GroupKey, Integer> found = new HashMap<>();
    for (Row r : rows) {
      String segColumn = r.getAs("segment_column");
      int segment = segColumn == null ? -1 : options.segments().indexOf(segColumn);
      if (segColumn != null && segment < 0) {
        continue; // a segment column this report does not use
      }
      GroupKey key = segment < 0 ? GroupKey.ALL : new GroupKey(segment, r.getAs("segment"));
      GroupState g = groups.computeIfAbsent(key, k -> {
        GroupState s = new GroupState(new NumericState[options.numericColumns().size()],
            new CategoricalState[options.categoricalColumns().size()],
            options.performance().isPresent() ? new PerformanceState() : null);
        s.rows = r.<Long>getAs("group_rows");
        return s;
      });
      String column = r.getAs("column_name");
      String kind = r.getAs("kind");
      if (kind.equals("numeric") && numericIndex.containsKey(column)) {
        g.numeric[numericIndex.get(column)] = numeric(r);
        found.merge(key, 1, Integer::sum);
      } else if (kind.equals("categorical") && categoricalIndex.containsKey(column)) {
        g.categorical[categoricalIndex.get(column)] = categorical(r);
        found.merge(key, 1, Integer::sum);
      } else if (kind.equals("performance") && g.performance != null) {
        PerformanceState p = g.performance;
        p.rows = r.getAs("rows");
        p.labelled = r.getAs("labelled");
        p.positives = r.getAs("positives");
        p.errors = r.getAs("errors");
        p.brierSum = r.getAs("brier_sum");
        p.invalid = r.getAs("invalid");
      } else if ((kind.equals(AUC_POSITIVES) || kind.equals(AUC_NEGATIVES)) && g.performance != null) {
        EdgeHistogram h = new EdgeHistogram(doubles(r, "edges"), longs(r, "at_edge"),
            longs(r, "interior"), doubles(r, "interior_distance"));
        if (kind.equals(AUC_POSITIVES)) {
          g.performance.positiveScores = h;
        } else {
          g.performance.negativeScores = h;
        }
      }
    }
    int expected = options.numericColumns().size() + options.categoricalColumns().size();
    for (Map.Entry<GroupKey, GroupState> e : groups.entrySet()) {
      if (found.getOrDefault(e.getKey(), 0) != expected) {
        List<String> missing = new ArrayList<>();
        for (DriftColumn c : options.columns()) {
          boolean has = numericIndex.containsKey(c.name())
              ? e.getValue().numeric[numericIndex.get(c.name())] != null
              : e.getValue().categorical[categoricalIndex.get(c.name())] != null;
          if (!has) {
            missing.add(c.name() + " (" + c.kind().name().toLowerCase(java.util.Locale.ROOT) + ")");
          }
        }
        throw new IllegalArgumentException("Cannot use stored profile " + id + " from " + table
            + ": it has no state for " + missing + ". Profile the reference again (drop the "
            + "profile id from the spec).");
      }
    }
    return Optional.of(DriftProfile.of(id, options.numericColumns(), options.categoricalColumns(),
        options.segments(), groups));
  }

  private static NumericState numeric(Row r) {
    NumericState n = new NumericState();
    n.rows = r.getAs("rows");
    n.nulls = r.getAs("nulls");
    n.nans = r.getAs("nans");
    n.positiveInfinities = r.getAs("pos_inf");
    n.negativeInfinities = r.getAs("neg_inf");
    n.finite = r.getAs("finite");
    n.mean = r.getAs("mean");
    n.m2 = r.getAs("m2");
    n.min = r.getAs("min");
    n.max = r.getAs("max");
    n.histogram = new EdgeHistogram(doubles(r, "edges"), longs(r, "at_edge"), longs(r, "interior"),
        doubles(r, "interior_distance"));
    n.psiEdgeIndexes = r.<Integer>getList(r.fieldIndex("psi_edge_indexes")).stream().mapToInt(Integer::intValue).toArray();
    return n;
  }

  private static CategoricalState categorical(Row r) {
    List<String> names = r.getList(r.fieldIndex("categories"));
    List<Long> counts = r.getList(r.fieldIndex("category_counts"));
    Map<String, Long> map = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      map.put(names.get(i), counts.get(i));
    }
    return new CategoricalState(r.<Long>getAs("rows"), r.<Long>getAs("nulls"), map,
        r.<Long>getAs("other_count"), r.<Long>getAs("other_distinct"), r.<Boolean>getAs("overflow"));
  }

  private static Map<String, Integer> index(List<DriftColumn> columns) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      m.put(columns.get(i).name(), i);
    }
    return m;
  }

  private static double[] doubles(Row r, String field) {
    return r.<Double>getList(r.fieldIndex(field)).stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static long[] longs(Row r, String field) {
    return r.<Long>getList(r.fieldIndex(field)).stream().mapToLong(Long::longValue).toArray();
  }

  private static scala.collection.Seq<Object> seq(double[] a) {
    List<Object> l = new ArrayList<>();
    for (double v : a) {
      l.add(v);
    }
    return JavaConverters.asScalaBuffer(l).toSeq();
  }

  private static scala.collection.Seq<Object> seq(long[] a) {
    List<Object> l = new ArrayList<>();
    for (long v : a) {
      l.add(v);
    }
    return JavaConverters.asScalaBuffer(l).toSeq();
  }

  private static scala.collection.Seq<Object> seq(int[] a) {
    List<Object> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return JavaConverters.asScalaBuffer(l).toSeq();
  }
}

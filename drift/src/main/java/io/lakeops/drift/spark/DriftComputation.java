package io.lakeops.drift.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.lakeops.drift.ColumnKind;
import io.lakeops.drift.DriftColumn;
import io.lakeops.drift.DriftEvaluator;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftReportInfo;
import io.lakeops.drift.profile.CategoricalState;
import io.lakeops.drift.profile.DriftProfile;
import io.lakeops.drift.profile.GroupKey;
import io.lakeops.drift.profile.GroupState;
import io.lakeops.drift.profile.NumericState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;

/**
 * Computes drift reports with a fixed number of Spark jobs, whatever the number of columns or
 * segments: profiling a reference takes one pass for the quantile sketches of every numeric
 * column (skipped without numeric columns) and one pass that counts, on the resulting edges,
 * the reference and the current window together; against a stored profile only the current
 * window is read, once. Each pass is one RDD fold (one Spark job, no shuffle, so adaptive
 * execution cannot split it).
 */
public final class DriftComputation {

  private static final String SIDE = "__lakeops_side";

  private final SparkSession spark;
  private final DriftOptions options;
  private int passes;

  public DriftComputation(SparkSession spark, DriftOptions options) {
    this.spark = spark;
    this.options = options;
  }

  /** A reference profile and the report against the current window, from both data sets (2 jobs). */
  public record Result(DriftProfile reference, DriftProfile current, DriftReport report) {}

  /** Profiles {@code reference} and compares {@code current} with it: two Spark jobs. */
  public Result compare(DriftReportInfo info, Dataset<Row> reference, String profileId,
      Dataset<Row> current) {
    passes = 0;
    checkColumns(reference, "reference");
    checkColumns(current, "current window");
    groupEdges.clear();
    if (!options.numericColumns().isEmpty()) {
      PassState sketches = run(project(reference, 0, true), true, null,
          "reference quantile sketches of " + options.numericColumns().size() + " numeric columns");
      for (Map.Entry<GroupKey, GroupState> e : sketches.reference.entrySet()) {
        NumericState.Edges[] perColumn = new NumericState.Edges[options.numericColumns().size()];
        for (int j = 0; j < perColumn.length; j++) {
          perColumn[j] = e.getValue().numeric[j].edges(options.fineBins(), options.bins());
        }
        groupEdges.put(e.getKey(), perColumn);
      }
    }
    PassState counts = run(project(reference, 0, false).union(project(current, 1, false)), false,
        groupEdges, "reference and current counts on the reference's edges");
    DriftProfile ref = referenceProfile(profileId, counts.reference);
    DriftProfile cur = DriftProfile.of("", options.numericColumns(), options.categoricalColumns(),
        options.segments(), counts.current);
    DriftReport report = new DriftEvaluator(options).evaluate(info, ref, cur, false).withSparkJobs(passes);
    groupEdges.clear();
    return new Result(ref, cur, report);
  }

  private final Map<GroupKey, NumericState.Edges[]> groupEdges = new HashMap<>();

  /** Compares {@code current} with a stored reference profile: one Spark job. */
  public Result compare(DriftReportInfo info, DriftProfile reference, Dataset<Row> current) {
    passes = 0;
    checkColumns(current, "current window");
    groupEdges.clear();
    for (Map.Entry<GroupKey, GroupState> e : reference.groups().entrySet()) {
      NumericState.Edges[] perColumn = new NumericState.Edges[options.numericColumns().size()];
      for (int j = 0; j < perColumn.length; j++) {
        NumericState n = e.getValue().numeric[j];
        perColumn[j] = new NumericState.Edges(n.histogram.edges(), n.psiEdgeIndexes);
      }
      groupEdges.put(e.getKey(), perColumn);
    }
    PassState counts = run(project(current, 1, false), false, groupEdges,
        "current counts on the stored profile's edges");
    DriftProfile cur = DriftProfile.of("", options.numericColumns(), options.categoricalColumns(),
        options.segments(), counts.current);
    DriftReport report = new DriftEvaluator(options).evaluate(info, reference, cur, true).withSparkJobs(passes);
    groupEdges.clear();
    return new Result(reference, cur, report);
  }

  /** Spark jobs the last comparison ran. */
  public int passes() {
    return passes;
  }

  private DriftProfile referenceProfile(String id, Map<GroupKey, GroupState> groups) {
    Map<GroupKey, GroupState> kept = new HashMap<>();
    for (Map.Entry<GroupKey, GroupState> e : groups.entrySet()) {
      GroupState g = e.getValue();
      NumericState.Edges[] perColumn = groupEdges.get(e.getKey());
      for (int j = 0; j < g.numeric.length; j++) {
        g.numeric[j].psiEdgeIndexes = perColumn == null ? new int[0] : perColumn[j].psiIndexes();
      }
      CategoricalState[] truncated = new CategoricalState[g.categorical.length];
      for (int j = 0; j < truncated.length; j++) {
        truncated[j] = g.categorical[j].truncated(options.maxCategories());
      }
      GroupState t = new GroupState(g.numeric, truncated, g.performance);
      t.rows = g.rows;
      kept.put(e.getKey(), t);
    }
    return DriftProfile.of(id, options.numericColumns(), options.categoricalColumns(), options.segments(), kept);
  }

  private PassState run(Dataset<Row> projected, boolean sketchMode,
      Map<GroupKey, NumericState.Edges[]> edges, String step) {
    ProfilePass.Layout layout = new ProfilePass.Layout(options.segments(),
        options.numericColumns().size(), options.categoricalColumns().size(),
        options.performance().isPresent(),
        options.performance().map(DriftOptions.Performance::decisionThreshold).orElse(0.5),
        options.performance().map(p -> numericIndex(p.prediction())).orElse(-1),
        options.sketchRelativeError(), options.maxDistinct(), options.maxSegments());
    Broadcast<Map<GroupKey, double[][]>> broadcast = null;
    if (edges != null) {
      Map<GroupKey, double[][]> fine = new HashMap<>();
      edges.forEach((k, v) -> {
        double[][] perColumn = new double[v.length][];
        for (int j = 0; j < v.length; j++) {
          perColumn[j] = v[j].fine();
        }
        fine.put(k, perColumn);
      });
      broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(fine);
    }
    String previous = spark.sparkContext().getLocalProperty("spark.job.description");
    spark.sparkContext().setJobDescription((previous == null ? "lakeops drift" : previous)
        + ": pass " + (passes + 1) + ", " + step);
    try {
      passes++;
      return projected.queryExecution().toRdd().toJavaRDD()
          .mapPartitions(new ProfilePass(layout, sketchMode, broadcast))
          .fold(new PassState(), PassState::merge);
    } finally {
      spark.sparkContext().setJobDescription(previous);
      if (broadcast != null) {
        broadcast.destroy();
      }
    }
  }

  /** The index of {@code name} among the numeric columns, or -1. */
  private int numericIndex(String name) {
    List<DriftColumn> numeric = options.numericColumns();
    for (int i = 0; i < numeric.size(); i++) {
      if (numeric.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** side, segments as strings, numeric columns as doubles, categories as strings, [prediction, label]. */
  private Dataset<Row> project(Dataset<Row> data, int side, boolean numericOnly) {
    List<Column> columns = new ArrayList<>();
    columns.add(lit(side).as(SIDE));
    for (String s : options.segments()) {
      columns.add(quoted(s).cast("string"));
    }
    for (DriftColumn c : options.numericColumns()) {
      columns.add(quoted(c.name()).cast("double"));
    }
    if (!numericOnly) {
      for (DriftColumn c : options.categoricalColumns()) {
        columns.add(quoted(c.name()).cast("string"));
      }
      options.performance().ifPresent(p -> {
        columns.add(quoted(p.prediction()).cast("double"));
        columns.add(quoted(p.label()).cast("double"));
      });
    }
    return data.select(columns.toArray(Column[]::new));
  }

  private static Column quoted(String name) {
    return col("`" + name.replace("`", "``") + "`");
  }

  /** Every column must exist with a type its kind can compare. */
  private void checkColumns(Dataset<Row> data, String side) {
    Map<String, DataType> types = new HashMap<>();
    for (StructField f : data.schema().fields()) {
      types.put(f.name(), f.dataType());
    }
    List<String> names = new ArrayList<>(options.segments());
    options.performance().ifPresent(p -> {
      names.add(p.prediction());
      names.add(p.label());
    });
    for (String name : names) {
      if (!types.containsKey(name)) {
        throw new IllegalArgumentException("Cannot find column " + name + " in the " + side
            + ". Its columns: " + types.keySet().stream().sorted().toList());
      }
    }
    for (DriftColumn c : options.columns()) {
      DataType t = types.get(c.name());
      if (t == null) {
        throw new IllegalArgumentException("Cannot find column " + c.name() + " in the " + side
            + ". Its columns: " + types.keySet().stream().sorted().toList());
      }
      if (c.kind() == ColumnKind.NUMERIC && !(t instanceof NumericType)) {
        throw new IllegalArgumentException("Cannot compare column " + c.name() + " as numeric: it is "
            + t.simpleString() + " in the " + side + ". Declare it categorical.");
      }
      if (c.kind() == ColumnKind.CATEGORICAL && !(t instanceof StringType || t instanceof BooleanType
          || t instanceof NumericType || t.simpleString().equals("date"))) {
        throw new IllegalArgumentException("Cannot compare column " + c.name() + " as categorical: it is "
            + t.simpleString() + " in the " + side + ". Use a string, boolean, integer or date column.");
      }
    }
    options.performance().ifPresent(p -> {
      for (String name : List.of(p.prediction(), p.label())) {
        DataType t = types.get(name);
        if (!(t instanceof NumericType || t instanceof BooleanType)) {
          throw new IllegalArgumentException("Cannot use column " + name + " for performance: it is "
              + t.simpleString() + " in the " + side + ". Use a numeric or boolean column.");
        }
      }
    });
  }
}

package io.lakeops.drift.spark;

import io.lakeops.drift.profile.CategoricalState;
import io.lakeops.drift.profile.GroupKey;
import io.lakeops.drift.profile.GroupState;
import io.lakeops.drift.profile.NumericState;
import io.lakeops.drift.profile.PerformanceState;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * One pass over projected rows ({@code side, segments..., numeric..., categorical...,
 * [prediction, label]}), folding every row into the state of all rows and of its segment in
 * each segment column, on its side: the grouping sets of the report, in one scan. Each
 * partition yields one {@link PassState}; the driver merges them (one Spark job).
 *
 * <p>In sketch mode only numeric columns are read, into quantile sketches (the reference's
 * first pass); otherwise numeric values go into histograms on the reference's edges, with
 * categories and performance counted too.
 */
final class ProfilePass implements FlatMapFunction<Iterator<InternalRow>, PassState> {
  private static final long serialVersionUID = 1L;

  /** Layout and limits of a pass. */
  record Layout(List<String> segments, int numeric, int categorical, boolean performance,
      double decisionThreshold, int predictionColumn, double sketchRelativeError, int maxDistinct,
      int maxSegments) implements Serializable {}

  private final Layout layout;
  private final boolean sketchMode;
  /** Per group, per numeric column: the reference's fine edges (null in sketch mode). */
  private final Broadcast<Map<GroupKey, double[][]>> edges;

  ProfilePass(Layout layout, boolean sketchMode, Broadcast<Map<GroupKey, double[][]>> edges) {
    this.layout = layout;
    this.sketchMode = sketchMode;
    this.edges = edges;
  }

  @Override
  public Iterator<PassState> call(Iterator<InternalRow> rows) {
    PassState state = new PassState();
    Map<GroupKey, double[][]> edgeMap = edges == null ? Map.of() : edges.value();
    TaskContext task = TaskContext.get();
    long partition = task == null ? 0 : task.partitionId();
    int s = layout.segments().size();
    int n = layout.numeric();
    int c = sketchMode ? 0 : layout.categorical();
    boolean perf = layout.performance() && !sketchMode;
    Counted[] groups = new Counted[s + 1];
    double[] nums = new double[n];
    boolean[] numNull = new boolean[n];
    int[] codes = new int[c];
    // Categories are coded once per row through a dictionary per column of this partition, so
    // each group (all rows, each segment) only increments an array: no string is decoded and no
    // map is updated per group.
    CategoryDictionary[] dictionaries = new CategoryDictionary[c];
    for (int j = 0; j < c; j++) {
      dictionaries[j] = new CategoryDictionary(layout.maxDistinct());
    }
    @SuppressWarnings("unchecked")
    Map<UTF8String, Counted>[][] bySegment = new Map[2][s];
    Counted[][] nullSegment = new Counted[2][s];
    for (int side = 0; side < 2; side++) {
      for (int i = 0; i < s; i++) {
        bySegment[side][i] = new HashMap<>();
      }
    }
    List<Counted> created = new ArrayList<>();
    Counted[] all = new Counted[2];
    while (rows.hasNext()) {
      InternalRow row = rows.next();
      int side = row.getInt(0);
      if (all[side] == null) {
        all[side] = newGroup(GroupKey.ALL, edgeMap, partition, c);
        state.side(side).put(GroupKey.ALL, all[side].state);
        created.add(all[side]);
      }
      groups[0] = all[side];
      for (int i = 0; i < s; i++) {
        Counted g;
        if (row.isNullAt(1 + i)) {
          g = nullSegment[side][i];
          if (g == null) {
            g = segment(state, side, i, GroupKey.NULL_VALUE, bySegment[side][i].size(), edgeMap, partition, c);
            nullSegment[side][i] = g;
            created.add(g);
          }
        } else {
          UTF8String value = row.getUTF8String(1 + i);
          g = bySegment[side][i].get(value);
          if (g == null) {
            int known = bySegment[side][i].size() + (nullSegment[side][i] == null ? 0 : 1);
            g = segment(state, side, i, value.toString(), known, edgeMap, partition, c);
            bySegment[side][i].put(value.clone(), g);
            created.add(g);
          }
        }
        groups[1 + i] = g;
      }
      int base = 1 + s;
      for (int j = 0; j < n; j++) {
        numNull[j] = row.isNullAt(base + j);
        nums[j] = numNull[j] ? 0 : row.getDouble(base + j);
      }
      base += layout.numeric();
      for (int j = 0; j < c; j++) {
        codes[j] = row.isNullAt(base + j) ? CategoryDictionary.NULL
            : dictionaries[j].code(row.getUTF8String(base + j));
      }
      base += layout.categorical();
      Double prediction = null;
      Double label = null;
      if (perf) {
        prediction = row.isNullAt(base) ? null : row.getDouble(base);
        label = row.isNullAt(base + 1) ? null : row.getDouble(base + 1);
      }
      for (Counted counted : groups) {
        GroupState g = counted.state;
        g.rows++;
        for (int j = 0; j < n; j++) {
          if (numNull[j]) {
            g.numeric[j].addNull();
          } else {
            g.numeric[j].add(nums[j]);
          }
        }
        for (int j = 0; j < c; j++) {
          counted.count(j, codes[j]);
        }
        if (perf) {
          g.performance.add(prediction, label, layout.decisionThreshold());
        }
      }
    }
    for (Counted g : created) {
      g.flush(dictionaries);
    }
    return List.of(state).iterator();
  }

  private Counted segment(PassState state, int side, int column, String value, int known,
      Map<GroupKey, double[][]> edgeMap, long partition, int categorical) {
    if (known >= layout.maxSegments()) {
      throw new IllegalArgumentException("Cannot segment by " + layout.segments().get(column)
          + ": it has more than " + layout.maxSegments() + " distinct values. Segment by a "
          + "column with fewer values, or raise max-segments.");
    }
    GroupKey key = new GroupKey(column, value);
    Counted g = newGroup(key, edgeMap, partition, categorical);
    state.side(side).put(key, g.state);
    return g;
  }

  private Counted newGroup(GroupKey key, Map<GroupKey, double[][]> edgeMap, long partition,
      int categoricalColumns) {
    NumericState[] numeric = new NumericState[layout.numeric()];
    double[][] groupEdges = edgeMap.get(key);
    for (int j = 0; j < numeric.length; j++) {
      // A seed per partition, group and column: independent compaction coins, reproducible runs.
      long seed = (partition * 1_000_003L + key.hashCode()) * 1_009L + j;
      numeric[j] = sketchMode ? NumericState.withSketch(layout.sketchRelativeError(), seed)
          : NumericState.withEdges(groupEdges == null ? new double[0] : groupEdges[j]);
    }
    CategoricalState[] categorical = new CategoricalState[sketchMode ? 0 : layout.categorical()];
    for (int j = 0; j < categorical.length; j++) {
      categorical[j] = new CategoricalState(layout.maxDistinct());
    }
    PerformanceState performance = null;
    if (layout.performance() && !sketchMode) {
      int p = layout.predictionColumn();
      performance = PerformanceState.withScoreEdges(p < 0 ? null
          : groupEdges == null ? new double[0] : groupEdges[p]);
    }
    return new Counted(new GroupState(numeric, categorical, performance), categoricalColumns);
  }

  /** Codes of one column's categories in one partition, up to {@code maxDistinct} of them. */
  static final class CategoryDictionary {
    static final int NULL = -1;
    static final int OVERFLOW = -2;
    private final Map<UTF8String, Integer> codes = new HashMap<>();
    final List<String> names = new ArrayList<>();
    private final int maxDistinct;

    CategoryDictionary(int maxDistinct) {
      this.maxDistinct = maxDistinct;
    }

    int code(UTF8String value) {
      Integer code = codes.get(value);
      if (code != null) {
        return code;
      }
      if (names.size() >= maxDistinct) {
        return OVERFLOW;
      }
      // The row's bytes may be reused by the next row: keep a copy.
      codes.put(value.clone(), names.size());
      names.add(value.toString());
      return names.size() - 1;
    }
  }

  /** A group's state, with its category counts by code until the partition ends. */
  static final class Counted {
    final GroupState state;
    private final long[][] categories;
    private final long[] nulls;
    private final long[] overflow;

    Counted(GroupState state, int categoricalColumns) {
      this.state = state;
      this.categories = new long[categoricalColumns][16];
      this.nulls = new long[categoricalColumns];
      this.overflow = new long[categoricalColumns];
    }

    void count(int column, int code) {
      if (code == CategoryDictionary.NULL) {
        nulls[column]++;
      } else if (code == CategoryDictionary.OVERFLOW) {
        overflow[column]++;
      } else {
        long[] counts = categories[column];
        if (code >= counts.length) {
          counts = Arrays.copyOf(counts, Math.max(code + 1, counts.length * 2));
          categories[column] = counts;
        }
        counts[code]++;
      }
    }

    void flush(CategoryDictionary[] dictionaries) {
      for (int j = 0; j < categories.length; j++) {
        CategoricalState target = state.categorical[j];
        long[] counts = categories[j];
        for (int code = 0; code < counts.length; code++) {
          if (counts[code] > 0) {
            target.add(dictionaries[j].names.get(code), counts[code]);
          }
        }
        target.addNulls(nulls[j]);
        target.addOverflow(overflow[j]);
      }
    }
  }
}

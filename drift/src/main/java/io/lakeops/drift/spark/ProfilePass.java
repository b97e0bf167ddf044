package io.lakeops.drift.spark;

import io.lakeops.drift.profile.CategoricalState;
import io.lakeops.drift.profile.GroupKey;
import io.lakeops.drift.profile.GroupState;
import io.lakeops.drift.profile.NumericState;
import io.lakeops.drift.profile.PerformanceState;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;

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
      double decisionThreshold, double sketchRelativeError, int maxDistinct, int maxSegments)
      implements Serializable {}

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
    int s = layout.segments().size();
    int n = layout.numeric();
    int c = sketchMode ? 0 : layout.categorical();
    boolean perf = layout.performance() && !sketchMode;
    GroupState[] groups = new GroupState[s + 1];
    double[] nums = new double[n];
    boolean[] numNull = new boolean[n];
    String[] cats = new String[c];
    @SuppressWarnings("unchecked")
    Map<String, GroupState>[][] bySegment = new Map[2][s];
    for (int side = 0; side < 2; side++) {
      for (int i = 0; i < s; i++) {
        bySegment[side][i] = new HashMap<>();
      }
    }
    GroupState[] all = new GroupState[2];
    while (rows.hasNext()) {
      InternalRow row = rows.next();
      int side = row.getInt(0);
      if (all[side] == null) {
        all[side] = newGroup(GroupKey.ALL, edgeMap);
        state.side(side).put(GroupKey.ALL, all[side]);
      }
      groups[0] = all[side];
      for (int i = 0; i < s; i++) {
        String value = row.isNullAt(1 + i) ? GroupKey.NULL_VALUE : row.getUTF8String(1 + i).toString();
        GroupState g = bySegment[side][i].get(value);
        if (g == null) {
          if (bySegment[side][i].size() >= layout.maxSegments()) {
            throw new IllegalArgumentException("Cannot segment by " + layout.segments().get(i)
                + ": it has more than " + layout.maxSegments() + " distinct values. Segment by a "
                + "column with fewer values, or raise max-segments.");
          }
          GroupKey key = new GroupKey(i, value);
          g = newGroup(key, edgeMap);
          bySegment[side][i].put(value, g);
          state.side(side).put(key, g);
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
        cats[j] = row.isNullAt(base + j) ? null : row.getUTF8String(base + j).toString();
      }
      base += layout.categorical();
      Double prediction = null;
      Double label = null;
      if (perf) {
        prediction = row.isNullAt(base) ? null : row.getDouble(base);
        label = row.isNullAt(base + 1) ? null : row.getDouble(base + 1);
      }
      for (GroupState g : groups) {
        g.rows++;
        for (int j = 0; j < n; j++) {
          if (numNull[j]) {
            g.numeric[j].addNull();
          } else {
            g.numeric[j].add(nums[j]);
          }
        }
        for (int j = 0; j < c; j++) {
          g.categorical[j].add(cats[j]);
        }
        if (perf) {
          g.performance.add(prediction, label, layout.decisionThreshold());
        }
      }
    }
    state.reference.values().forEach(GroupState::compress);
    state.current.values().forEach(GroupState::compress);
    return List.of(state).iterator();
  }

  private GroupState newGroup(GroupKey key, Map<GroupKey, double[][]> edgeMap) {
    NumericState[] numeric = new NumericState[layout.numeric()];
    double[][] groupEdges = edgeMap.get(key);
    for (int j = 0; j < numeric.length; j++) {
      numeric[j] = sketchMode ? NumericState.withSketch(layout.sketchRelativeError())
          : NumericState.withEdges(groupEdges == null ? new double[0] : groupEdges[j]);
    }
    CategoricalState[] categorical = new CategoricalState[sketchMode ? 0 : layout.categorical()];
    for (int j = 0; j < categorical.length; j++) {
      categorical[j] = new CategoricalState(layout.maxDistinct());
    }
    return new GroupState(numeric, categorical,
        layout.performance() && !sketchMode ? new PerformanceState() : null);
  }
}

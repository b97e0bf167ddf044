package io.lakeops.drift.profile;

import io.lakeops.drift.DriftColumn;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The state of one side (a reference or a current window) per group: all rows and each
 * segment. A reference profile holds, for numeric columns, the histogram on its own quantile
 * edges, and for categorical columns its top categories and an "other" bucket; it is stored in
 * Delta as is and reused.
 *
 * @param id profile id (a hash of what defines the reference), or empty for a current window
 * @param numericColumns the numeric columns, in state order
 * @param categoricalColumns the categorical columns, in state order
 * @param segments the segment columns ({@link GroupKey#segment()} indexes them)
 * @param groups state per group
 */
public record DriftProfile(String id, List<DriftColumn> numericColumns,
    List<DriftColumn> categoricalColumns, List<String> segments, SortedMap<GroupKey, GroupState> groups) {

  public DriftProfile {
    numericColumns = List.copyOf(numericColumns);
    categoricalColumns = List.copyOf(categoricalColumns);
    segments = List.copyOf(segments);
    groups = new TreeMap<>(groups);
  }

  public static DriftProfile of(String id, List<DriftColumn> numeric, List<DriftColumn> categorical,
      List<String> segments, Map<GroupKey, GroupState> groups) {
    return new DriftProfile(id, numeric, categorical, segments, new TreeMap<>(groups));
  }

  public long rows() {
    GroupState all = groups.get(GroupKey.ALL);
    return all == null ? 0 : all.rows;
  }
}

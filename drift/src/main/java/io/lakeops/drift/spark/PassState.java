package io.lakeops.drift.spark;

import io.lakeops.drift.profile.GroupKey;
import io.lakeops.drift.profile.GroupState;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/** What one pass collects: the state of every group, for side 0 (reference) and 1 (current). */
final class PassState implements Serializable {
  private static final long serialVersionUID = 1L;

  final Map<GroupKey, GroupState> reference = new HashMap<>();
  final Map<GroupKey, GroupState> current = new HashMap<>();

  Map<GroupKey, GroupState> side(int side) {
    return side == 0 ? reference : current;
  }

  PassState merge(PassState o) {
    mergeInto(reference, o.reference);
    mergeInto(current, o.current);
    return this;
  }

  private static void mergeInto(Map<GroupKey, GroupState> into, Map<GroupKey, GroupState> from) {
    for (Map.Entry<GroupKey, GroupState> e : from.entrySet()) {
      GroupState existing = into.get(e.getKey());
      if (existing == null) {
        into.put(e.getKey(), e.getValue());
      } else {
        existing.merge(e.getValue());
      }
    }
  }
}

package io.lakeops.drift.profile;

import java.io.Serializable;

/** The state of every compared column for one group (all rows, or one segment) of one side. */
public final class GroupState implements Serializable {
  private static final long serialVersionUID = 1L;

  public long rows;
  public final NumericState[] numeric;
  public final CategoricalState[] categorical;
  public final PerformanceState performance;

  public GroupState(NumericState[] numeric, CategoricalState[] categorical, PerformanceState performance) {
    this.numeric = numeric;
    this.categorical = categorical;
    this.performance = performance;
  }

  public void merge(GroupState o) {
    rows += o.rows;
    for (int i = 0; i < numeric.length; i++) {
      numeric[i].merge(o.numeric[i]);
    }
    for (int i = 0; i < categorical.length; i++) {
      categorical[i].merge(o.categorical[i]);
    }
    if (performance != null && o.performance != null) {
      performance.merge(o.performance);
    }
  }
}

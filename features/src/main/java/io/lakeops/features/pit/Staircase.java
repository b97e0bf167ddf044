package io.lakeops.features.pit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The feature rows of one (entity, group) that can still be the answer for a later spine time,
 * as the streaming pass sees them in event time order.
 *
 * <p>Rows are ordered by (event_ts, created_ts, commit version, row id): the latest is the answer,
 * ties broken in that order. In point-in-time mode only the greatest row can ever be the answer,
 * so one is kept. In "as known at" mode a row is usable at spine time t only when its
 * created_ts &lt;= t, so a row stays a candidate until a greater row that became known no later
 * replaces it: the kept rows have increasing order and strictly increasing created_ts (a
 * staircase). The answer at t is the last kept row with created_ts &lt;= t; spine times only grow
 * within an entity, so rows out of the TTL at t are pruned from the front.
 */
final class Staircase implements Serializable {

  private static final long serialVersionUID = 1L;

  static final int TS = 0;
  static final int CREATED = 1;
  static final int VERSION = 2;
  static final int ROW_ID = 3;

  private final boolean asKnownAt;
  private final ArrayList<long[]> rows = new ArrayList<>();

  Staircase(boolean asKnownAt) {
    this.asKnownAt = asKnownAt;
  }

  private long known(long[] row) {
    return asKnownAt ? row[CREATED] : Long.MIN_VALUE;
  }

  static int compareOrder(long[] a, long[] b) {
    for (int i = 0; i < 4; i++) {
      int c = Long.compare(a[i], b[i]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** Adds a feature row {ts, created, version, rowId}. */
  void add(long[] row) {
    int pos = rows.size();
    while (pos > 0 && compareOrder(rows.get(pos - 1), row) > 0) {
      pos--;
    }
    long known = known(row);
    // A greater row that was known no later makes this one useless.
    if (pos < rows.size() && known(rows.get(pos)) <= known) {
      return;
    }
    // Smaller rows known no earlier can no longer be the answer.
    while (pos > 0 && known(rows.get(pos - 1)) >= known) {
      rows.remove(pos - 1);
      pos--;
    }
    rows.add(pos, row);
  }

  /**
   * The row to use at spine time {@code t} (microseconds), or null: the greatest row known at
   * {@code t}, when its event time is within {@code [t - ttl, t]}. Rows added so far must all have
   * {@code event_ts <= t}.
   */
  long[] answer(long t, long ttlMicros) {
    for (int i = rows.size() - 1; i >= 0; i--) {
      long[] row = rows.get(i);
      if (known(row) <= t) {
        return row[TS] >= t - ttlMicros ? row : null;
      }
    }
    return null;
  }

  /** Drops rows that are out of the TTL at {@code t} and so at every later spine time. */
  void prune(long t, long ttlMicros) {
    int n = 0;
    while (n < rows.size() && rows.get(n)[TS] < t - ttlMicros) {
      n++;
    }
    if (n > 0) {
      rows.subList(0, n).clear();
    }
  }

  List<long[]> rows() {
    return rows;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }
}

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
  /** Where the row's feature values are (not part of the order): see {@link AsOfMatcher}. */
  static final int PAYLOAD = 4;
  private static final int STRIDE = 5;

  private final boolean asKnownAt;
  /** The kept rows, {@link #STRIDE} longs each (no object per row: the pass adds millions). */
  private long[] rows = new long[STRIDE];
  private int size;

  Staircase(boolean asKnownAt) {
    this.asKnownAt = asKnownAt;
  }

  private long known(int i) {
    return asKnownAt ? rows[i * STRIDE + CREATED] : Long.MIN_VALUE;
  }

  /** Compares kept row {@code i} with (ts, created, version, rowId) in the answer order. */
  private int compare(int i, long ts, long created, long version, long rowId) {
    int at = i * STRIDE;
    int c = Long.compare(rows[at + TS], ts);
    c = c != 0 ? c : Long.compare(rows[at + CREATED], created);
    c = c != 0 ? c : Long.compare(rows[at + VERSION], version);
    return c != 0 ? c : Long.compare(rows[at + ROW_ID], rowId);
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

  /** Adds a feature row {ts, created, version, rowId, payload}. */
  void add(long[] row) {
    add(row[TS], row[CREATED], row[VERSION], row[ROW_ID], row[PAYLOAD]);
  }

  /** Adds a feature row without a payload. */
  void add(long ts, long created, long version, long rowId) {
    add(ts, created, version, rowId, 0);
  }

  /** Adds a feature row; {@code payload} rides along and is not compared. */
  void add(long ts, long created, long version, long rowId, long payload) {
    int pos = size;
    while (pos > 0 && compare(pos - 1, ts, created, version, rowId) > 0) {
      pos--;
    }
    long known = asKnownAt ? created : Long.MIN_VALUE;
    // A greater row that was known no later makes this one useless.
    if (pos < size && known(pos) <= known) {
      return;
    }
    // Smaller rows known no earlier can no longer be the answer.
    int from = pos;
    while (from > 0 && known(from - 1) >= known) {
      from--;
    }
    // Rows [from, pos) go; the new row goes at from; rows [pos, size) follow it.
    int tail = size - pos;
    int newSize = from + 1 + tail;
    if (newSize * STRIDE > rows.length) {
      rows = java.util.Arrays.copyOf(rows, Math.max(newSize, 2 * size) * STRIDE);
    }
    if (tail > 0 && pos != from + 1) {
      System.arraycopy(rows, pos * STRIDE, rows, (from + 1) * STRIDE, tail * STRIDE);
    }
    int at = from * STRIDE;
    rows[at + TS] = ts;
    rows[at + CREATED] = created;
    rows[at + VERSION] = version;
    rows[at + ROW_ID] = rowId;
    rows[at + PAYLOAD] = payload;
    size = newSize;
  }

  /**
   * The index of the row to use at spine time {@code t} (microseconds), or -1: the greatest row
   * known at {@code t}, when its event time is within {@code [t - ttl, t]}. Rows added so far
   * must all have {@code event_ts <= t}.
   */
  int answerIndex(long t, long ttlMicros) {
    for (int i = size - 1; i >= 0; i--) {
      if (known(i) <= t) {
        return rows[i * STRIDE + TS] >= t - ttlMicros ? i : -1;
      }
    }
    return -1;
  }

  /** Field {@code field} ({@link #TS}, {@link #CREATED}, ...) of kept row {@code i}. */
  long get(int i, int field) {
    return rows[i * STRIDE + field];
  }

  /** {@link #answerIndex} as a new {ts, created, version, rowId} array, or null. */
  long[] answer(long t, long ttlMicros) {
    int i = answerIndex(t, ttlMicros);
    return i < 0 ? null : java.util.Arrays.copyOfRange(rows, i * STRIDE, i * STRIDE + PAYLOAD);
  }

  private long[] row(int i) {
    return java.util.Arrays.copyOfRange(rows, i * STRIDE, (i + 1) * STRIDE);
  }

  /** A copy (the pass seeds each entity's state from a carried one and then changes it). */
  Staircase copy() {
    Staircase c = new Staircase(asKnownAt);
    c.rows = rows.clone();
    c.size = size;
    return c;
  }

  int size() {
    return size;
  }

  /** Drops every row (the pass reuses one state for entity after entity). */
  void clear() {
    size = 0;
  }

  /** Drops rows that are out of the TTL at {@code t} and so at every later spine time. */
  void prune(long t, long ttlMicros) {
    int n = 0;
    while (n < size && rows[n * STRIDE + TS] < t - ttlMicros) {
      n++;
    }
    if (n > 0) {
      System.arraycopy(rows, n * STRIDE, rows, 0, (size - n) * STRIDE);
      size -= n;
    }
  }

  /** The kept rows, as new {ts, created, version, rowId, payload} arrays. */
  List<long[]> rows() {
    List<long[]> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(row(i));
    }
    return out;
  }

  boolean isEmpty() {
    return size == 0;
  }
}

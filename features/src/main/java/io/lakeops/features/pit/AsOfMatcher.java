package io.lakeops.features.pit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The streaming pass of the point-in-time join, over one range partition of the narrow union of
 * spine rows and feature rows, sorted by (keys, time, kind) with feature rows before spine rows
 * at equal times (so {@code event_ts <= spine time} includes equality).
 *
 * <p>Input layout: key columns {@code 0..k-1}, then time (micros), kind (0 feature, 1 spine),
 * group index, created (micros), commit version, row id, spine payload (struct).
 *
 * <p>Output rows ({@link #schema}): tag {@link #MATCHED} for a spine row whose answer is final;
 * {@link #UNRESOLVED} for a spine row of the partition's first entity that misses a match in some
 * group (its earlier rows may sit in the previous partitions: a hot entity split by time);
 * {@link #FIRST_KEY} and {@link #END_STATE} once per non-empty partition, the first entity and
 * the candidates left for the last entity, which the driver carries across the split.
 */
final class AsOfMatcher implements Function2<Integer, Iterator<Row>, Iterator<Row>> {

  private static final long serialVersionUID = 1L;

  static final int MATCHED = 0;
  static final int UNRESOLVED = 1;
  static final int END_STATE = 2;
  static final int FIRST_KEY = 3;

  static final StructType MATCH = new StructType()
      .add("rid", DataTypes.LongType)
      .add("ts", DataTypes.LongType)
      .add("created", DataTypes.LongType);

  static final StructType CANDIDATE = new StructType()
      .add("grp", DataTypes.IntegerType)
      .add("ts", DataTypes.LongType)
      .add("created", DataTypes.LongType)
      .add("ver", DataTypes.LongType)
      .add("rid", DataTypes.LongType);

  private final int keys;
  private final long[] ttlMicros;
  private final boolean asKnownAt;

  AsOfMatcher(int keys, long[] ttlMicros, boolean asKnownAt) {
    this.keys = keys;
    this.ttlMicros = ttlMicros.clone();
    this.asKnownAt = asKnownAt;
  }

  static StructType schema(StructType keyType, StructType spineType) {
    return new StructType(new StructField[] {
        DataTypes.createStructField("tag", DataTypes.IntegerType, false),
        DataTypes.createStructField("part", DataTypes.IntegerType, false),
        DataTypes.createStructField("key", keyType, true),
        DataTypes.createStructField("t", DataTypes.LongType, true),
        DataTypes.createStructField("sp", spineType, true),
        DataTypes.createStructField("m", DataTypes.createArrayType(MATCH, true), true),
        DataTypes.createStructField("cands", DataTypes.createArrayType(CANDIDATE, false), true)});
  }

  @Override
  public Iterator<Row> call(Integer part, Iterator<Row> input) {
    return new Pass(part, input);
  }

  Staircase[] newState() {
    Staircase[] state = new Staircase[ttlMicros.length];
    for (int g = 0; g < state.length; g++) {
      state[g] = new Staircase(asKnownAt);
    }
    return state;
  }

  /** The match of every group at spine time t, or null elements where none. */
  Row[] answer(Staircase[] state, long t) {
    Row[] m = new Row[state.length];
    for (int g = 0; g < state.length; g++) {
      state[g].prune(t, ttlMicros[g]);
      long[] row = state[g].answer(t, ttlMicros[g]);
      m[g] = row == null ? null : RowFactory.create(row[Staircase.ROW_ID], row[Staircase.TS],
          row[Staircase.CREATED]);
    }
    return m;
  }

  private final class Pass implements Iterator<Row> {
    private final int part;
    private final Iterator<Row> input;
    private Row next;
    private Object[] firstKey;
    private Object[] currentKey;
    private boolean inFirstKey;
    private Staircase[] state;
    private final List<Row> tail = new ArrayList<>();
    private boolean finished;

    Pass(int part, Iterator<Row> input) {
      this.part = part;
      this.input = input;
    }

    @Override
    public boolean hasNext() {
      if (next == null) {
        next = advance();
      }
      return next != null;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Row r = next;
      next = null;
      return r;
    }

    private Row advance() {
      while (input.hasNext()) {
        Row row = input.next();
        Object[] key = new Object[keys];
        for (int i = 0; i < keys; i++) {
          key[i] = row.get(i);
        }
        if (currentKey == null || !Arrays.equals(currentKey, key)) {
          if (firstKey == null) {
            firstKey = key;
            inFirstKey = true;
          } else {
            inFirstKey = false;
          }
          currentKey = key;
          state = newState();
        }
        long t = row.getLong(keys);
        int kind = row.getInt(keys + 1);
        if (kind == 0) {
          int g = row.getInt(keys + 2);
          state[g].add(new long[] {row.getLong(keys), row.getLong(keys + 3), row.getLong(keys + 4),
              row.getLong(keys + 5)});
          continue;
        }
        Row[] m = answer(state, t);
        boolean missing = Arrays.stream(m).anyMatch(x -> x == null);
        int tag = inFirstKey && part > 0 && missing ? UNRESOLVED : MATCHED;
        return RowFactory.create(tag, part, tag == UNRESOLVED ? RowFactory.create(key) : null, t,
            row.get(keys + 6), m, null);
      }
      if (!finished) {
        finished = true;
        if (firstKey != null) {
          tail.add(RowFactory.create(FIRST_KEY, part, RowFactory.create(firstKey), null, null, null,
              null));
          List<Row> cands = new ArrayList<>();
          for (int g = 0; g < state.length; g++) {
            for (long[] c : state[g].rows()) {
              cands.add(RowFactory.create(g, c[0], c[1], c[2], c[3]));
            }
          }
          tail.add(RowFactory.create(END_STATE, part, RowFactory.create(currentKey), null, null,
              null, cands.toArray(new Row[0])));
        }
      }
      return tail.isEmpty() ? null : tail.remove(0);
    }
  }
}

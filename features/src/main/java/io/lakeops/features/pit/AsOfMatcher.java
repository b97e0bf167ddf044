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
 * spine rows and feature rows, sorted by (key hash, keys, time, kind) with feature rows before
 * spine rows at equal times (so {@code event_ts <= spine time} includes equality).
 *
 * <p>Input layout: key hash, key columns {@code 1..k}, then time (micros), kind (0 feature,
 * 1 spine), group index, created (micros), commit version, row id, spine payload (struct).
 *
 * <p>Partitions are ranges of (key hash, time) ({@link RangeBounds}), so a hot entity may be
 * split by time across consecutive partitions, and two entities whose hashes collide may both
 * be. Output rows ({@link #schema}):
 * <ul>
 *   <li>{@link #MATCHED}: a spine row whose answer is final.
 *   <li>{@link #UNRESOLVED}: a spine row whose key hash is the partition's first hash and that
 *       misses a match in some group: its entity's earlier rows may sit in earlier partitions.
 *   <li>{@link #FIRST_HASH}: once per non-empty partition, its first key hash and (in {@code n})
 *       how many spine rows it left unresolved.
 *   <li>{@link #END_STATE}: for each entity of the partition's last key hash, the candidates
 *       left at the end, which the driver carries to later partitions.
 * </ul>
 */
final class AsOfMatcher implements Function2<Integer, Iterator<Row>, Iterator<Row>> {

  private static final long serialVersionUID = 1L;

  static final int MATCHED = 0;
  static final int UNRESOLVED = 1;
  static final int END_STATE = 2;
  static final int FIRST_HASH = 3;

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
  private final RangeBounds bounds;

  AsOfMatcher(int keys, long[] ttlMicros, boolean asKnownAt, RangeBounds bounds) {
    this.keys = keys;
    this.ttlMicros = ttlMicros.clone();
    this.asKnownAt = asKnownAt;
    this.bounds = bounds;
  }

  static StructType schema(StructType keyType, StructType spineType) {
    return new StructType(new StructField[] {
        DataTypes.createStructField("tag", DataTypes.IntegerType, false),
        DataTypes.createStructField("part", DataTypes.IntegerType, false),
        DataTypes.createStructField("h", DataTypes.LongType, true),
        DataTypes.createStructField("key", keyType, true),
        DataTypes.createStructField("t", DataTypes.LongType, true),
        DataTypes.createStructField("sp", spineType, true),
        DataTypes.createStructField("m", DataTypes.createArrayType(MATCH, true), true),
        DataTypes.createStructField("cands", DataTypes.createArrayType(CANDIDATE, false), true),
        DataTypes.createStructField("n", DataTypes.LongType, true)});
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

  private Row endState(int part, long hash, Object[] key, Staircase[] state) {
    List<Row> cands = new ArrayList<>();
    for (int g = 0; g < state.length; g++) {
      for (long[] c : state[g].rows()) {
        cands.add(RowFactory.create(g, c[0], c[1], c[2], c[3]));
      }
    }
    return RowFactory.create(END_STATE, part, hash, RowFactory.create(key), null, null, null,
        cands.toArray(new Row[0]), null);
  }

  private final class Pass implements Iterator<Row> {
    private final int part;
    private final Iterator<Row> input;
    private Row next;
    private boolean started;
    private long firstHash;
    private long currentHash;
    private Object[] currentKey;
    private Staircase[] state;
    /** The finished entities of the current key hash (usually none: hashes rarely collide). */
    private final List<Object[]> runKeys = new ArrayList<>();
    private final List<Staircase[]> runStates = new ArrayList<>();
    private long unresolved;
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
        long hash = row.getLong(0);
        long t = row.getLong(keys + 1);
        int expected = bounds.partition(hash, t);
        if (expected != part) {
          throw new IllegalStateException("Point-in-time join: a row with key hash " + hash
              + " and time " + t + " reached partition " + part + " instead of " + expected
              + "; the exchange did not partition as planned (is spark.sql.shuffle.partitions "
              + "or adaptive execution changing the partition count?)");
        }
        Object[] key = new Object[keys];
        for (int i = 0; i < keys; i++) {
          key[i] = row.get(i + 1);
        }
        if (!started) {
          started = true;
          firstHash = hash;
          currentHash = hash;
          currentKey = key;
          state = newState();
        } else if (hash != currentHash) {
          runKeys.clear();
          runStates.clear();
          currentHash = hash;
          currentKey = key;
          state = newState();
        } else if (!Arrays.equals(currentKey, key)) {
          runKeys.add(currentKey);
          runStates.add(state);
          currentKey = key;
          state = newState();
        }
        int kind = row.getInt(keys + 2);
        if (kind == 0) {
          int g = row.getInt(keys + 3);
          state[g].add(new long[] {t, row.getLong(keys + 4), row.getLong(keys + 5),
              row.getLong(keys + 6)});
          continue;
        }
        Row[] m = answer(state, t);
        boolean missing = false;
        for (Row x : m) {
          missing |= x == null;
        }
        boolean open = part > 0 && hash == firstHash && missing;
        if (open) {
          unresolved++;
        }
        return RowFactory.create(open ? UNRESOLVED : MATCHED, part, hash,
            open ? RowFactory.create(key) : null, t, row.get(keys + 7), m, null, null);
      }
      if (!finished) {
        finished = true;
        if (started) {
          tail.add(RowFactory.create(FIRST_HASH, part, firstHash, null, null, null, null, null,
              unresolved));
          for (int i = 0; i < runKeys.size(); i++) {
            tail.add(endState(part, currentHash, runKeys.get(i), runStates.get(i)));
          }
          tail.add(endState(part, currentHash, currentKey, state));
        }
      }
      return tail.isEmpty() ? null : tail.remove(0);
    }
  }
}

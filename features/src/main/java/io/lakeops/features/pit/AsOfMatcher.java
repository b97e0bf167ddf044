package io.lakeops.features.pit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The streaming pass of the point-in-time join, over one range partition of the narrow union of
 * spine rows and feature rows, sorted by (key hash, time, kind) with feature rows before spine
 * rows at equal times (so {@code event_ts <= spine time} includes equality). Entities that share
 * a key hash interleave in time; the pass keeps a state per entity within a run of one hash.
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
final class AsOfMatcher implements Function2<Integer, Iterator<InternalRow>, Iterator<InternalRow>> {

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
  private final DataType[] keyTypes;
  private final int spineFields;
  private final long[] ttlMicros;
  private final boolean asKnownAt;
  private final RangeBounds bounds;

  /**
   * Works on Spark's internal rows (no conversion to external rows for the many feature rows).
   *
   * @param keyTypes the key columns' types
   * @param spineFields fields of the spine payload struct
   */
  AsOfMatcher(DataType[] keyTypes, int spineFields, long[] ttlMicros, boolean asKnownAt,
      RangeBounds bounds) {
    this.keys = keyTypes.length;
    this.keyTypes = keyTypes.clone();
    this.spineFields = spineFields;
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
  public Iterator<InternalRow> call(Integer part, Iterator<InternalRow> input) {
    return new Pass(part, input);
  }

  Staircase[] newState() {
    Staircase[] state = new Staircase[ttlMicros.length];
    for (int g = 0; g < state.length; g++) {
      state[g] = new Staircase(asKnownAt);
    }
    return state;
  }

  private static InternalRow row(Object... values) {
    return new GenericInternalRow(values);
  }

  private InternalRow endState(int part, long hash, Object[] key, Staircase[] state) {
    List<InternalRow> cands = new ArrayList<>();
    for (int g = 0; g < state.length; g++) {
      for (long[] c : state[g].rows()) {
        cands.add(row(g, c[0], c[1], c[2], c[3]));
      }
    }
    return row(END_STATE, part, hash, row(key.clone()), null, null, null,
        new GenericArrayData(cands.toArray()), null);
  }

  private final class Pass implements Iterator<InternalRow> {
    private final int part;
    private final Iterator<InternalRow> input;
    private InternalRow next;
    private boolean started;
    private long firstHash;
    private long currentHash;
    private Object[] currentKey;
    private Staircase[] state;
    /** The entities of the current key hash and their states (usually one). */
    private final java.util.LinkedHashMap<List<Object>, Staircase[]> run =
        new java.util.LinkedHashMap<>();
    private long unresolved;
    private final List<InternalRow> tail = new ArrayList<>();
    private boolean finished;
    private final Object[] key = new Object[keys];

    Pass(int part, Iterator<InternalRow> input) {
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
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      InternalRow r = next;
      next = null;
      return r;
    }

    /** Switches to the state of the entity in {@link #key} (a copy: input rows are reused). */
    private void switchKey() {
      Object[] copy = new Object[keys];
      for (int i = 0; i < keys; i++) {
        copy[i] = key[i] instanceof UTF8String u ? u.clone() : key[i];
      }
      currentKey = copy;
      state = run.computeIfAbsent(Arrays.asList(copy), k -> newState());
    }

    private InternalRow advance() {
      while (input.hasNext()) {
        InternalRow row = input.next();
        long hash = row.getLong(0);
        long t = row.getLong(keys + 1);
        int expected = bounds.partition(hash, t);
        if (expected != part) {
          throw new IllegalStateException("Point-in-time join: a row with key hash " + hash
              + " and time " + t + " reached partition " + part + " instead of " + expected
              + "; the exchange did not partition as planned (is spark.sql.shuffle.partitions "
              + "or adaptive execution changing the partition count?)");
        }
        for (int i = 0; i < keys; i++) {
          key[i] = row.get(i + 1, keyTypes[i]);
        }
        if (!started) {
          started = true;
          firstHash = hash;
          currentHash = hash;
          switchKey();
        } else if (hash != currentHash) {
          run.clear();
          currentHash = hash;
          switchKey();
        } else if (!Arrays.equals(currentKey, key)) {
          switchKey();
        }
        int kind = row.getInt(keys + 2);
        if (kind == 0) {
          int g = row.getInt(keys + 3);
          state[g].add(new long[] {t, row.getLong(keys + 4), row.getLong(keys + 5),
              row.getLong(keys + 6)});
          continue;
        }
        Object[] m = new Object[state.length];
        boolean missing = false;
        for (int g = 0; g < state.length; g++) {
          state[g].prune(t, ttlMicros[g]);
          long[] c = state[g].answer(t, ttlMicros[g]);
          m[g] = c == null ? null : row(c[Staircase.ROW_ID], c[Staircase.TS], c[Staircase.CREATED]);
          missing |= c == null;
        }
        boolean open = part > 0 && hash == firstHash && missing;
        if (open) {
          unresolved++;
        }
        return row(open ? UNRESOLVED : MATCHED, part, hash, open ? row(currentKey.clone()) : null, t,
            row.getStruct(keys + 7, spineFields).copy(), new GenericArrayData(m), null, null);
      }
      if (!finished) {
        finished = true;
        if (started) {
          tail.add(row(FIRST_HASH, part, firstHash, null, null, null, null, null, unresolved));
          for (java.util.Map.Entry<List<Object>, Staircase[]> e : run.entrySet()) {
            tail.add(endState(part, currentHash, e.getKey().toArray(), e.getValue()));
          }
        }
      }
      return tail.isEmpty() ? null : tail.remove(0);
    }
  }
}

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
 * spine rows and feature rows, sorted by one packed long of (key hash, second). The pass applies
 * rows in (key hash, time, kind) order, feature rows before spine rows at equal times (so
 * {@code event_ts <= spine time} includes equality): rows that share the packed long are buffered
 * and ordered first. Entities that share a key hash interleave in time; the pass keeps a state
 * per entity within a run of one hash.
 *
 * <p>Input layout: key hash, key columns {@code 1..k}, then time (micros), kind (0 feature,
 * 1 spine), group index, created (micros), commit version, row id, spine payload (struct), and
 * the packed sort long.
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

  /**
   * The pass. Its input is sorted by one packed long only ({@code o}: key hash and the second, so
   * that Spark sorts it with a radix sort); rows with the same {@code o} (one key hash, one second)
   * arrive in any order, so each such group is buffered, as primitives, and put in (time, kind)
   * order before it is applied. Groups are nearly always one row.
   */
  private final class Pass implements Iterator<InternalRow> {
    private final int part;
    private final Iterator<InternalRow> input;
    private final java.util.ArrayDeque<InternalRow> out = new java.util.ArrayDeque<>();
    private boolean started;
    private long firstHash;
    private long currentHash;
    private Object[] currentKey;
    private Staircase[] state;
    /** The entities of the current key hash and their states (usually one). */
    private final java.util.LinkedHashMap<List<Object>, Staircase[]> run =
        new java.util.LinkedHashMap<>();
    private long unresolved;
    private boolean finished;
    private final Object[] key = new Object[keys];
    /** The key of the last row read (shared by the buffered rows that have the same key). */
    private Object[] lastKey;

    // The buffered group: rows with one value of the packed sort long.
    private long groupOrder;
    private long groupHash;
    private int size;
    private long[] gt = new long[8];
    private int[] gKind = new int[8];
    private int[] gGrp = new int[8];
    private long[] gCreated = new long[8];
    private long[] gVer = new long[8];
    private long[] gRid = new long[8];
    private Object[][] gKey = new Object[8][];
    private InternalRow[] gSp = new InternalRow[8];

    Pass(int part, Iterator<InternalRow> input) {
      this.part = part;
      this.input = input;
    }

    @Override
    public boolean hasNext() {
      while (out.isEmpty() && !finished) {
        fill();
      }
      return !out.isEmpty();
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return out.poll();
    }

    /** Reads input until a group is complete and applied (or the input ends). */
    private void fill() {
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
        long order = row.getLong(keys + 8);
        boolean flushed = false;
        if (size > 0 && order != groupOrder) {
          applyGroup();
          flushed = true;
        }
        groupOrder = order;
        groupHash = hash;
        buffer(row, t);
        if (flushed) {
          return;
        }
      }
      if (size > 0) {
        applyGroup();
        return;
      }
      finished = true;
      if (started) {
        out.add(row(FIRST_HASH, part, firstHash, null, null, null, null, null, unresolved));
        for (java.util.Map.Entry<List<Object>, Staircase[]> e : run.entrySet()) {
          out.add(endState(part, currentHash, e.getKey().toArray(), e.getValue()));
        }
      }
    }

    private void buffer(InternalRow row, long t) {
      if (size == gt.length) {
        int n = size * 2;
        gt = Arrays.copyOf(gt, n);
        gKind = Arrays.copyOf(gKind, n);
        gGrp = Arrays.copyOf(gGrp, n);
        gCreated = Arrays.copyOf(gCreated, n);
        gVer = Arrays.copyOf(gVer, n);
        gRid = Arrays.copyOf(gRid, n);
        gKey = Arrays.copyOf(gKey, n);
        gSp = Arrays.copyOf(gSp, n);
      }
      for (int i = 0; i < keys; i++) {
        key[i] = row.get(i + 1, keyTypes[i]);
      }
      if (lastKey == null || !Arrays.equals(lastKey, key)) {
        // A copy: input rows (and the strings in them) are reused.
        Object[] copy = new Object[keys];
        for (int i = 0; i < keys; i++) {
          copy[i] = key[i] instanceof UTF8String u ? u.clone() : key[i];
        }
        lastKey = copy;
      }
      int i = size++;
      gt[i] = t;
      gKey[i] = lastKey;
      int kind = row.getInt(keys + 2);
      gKind[i] = kind;
      if (kind == 0) {
        gGrp[i] = row.getInt(keys + 3);
        gCreated[i] = row.getLong(keys + 4);
        gVer[i] = row.getLong(keys + 5);
        gRid[i] = row.getLong(keys + 6);
        gSp[i] = null;
      } else {
        gSp[i] = row.getStruct(keys + 7, spineFields).copy();
      }
    }

    /** Applies the buffered group in (time, kind) order: feature rows first at equal times. */
    private void applyGroup() {
      int n = size;
      size = 0;
      if (n == 1) {
        apply(0);
        gSp[0] = null;
        return;
      }
      Integer[] idx = new Integer[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
      Arrays.sort(idx, (a, b) -> {
        int c = Long.compare(gt[a], gt[b]);
        return c != 0 ? c : Integer.compare(gKind[a], gKind[b]);
      });
      for (int i : idx) {
        apply(i);
      }
      Arrays.fill(gSp, 0, n, null);
    }

    private void apply(int i) {
      long hash = groupHash;
      Object[] k = gKey[i];
      if (!started) {
        started = true;
        firstHash = hash;
        currentHash = hash;
        switchKey(k);
      } else if (hash != currentHash) {
        run.clear();
        currentHash = hash;
        switchKey(k);
      } else if (k != currentKey && !Arrays.equals(currentKey, k)) {
        switchKey(k);
      }
      long t = gt[i];
      if (gKind[i] == 0) {
        state[gGrp[i]].add(new long[] {t, gCreated[i], gVer[i], gRid[i]});
        return;
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
      out.add(row(open ? UNRESOLVED : MATCHED, part, hash, open ? row(currentKey.clone()) : null, t,
          gSp[i], new GenericArrayData(m), null, null));
    }

    /** Switches to the state of entity {@code k} (already a copy). */
    private void switchKey(Object[] k) {
      currentKey = k;
      state = run.computeIfAbsent(Arrays.asList(k), x -> newState());
    }
  }
}

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

/**
 * The streaming pass of the point-in-time join, over one range partition of the narrow union of
 * spine rows and feature rows, sorted in memory by one packed long of (key hash, second)
 * ({@link PartitionRows}). The pass applies
 * rows in (key hash, time, kind) order, feature rows before spine rows at equal times (so
 * {@code event_ts <= spine time} includes equality): rows that share the packed long are buffered
 * and ordered first. Entities that share a key hash interleave in time; the pass keeps a state
 * per entity within a run of one hash.
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
    return new Pass(part, PartitionRows.load(part, input, keyTypes, spineFields, bounds));
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
   * The pass over one partition, loaded and sorted by {@link PartitionRows} by one packed long
   * (key hash, second). Rows with the same packed long (one key hash, one second) are put in
   * (time, kind) order before they are applied; such groups are nearly always one row.
   */
  private final class Pass implements Iterator<InternalRow> {
    private final int part;
    private final PartitionRows in;
    private final java.util.ArrayDeque<InternalRow> out = new java.util.ArrayDeque<>();
    private int pos;
    private boolean started;
    private long firstHash;
    private long currentHash;
    private int currentKey;
    private Staircase[] state;
    /** The entities (key ids) of the current key hash and their states (usually one). */
    private final java.util.LinkedHashMap<Integer, Staircase[]> run =
        new java.util.LinkedHashMap<>();
    private long unresolved;
    private boolean finished;

    Pass(int part, PartitionRows in) {
      this.part = part;
      this.in = in;
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

    /** Applies the next group of rows with one packed sort long (or ends the partition). */
    private void fill() {
      int n = in.size;
      if (pos < n) {
        long order = in.order[pos];
        int end = pos + 1;
        while (end < n && in.order[end] == order) {
          end++;
        }
        applyGroup(pos, end);
        pos = end;
        return;
      }
      finished = true;
      if (started) {
        out.add(row(FIRST_HASH, part, firstHash, null, null, null, null, null, unresolved));
        for (java.util.Map.Entry<Integer, Staircase[]> e : run.entrySet()) {
          out.add(endState(part, currentHash, in.keys.get(e.getKey()), e.getValue()));
        }
      }
    }

    /** Applies sorted positions [from, to) in (time, kind) order: feature rows first at equal times. */
    private void applyGroup(int from, int to) {
      long hash = in.hashAt(from);
      if (to - from == 1) {
        apply(hash, from);
        return;
      }
      Integer[] idx = new Integer[to - from];
      for (int i = from; i < to; i++) {
        idx[i - from] = i;
      }
      long[] rec = in.rec;
      Arrays.sort(idx, (a, b) -> {
        int c = Long.compare(rec[a * PartitionRows.STRIDE + PartitionRows.TIME],
            rec[b * PartitionRows.STRIDE + PartitionRows.TIME]);
        return c != 0 ? c : Integer.compare(PartitionRows.kind(rec[a * PartitionRows.STRIDE + PartitionRows.META]),
            PartitionRows.kind(rec[b * PartitionRows.STRIDE + PartitionRows.META]));
      });
      for (int i : idx) {
        apply(hash, i);
      }
    }

    private void apply(long hash, int i) {
      long[] rec = in.rec;
      int at = i * PartitionRows.STRIDE;
      long meta = rec[at + PartitionRows.META];
      int k = PartitionRows.keyId(meta);
      if (!started) {
        started = true;
        firstHash = hash;
        currentHash = hash;
        switchKey(k);
      } else if (hash != currentHash) {
        run.clear();
        currentHash = hash;
        switchKey(k);
      } else if (k != currentKey) {
        switchKey(k);
      }
      long t = rec[at + PartitionRows.TIME];
      if (PartitionRows.kind(meta) == 0) {
        state[PartitionRows.group(meta)].add(t, rec[at + PartitionRows.CREATED],
            rec[at + PartitionRows.VERSION], rec[at + PartitionRows.ROW_ID]);
        return;
      }
      Object[] m = new Object[state.length];
      boolean missing = false;
      for (int g = 0; g < state.length; g++) {
        state[g].prune(t, ttlMicros[g]);
        Staircase st = state[g];
        int c = st.answerIndex(t, ttlMicros[g]);
        m[g] = c < 0 ? null
            : row(st.get(c, Staircase.ROW_ID), st.get(c, Staircase.TS), st.get(c, Staircase.CREATED));
        missing |= c < 0;
      }
      boolean open = part > 0 && hash == firstHash && missing;
      if (open) {
        unresolved++;
      }
      int s = (int) rec[at + PartitionRows.SPINE];
      InternalRow sp = in.spine.get(s);
      in.spine.set(s, null);
      out.add(row(open ? UNRESOLVED : MATCHED, part, hash,
          open ? row(in.keys.get(currentKey).clone()) : null, t, sp, new GenericArrayData(m), null, null));
    }

    /** Switches to the state of entity {@code k} (a key id of the partition). */
    private void switchKey(int k) {
      currentKey = k;
      state = run.computeIfAbsent(k, x -> newState());
    }
  }
}

package io.lakeops.features.pit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * The streaming pass of the point-in-time join over one range partition of the union of spine
 * rows and feature rows, loaded and sorted in memory by entity, then (time, kind) ({@link
 * PartitionRows}): feature rows before spine rows at equal times, so {@code event_ts <= spine
 * time} includes equality. The pass keeps the state of one entity at a time.
 *
 * <p>The match looks only at the partition's narrow records; the payloads (spine columns, feature
 * values) are read at the end, for each spine row and the feature rows that are its answers.
 *
 * <p>Partitions are ranges of (key hash, time) ({@link RangeBounds}); only a hash heavier than
 * half a partition is split by time. For such a split, {@link #endStates} first computes, in the
 * partitions below it, what each entity of that hash leaves at the end (its {@link Staircase}s,
 * with the feature values of those rows); the driver merges them into a {@link Carry}, and
 * {@link #answers} seeds the entities of the split hash with it at the start of the partition.
 */
final class AsOfMatcher implements Serializable {

  private static final long serialVersionUID = 1L;

  private final DataType[] keyTypes;
  private final StructType spineType;
  private final StructType[] featureTypes;
  private final long[] ttlMicros;
  private final boolean asKnownAt;
  private final RangeBounds bounds;
  /** A partition's expected row count (from the sample), to size its arrays once. */
  private final int expectedRows;

  AsOfMatcher(DataType[] keyTypes, StructType spineType, StructType[] featureTypes,
      long[] ttlMicros, boolean asKnownAt, RangeBounds bounds, int expectedRows) {
    this.expectedRows = expectedRows;
    this.keyTypes = keyTypes.clone();
    this.spineType = spineType;
    this.featureTypes = featureTypes.clone();
    this.ttlMicros = ttlMicros.clone();
    this.asKnownAt = asKnownAt;
    this.bounds = bounds;
  }

  private int[] featureFields() {
    int[] fields = new int[featureTypes.length];
    for (int g = 0; g < fields.length; g++) {
      fields[g] = featureTypes[g].size();
    }
    return fields;
  }

  RangeBounds bounds() {
    return bounds;
  }

  Staircase[] newState() {
    Staircase[] state = new Staircase[ttlMicros.length];
    for (int g = 0; g < state.length; g++) {
      state[g] = new Staircase(asKnownAt);
    }
    return state;
  }

  /**
   * The answer rows of one partition: the spine payload, then per group its feature struct (null
   * without a match), then per group the matched row's event and created time (micros).
   */
  Iterator<InternalRow> answers(int part, Iterator<InternalRow> input, Carry carry) {
    PartitionRows rows = PartitionRows.load(part, input, keyTypes, bounds, null, expectedRows);
    Long carriedHash = bounds.splitsBelow(part) ? bounds.hashBelow(part) : null;
    return new Pass(rows, part, carriedHash, carry, true);
  }

  /**
   * What the entities of the key hash split at partition {@code part}'s upper bound leave at its
   * end (nothing when that bound splits no hash).
   */
  Iterator<EndState> endStates(int part, Iterator<InternalRow> input) {
    if (!bounds.splitsBelow(part + 1)) {
      return Collections.emptyIterator();
    }
    long hash = bounds.hashBelow(part + 1);
    PartitionRows rows = PartitionRows.load(part, input, keyTypes, bounds, hash, expectedRows);
    Pass pass = new Pass(rows, part, null, null, false);
    List<EndState> out = new ArrayList<>();
    while (pass.startNextKey()) {
      while (pass.pos < pass.end) {
        pass.apply(pass.pos++);
      }
      List<long[]> cands = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int g = 0; g < pass.state.length; g++) {
        for (long[] c : pass.state[g].rows()) {
          cands.add(new long[] {g, c[Staircase.TS], c[Staircase.CREATED], c[Staircase.VERSION],
              c[Staircase.ROW_ID]});
          values.add(rows.payloadBytes(c[Staircase.PAYLOAD]));
        }
      }
      out.add(new EndState(part, rows.keyBytes(pass.key - 1), cands, values));
    }
    rows.release();
    return out.iterator();
  }

  /**
   * The candidates one entity (its key bytes, {@link MatchRecords}) of a split hash left at the
   * end of a partition.
   */
  record EndState(int part, byte[] key, List<long[]> candidates, List<byte[]> values)
      implements Serializable {}

  /**
   * The states carried into partitions whose lower bound splits a key hash: for partition p, the
   * end states of that hash's entities in p - 1 and, while those partitions' lower bounds split
   * the same hash, in the partitions before, merged per entity. A carried row's payload is
   * {@code -1 - i}, where i indexes the carried feature values of p.
   */
  static final class Carry implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Map<Integer, Map<String, Staircase[]>> states = new HashMap<>();
    private final Map<Integer, List<byte[]>> values = new HashMap<>();
    private long rows;

    static Carry of(List<EndState> ends, AsOfMatcher matcher) {
      RangeBounds bounds = matcher.bounds;
      Map<Integer, List<EndState>> byPart = new HashMap<>();
      for (EndState e : ends) {
        byPart.computeIfAbsent(e.part(), x -> new ArrayList<>()).add(e);
      }
      Carry carry = new Carry();
      for (int p = 1; p < bounds.partitions(); p++) {
        if (!bounds.splitsBelow(p)) {
          continue;
        }
        long hash = bounds.hashBelow(p);
        Map<String, Staircase[]> byKey = new HashMap<>();
        List<byte[]> carried = new ArrayList<>();
        for (int q = p - 1; q >= 0; q--) {
          for (EndState e : byPart.getOrDefault(q, List.of())) {
            Staircase[] state = byKey.computeIfAbsent(keyString(e.key()),
                k -> matcher.newState());
            for (int i = 0; i < e.candidates().size(); i++) {
              long[] c = e.candidates().get(i);
              state[(int) c[0]].add(c[1], c[2], c[3], c[4], -1 - carried.size());
              carried.add(e.values().get(i));
            }
          }
          if (!(bounds.splitsBelow(q) && bounds.hashBelow(q) == hash)) {
            break;
          }
        }
        for (Staircase[] state : byKey.values()) {
          for (Staircase s : state) {
            carry.rows += s.size();
          }
        }
        carry.states.put(p, byKey);
        carry.values.put(p, carried);
      }
      return carry;
    }

    /** Key bytes as a map key (each byte one char: equal exactly when the bytes are). */
    private static String keyString(byte[] key) {
      return new String(key, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** A copy of the state carried into {@code part} for {@code key} (its bytes), or null. */
    Staircase[] state(int part, byte[] key) {
      Map<String, Staircase[]> byKey = states.get(part);
      Staircase[] s = byKey == null ? null : byKey.get(keyString(key));
      if (s == null) {
        return null;
      }
      Staircase[] copy = new Staircase[s.length];
      for (int g = 0; g < s.length; g++) {
        copy[g] = s[g].copy();
      }
      return copy;
    }

    /** The bytes of carried feature values {@code payload} (a negative payload address). */
    byte[] value(int part, long payload) {
      return values.get(part).get((int) (-1 - payload));
    }

    /** Carried candidate rows, over all partitions (a row carried into two counts twice). */
    long rows() {
      return rows;
    }
  }

  /**
   * The pass over one partition, one entity (a run of rows in (time, kind) order) at a time: the
   * entity's state starts empty, or as carried into this partition for an entity of a split hash.
   */
  private final class Pass implements Iterator<InternalRow> {
    private final PartitionRows in;
    private final int part;
    private final Long carriedHash;
    private final Carry carry;
    /** Whether spine rows produce answers (else the pass only computes the end states). */
    private final boolean emit;
    private final int groups = ttlMicros.length;
    private final int spineFields = spineType.size();
    /** The answer handed out (one object, filled anew for each spine row). */
    private final AnswerRow answer = new AnswerRow(spineFields, featureFields());
    /** The state reused for every entity that carries none in. */
    private final Staircase[] fresh = newState();
    /** The answer of the spine row applied last, until it is handed out. */
    private InternalRow pending;
    /** The next entity (key id), and the current one's rows still to apply: [pos, end). */
    int key;
    int pos;
    int end;
    Staircase[] state;
    private boolean released;

    Pass(PartitionRows in, int part, Long carriedHash, Carry carry, boolean emit) {
      this.in = in;
      this.emit = emit;
      this.part = part;
      this.carriedHash = carriedHash;
      this.carry = carry;
    }

    @Override
    public boolean hasNext() {
      while (pending == null && (pos < end || startNextKey())) {
        apply(pos++);
      }
      if (pending == null && emit && !released) {
        // The rows handed out point into the partition's arena, but the consumer (the scan of
        // the answers, an UnsafeProjection) has copied each before asking for the next.
        released = true;
        in.release();
      }
      return pending != null;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      InternalRow row = pending;
      pending = null;
      return row;
    }

    /** Moves to the next entity's run; false when there is none. */
    boolean startNextKey() {
      if (key >= in.keyCount()) {
        return false;
      }
      int k = key++;
      pos = in.runStart(k);
      end = in.runEnd(k);
      state = null;
      if (carry != null && carriedHash != null && in.keyHash(k) == carriedHash) {
        state = carry.state(part, in.keyBytes(k));
      }
      if (state == null) {
        for (Staircase s : fresh) {
          s.clear();
        }
        state = fresh;
      }
      return true;
    }

    void apply(int i) {
      long[] rec = in.rec;
      int at = i * PartitionRows.STRIDE;
      long meta = rec[at + PartitionRows.META];
      long t = rec[at + PartitionRows.TIME];
      if (PartitionRows.kind(meta) == 0) {
        state[PartitionRows.group(meta)].add(t, rec[at + PartitionRows.CREATED],
            rec[at + PartitionRows.VERSION], rec[at + PartitionRows.ROW_ID],
            rec[at + PartitionRows.PTR]);
        return;
      }
      if (!emit) {
        for (int g = 0; g < groups; g++) {
          state[g].prune(t, ttlMicros[g]);
        }
        return;
      }
      in.pointTo(answer, -1, rec[at + PartitionRows.PTR], 0, 0);
      for (int g = 0; g < groups; g++) {
        Staircase st = state[g];
        st.prune(t, ttlMicros[g]);
        int c = st.answerIndex(t, ttlMicros[g]);
        if (c >= 0) {
          long payload = st.get(c, Staircase.PAYLOAD);
          long event = st.get(c, Staircase.TS);
          long created = st.get(c, Staircase.CREATED);
          if (payload >= 0) {
            in.pointTo(answer, g, payload, event, created);
          } else {
            byte[] bytes = carry.value(part, payload);
            answer.match(g, bytes, org.apache.spark.unsafe.Platform.BYTE_ARRAY_OFFSET, bytes.length,
                event, created);
          }
        }
      }
      pending = answer;
    }
  }
}

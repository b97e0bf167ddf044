package io.lakeops.features.pit;

/**
 * How a point-in-time join runs.
 *
 * @param asKnownAt also require {@code created_ts <= spine time}: a value written after the
 *     spine time (a backfill, a late row) is not used, as it was not known then
 * @param partitions partitions of the join's shuffles (0: {@code spark.sql.shuffle.partitions})
 */
public record PitOptions(boolean asKnownAt, int partitions) {

  public PitOptions {
    if (partitions < 0) {
      throw new IllegalArgumentException("partitions must be 0 (the session's "
          + "spark.sql.shuffle.partitions) or positive, got " + partitions);
    }
  }

  public static PitOptions defaults() {
    return new PitOptions(false, 0);
  }

  public PitOptions withAsKnownAt(boolean value) {
    return new PitOptions(value, partitions);
  }

  public PitOptions withPartitions(int value) {
    return new PitOptions(asKnownAt, value);
  }
}

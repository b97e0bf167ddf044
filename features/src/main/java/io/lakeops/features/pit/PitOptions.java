package io.lakeops.features.pit;

/**
 * How a point-in-time join runs.
 *
 * @param asKnownAt also require {@code created_ts <= spine time}: a value written after the
 *     spine time (a backfill, a late row) is not used, as it was not known then
 * @param partitions partitions of the one shuffle (0: {@code spark.sql.shuffle.partitions})
 * @param broadcastFetchLimit the wide feature columns of matched rows are fetched by
 *     broadcasting the matched row ids to the feature table scan when there are at most this many
 *     (no shuffle of the feature table); above it, by a shuffle join
 */
public record PitOptions(boolean asKnownAt, int partitions, long broadcastFetchLimit) {

  public static PitOptions defaults() {
    return new PitOptions(false, 0, 2_000_000L);
  }

  public PitOptions withAsKnownAt(boolean value) {
    return new PitOptions(value, partitions, broadcastFetchLimit);
  }

  public PitOptions withPartitions(int value) {
    return new PitOptions(asKnownAt, value, broadcastFetchLimit);
  }

  public PitOptions withBroadcastFetchLimit(long value) {
    return new PitOptions(asKnownAt, partitions, value);
  }
}

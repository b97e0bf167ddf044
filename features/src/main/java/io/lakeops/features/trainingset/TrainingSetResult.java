package io.lakeops.features.trainingset;

import io.lakeops.features.pit.FeatureRequest;
import java.util.List;

/**
 * A built (or rebuilt) training set.
 *
 * @param id the manifest id
 * @param outputTable the Delta table written
 * @param outputVersion its Delta version holding this training set
 * @param rows rows written (always the spine's row count)
 * @param digest content digest of the written rows (order-independent): for a rebuild, in the
 *     format of the recorded digest it is compared with (see {@link TrainingSets#DIGEST_VERSION})
 * @param spineTable the spine table read (for a query spine, its stored snapshot)
 * @param spineVersion the spine table's pinned version
 * @param pinned the feature requests with their pinned versions
 * @param carriedRows feature rows carried across a range split of a hot key ({@link
 *     io.lakeops.features.pit.PitResult#carriedRows})
 * @param matchedShare per group, the share of spine rows with a feature row
 */
public record TrainingSetResult(String id, String outputTable, long outputVersion, long rows,
    String digest, String spineTable, long spineVersion, List<FeatureRequest> pinned,
    long carriedRows, java.util.Map<String, Double> matchedShare) {

  public TrainingSetResult {
    pinned = List.copyOf(pinned);
    matchedShare = java.util.Map.copyOf(matchedShare);
  }
}

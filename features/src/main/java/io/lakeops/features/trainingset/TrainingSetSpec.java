package io.lakeops.features.trainingset;

import io.lakeops.features.pit.FeatureRequest;
import java.util.List;

/**
 * A training set to build.
 *
 * @param name the training set's name (ids are {@code <name>_v<n>})
 * @param description what it is for
 * @param spine the spine
 * @param featureRefs the references as written ({@code group:feature}, {@code group:*})
 * @param requests the references resolved to tables, features and output names
 * @param asKnownAt "as known at" mode: also {@code created_ts <= spine time}
 * @param auditColumns keep the {@code <group>__feature_ts} columns in the output
 * @param outputTable the Delta table written (replaced on each build)
 */
public record TrainingSetSpec(String name, String description, SpineSource spine,
    List<String> featureRefs, List<FeatureRequest> requests, boolean asKnownAt,
    boolean auditColumns, String outputTable) {

  public TrainingSetSpec {
    featureRefs = List.copyOf(featureRefs);
    requests = List.copyOf(requests);
  }
}

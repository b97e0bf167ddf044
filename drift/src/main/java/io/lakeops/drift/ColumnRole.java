package io.lakeops.drift;

/** What a compared column is to the model. */
public enum ColumnRole {
  FEATURE, PREDICTION, LABEL
}

package io.lakeops.features.definition;

/**
 * A feature computed by a Spark SQL expression over the group's columns and aggregates.
 *
 * @param name feature name
 * @param expression Spark SQL expression (parsed by Spark's own parser when definitions load)
 * @param description goes to the column comment and the catalog
 */
public record DerivedFeature(String name, String expression, String description) {}

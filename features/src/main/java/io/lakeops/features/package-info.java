/**
 * The offline feature store: feature group definitions, validated ingestion with quarantine,
 * incremental materialisation, point-in-time training sets and the feature catalog. A plain
 * library: it takes typed options and a SparkSession; only the jobs module reads configuration.
 */
package io.lakeops.features;

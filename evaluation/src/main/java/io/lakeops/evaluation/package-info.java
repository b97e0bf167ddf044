/**
 * Evaluation: metrics, validation gates (performance, regression, bias, robustness, latency) and
 * promotion in the model registry. Depends on training.
 */
package io.lakeops.evaluation;

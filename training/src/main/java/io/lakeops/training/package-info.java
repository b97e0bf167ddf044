/**
 * Training: MLlib pipelines from typed options, splits, hyperparameter sweeps, experiment
 * tracking and the model registry. Depends on features only.
 */
package io.lakeops.training;

/**
 * Drift: reference profiles as mergeable state, drift statistics, reports and the retraining
 * trigger. Depends on features.
 */
package io.lakeops.drift;

package io.lakeops.drift.spark;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;

/** Counts the Spark jobs that start while a piece of code runs. */
final class SparkJobCounter {

  record Counted<T>(T value, int jobs) {}

  private SparkJobCounter() {}

  static <T> Counted<T> count(SparkSession spark, Supplier<T> work) {
    try {
      return countOrThrow(spark, work);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Spark's listener bus did not drain", e);
    }
  }

  private static <T> Counted<T> countOrThrow(SparkSession spark, Supplier<T> work)
      throws java.util.concurrent.TimeoutException {
    AtomicInteger jobs = new AtomicInteger();
    SparkListener counter = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart jobStart) {
        jobs.incrementAndGet();
      }
    };
    spark.sparkContext().listenerBus().waitUntilEmpty();
    spark.sparkContext().addSparkListener(counter);
    try {
      T value = work.get();
      spark.sparkContext().listenerBus().waitUntilEmpty();
      return new Counted<>(value, jobs.get());
    } finally {
      spark.sparkContext().removeSparkListener(counter);
    }
  }
}

package io.lakeops.features.spark;

import static org.apache.spark.sql.functions.col;

import io.lakeops.features.MaterializeResult;
import io.lakeops.features.definition.FeatureGroup;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code backfill}: materialises a date range in chunks of {@code chunkDays}, at most
 * {@code parallelism} chunks at a time, and records each finished chunk in
 * {@code <features db>.materializations}. Running it again skips the chunks already done for
 * the same definition version, so an interrupted backfill resumes where it stopped.
 */
public final class BackfillJob {

  static final StructType DONE = new StructType()
      .add("group_name", DataTypes.StringType, false)
      .add("from_date", DataTypes.DateType, false)
      .add("to_date", DataTypes.DateType, false)
      .add("definition_version", DataTypes.IntegerType, false)
      .add("run_id", DataTypes.StringType, false)
      .add("rows_out", DataTypes.LongType, false)
      .add("finished_at", DataTypes.TimestampType, false);

  /** A range of dates. */
  public record Chunk(LocalDate from, LocalDate to) {}

  /** What the backfill did. */
  public record Result(int chunks, int skipped, long rowsOut, List<MaterializeResult> done) {}

  private final SparkSession spark;
  private final FeatureTables tables;
  private final Object writeLock = new Object();

  public BackfillJob(SparkSession spark, FeatureTables tables) {
    this.spark = spark;
    this.tables = tables;
  }

  public String doneTable() {
    return tables.database() + ".materializations";
  }

  public static List<Chunk> chunks(LocalDate from, LocalDate to, int chunkDays) {
    List<Chunk> chunks = new ArrayList<>();
    for (LocalDate start = from; !start.isAfter(to); start = start.plusDays(chunkDays)) {
      LocalDate end = start.plusDays(chunkDays - 1L);
      chunks.add(new Chunk(start, end.isAfter(to) ? to : end));
    }
    return chunks;
  }

  public Result run(FeatureGroup group, LocalDate from, LocalDate to, int chunkDays, int parallelism,
      String runId, Consumer<String> progress) throws Exception {
    List<Chunk> all = chunks(from, to, chunkDays);
    Set<Chunk> finished = finished(group);
    List<Chunk> todo = all.stream().filter(c -> !finished.contains(c)).toList();
    int skipped = all.size() - todo.size();
    progress.accept(String.format("backfill %s %s..%s: %d chunks of %d days, %d already done, "
        + "parallelism %d", group.name(), from, to, all.size(), chunkDays, skipped, parallelism));
    Instant start = Instant.now();
    AtomicInteger done = new AtomicInteger();
    List<MaterializeResult> results = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallelism));
    boolean tableExists = spark.catalog().tableExists(tables.features(group));
    try {
      List<Future<MaterializeResult>> futures = new ArrayList<>();
      for (int i = 0; i < todo.size(); i++) {
        Chunk chunk = todo.get(i);
        java.util.concurrent.Callable<MaterializeResult> task = () -> {
          MaterializeResult r = materializeWithRetry(group, chunk);
          record(group, chunk, runId, r.rowsOut());
          int n = done.incrementAndGet();
          Duration elapsed = Duration.between(start, Instant.now());
          Duration left = elapsed.multipliedBy(todo.size() - n).dividedBy(n);
          progress.accept(String.format("backfill %s: %d/%d chunks done (%s..%s, %,d rows), "
              + "elapsed %ds, about %ds left", group.name(), n + skipped, all.size(), chunk.from(),
              chunk.to(), r.rowsOut(), elapsed.toSeconds(), left.toSeconds()));
          return r;
        };
        if (i == 0 && !tableExists) {
          // The first chunk creates the table alone: concurrent creators would conflict.
          futures.add(java.util.concurrent.CompletableFuture.completedFuture(task.call()));
        } else {
          futures.add(pool.submit(task));
        }
      }
      for (Future<MaterializeResult> f : futures) {
        try {
          results.add(f.get());
        } catch (ExecutionException e) {
          pool.shutdownNow();
          Throwable cause = e.getCause();
          throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
        }
      }
    } finally {
      pool.shutdown();
    }
    long rows = results.stream().mapToLong(MaterializeResult::rowsOut).sum();
    // The catalog once, at the end, with statistics of the whole range (one aggregation).
    String table = tables.features(group);
    if (spark.catalog().tableExists(table)) {
      new FeatureCatalog(spark, tables.catalog()).upsert(group, table, spark.table(table).where(
          col(FeatureGroup.EVENT_DATE).between(Date.valueOf(from), Date.valueOf(to))), to, Instant.now());
    }
    return new Result(all.size(), skipped, rows, results);
  }

  /** Commits are serialised by the write lock; a conflict with another writer is retried. */
  private MaterializeResult materializeWithRetry(FeatureGroup group, Chunk chunk) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return new MaterializeJob(spark, tables, writeLock).run(group, chunk.from(), chunk.to(), Instant.now(), false);
      } catch (io.delta.exceptions.DeltaConcurrentModificationException e) {
        if (attempt >= 5) {
          throw e;
        }
        Thread.sleep(500L * attempt);
      }
    }
  }

  private Set<Chunk> finished(FeatureGroup group) {
    Set<Chunk> done = new HashSet<>();
    if (spark.catalog().tableExists(doneTable())) {
      spark.table(doneTable()).where(col("group_name").equalTo(group.name())
              .and(col("definition_version").equalTo(group.version())))
          .select("from_date", "to_date").collectAsList()
          .forEach(r -> done.add(new Chunk(r.getDate(0).toLocalDate(), r.getDate(1).toLocalDate())));
    }
    return done;
  }

  private synchronized void record(FeatureGroup group, Chunk chunk, String runId, long rows) {
    Row row = RowFactory.create(group.name(), Date.valueOf(chunk.from()), Date.valueOf(chunk.to()),
        group.version(), runId, rows, Timestamp.from(Instant.now()));
    DeltaWrites.append(spark, spark.createDataFrame(List.of(row), DONE), doneTable(),
        "LakeOps: finished backfill chunks, for resuming");
  }
}

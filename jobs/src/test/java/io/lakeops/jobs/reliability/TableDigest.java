package io.lakeops.jobs.reliability;

import static org.apache.spark.sql.functions.col;

import io.lakeops.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The content of a Delta table as (rows, digest): the digest is the sum of a 64-bit hash of every
 * row, so it ignores row order and file layout but counts duplicates, and any changed value
 * changes it (up to hash collisions). Columns that legitimately differ between equal runs (the
 * run id, the time a row was written, the file a row came from) are left out by name.
 * Tables are read by path in the test JVM's own session, so no job's metastore is touched.
 */
record TableDigest(long rows, String digest) {

  /** Columns holding run ids, wall-clock times or absolute file names. */
  static final Set<String> VOLATILE = Set.of("created_ts", "ingest_run_id", "source_file", "run_id",
      "quarantined_at", "created_at", "finished_at", "source");

  /** An absent table: before the first write. */
  static final TableDigest ABSENT = new TableDigest(-1, "absent");

  static TableDigest of(Path table) {
    return of(table, -1);
  }

  /** At a given Delta version ({@code -1}: the latest). */
  static TableDigest of(Path table, long version) {
    if (!Files.isDirectory(table.resolve("_delta_log"))) {
      return ABSENT;
    }
    var reader = SharedSpark.session().read().format("delta");
    if (version >= 0) {
      reader = reader.option("versionAsOf", version);
    }
    return of(reader.load(table.toString()));
  }

  static TableDigest of(Dataset<Row> frame) {
    return of(frame, VOLATILE);
  }

  /** Every column but {@code excluded} counts. */
  static TableDigest of(Dataset<Row> frame, Set<String> excluded) {
    Column[] kept = Arrays.stream(frame.columns()).filter(c -> !excluded.contains(c))
        .sorted().map(c -> col("`" + c + "`")).toArray(Column[]::new);
    Row r = frame.agg(functions.count(functions.lit(1)),
            functions.sum(functions.xxhash64(kept).cast("decimal(38,0)")))
        .first();
    return new TableDigest(r.getLong(0), r.isNullAt(1) ? "0" : r.getDecimal(1).toPlainString());
  }

  /** The latest Delta version of the table, or -1 when it has none yet. */
  static long version(Path table) {
    if (!Files.isDirectory(table.resolve("_delta_log"))) {
      return -1;
    }
    return io.delta.tables.DeltaTable.forPath(SharedSpark.session(), table.toString())
        .history(1).select("version").first().getLong(0);
  }
}

package io.lakeops.jobs.run;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a run's result JSON to {@code <results-dir>/<job>/<run id>.json} through Hadoop's
 * FileSystem, so it lands on HDFS or object storage in cluster deploy mode, where the exit code
 * does not reach the scheduler. Written to a temporary name and renamed, so readers never see
 * half a file (on the local file system the rename replaces the old file atomically; on others
 * the old file is deleted first). The drift job writes its HTML and JSON reports the same way.
 */
public final class ResultFile {

  private ResultFile() {}

  /**
   * {@code <results-dir>/<job>/<run id>.json}; characters Hadoop paths cannot hold (the ':' and
   * '+' of Airflow run ids) become '_'.
   */
  public static String pathFor(String resultsDir, String job, String runId) {
    return resultsDir + "/" + job + "/" + runId.replaceAll("[^A-Za-z0-9_.-]", "_") + ".json";
  }

  public static void write(Configuration hadoopConf, String location, String json) throws IOException {
    Path target = new Path(location);
    // A private instance: switching checksums off on the cached one would affect every later
    // write of this JVM, Delta's included.
    try (FileSystem fs = FileSystem.newInstance(target.toUri(), hadoopConf)) {
      fs.setWriteChecksum(false); // no .crc files beside results on the local file system
      fs.mkdirs(target.getParent());
      // A name of its own per write: two runs writing the same report at once never share a
      // temporary file. A JVM killed before the rename leaves only such a hidden file behind,
      // which Hadoop and Spark readers skip ('.' prefix).
      Path temp = new Path(target.getParent(), "." + target.getName() + "."
          + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".tmp");
      try (OutputStream out = fs.create(temp, true)) {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
      }
      if ("file".equals(fs.getScheme())) {
        // Local: one atomic rename over the old file, so a reader (or a kill -9) finds the old
        // or the new content, never none.
        java.nio.file.Files.move(java.nio.file.Path.of(fs.makeQualified(temp).toUri()),
            java.nio.file.Path.of(fs.makeQualified(target).toUri()),
            java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } else {
        // Hadoop's rename does not replace: the old file goes first (absent, then new).
        fs.delete(target, false);
        if (!fs.rename(temp, target)) {
          fs.delete(temp, false);
          throw new IOException("Cannot rename " + temp + " to " + target);
        }
      }
    }
  }
}

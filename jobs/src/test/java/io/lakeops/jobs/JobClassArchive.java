package io.lakeops.jobs;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An application class-data sharing archive (AppCDS, a dynamic archive of JDK 13+) of the classes
 * a job JVM loads, for the job JVMs tests start: they map Spark's, Hive's, Delta's and our
 * classes from it instead of reading, verifying and linking them from the jars again (measured:
 * 24 s to 19 s of CPU for a small ingest). Built once per job jar, beside it in {@code target/},
 * by a small ingest run with {@code -XX:ArchiveClassesAtExit} (about 45 s), under a file lock
 * (two test JVMs may ask at once). An archive is used only once a JVM started with
 * {@code -Xshare:on} (which refuses an archive it cannot use instead of running without)
 * accepted it with the job's classpath and flags; anything else (no archive can be built, a stale
 * or corrupt one, a JDK without CDS) leaves the job JVMs as they were, without the archive.
 * {@code -Dlakeops.test.class-archive=false} turns it off.
 */
final class JobClassArchive {

  private static final Duration BUILD_LIMIT = Duration.ofMinutes(5);
  private static final Duration CHECK_LIMIT = Duration.ofMinutes(1);

  /** Computed once per test JVM: the flags that use the archive, or none. */
  private static List<String> flags;

  private JobClassArchive() {}

  /**
   * The flags that make a job JVM started with {@code jvm} (java and its options, without the
   * class path) and {@code classpath} use the archive; empty when there is none it can use.
   */
  static synchronized List<String> flags(Path jar, List<String> jvm, String classpath) {
    if (flags == null) {
      flags = List.of();
      if (Boolean.parseBoolean(System.getProperty("lakeops.test.class-archive", "true"))) {
        try {
          flags = usableArchive(jar, jvm, classpath);
        } catch (IOException | RuntimeException e) {
          System.err.println("Job JVMs run without a class archive: " + e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    return flags;
  }

  private static List<String> usableArchive(Path jar, List<String> jvm, String classpath)
      throws IOException, InterruptedException {
    Path folder = jar.toAbsolutePath().getParent();
    Path archive = folder.resolve("lakeops-jobs.jsa");
    List<String> use = List.of("-XX:SharedArchiveFile=" + archive);
    try (FileChannel channel = FileChannel.open(folder.resolve("lakeops-jobs.jsa.lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.lock()) {
      if (Files.exists(archive) && accepted(use, jvm, classpath, folder)) {
        return use;
      }
      long start = System.nanoTime();
      build(archive, jvm, classpath, folder);
      boolean ok = Files.exists(archive) && accepted(use, jvm, classpath, folder);
      System.err.printf("Class archive for job JVMs %s in %d s: %s%n", ok ? "built" : "NOT usable",
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), archive);
      return ok ? use : List.of();
    }
  }

  /**
   * A small ingest (configuration, Spark SQL, the Hive catalog on Derby, Delta writes, the job's
   * records: what every job JVM loads) that dumps its classes at exit. A demo run covers the
   * other jobs' classes too, but took twice as long for an archive 4% larger (measured).
   */
  private static void build(Path archive, List<String> jvm, String classpath, Path folder)
      throws IOException, InterruptedException {
    Path work = Files.createTempDirectory(folder, "class-archive-");
    Path partial = work.resolve("partial.jsa");
    Path source = work.resolve("orders.csv");
    List<String> lines = new ArrayList<>(List.of("order_id,customer_id,ts,amount"));
    for (int i = 0; i < 100; i++) {
      lines.add("O" + i + ",C" + i % 7 + ",2025-03-0" + (1 + i % 3) + " 10:00:" + (10 + i % 50) + "," + i);
    }
    Files.write(source, lines);
    Files.createDirectories(work.resolve("defs"));
    Files.writeString(work.resolve("defs/archive_orders.conf"), """
        name = archive_orders
        entity-keys = [customer_id]
        source { format = csv, path = "%s", header = true, event-time { column = ts, format = "yyyy-MM-dd HH:mm:ss" } }
        columns = [
          { name = order_id, type = string, not-null = true }
          { name = customer_id, type = string, not-null = true }
          { name = ts, type = string, not-null = true }
          { name = amount, type = double, min = 0 }
        ]
        """.formatted(source));
    List<String> command = new ArrayList<>(jvm);
    command.addAll(List.of("-XX:ArchiveClassesAtExit=" + partial, "-cp", classpath,
        "io.lakeops.jobs.LakeOps", "ingest", "--group", "archive_orders", "--run-date", "2025-03-03",
        "-Dlakeops.features.definitions-dir=" + work.resolve("defs"),
        "-Dlakeops.lakehouse.root=" + work.resolve("lakehouse"),
        "-Dlakeops.spark.local-master=local[2]", "-Dlakeops.spark.local-shuffle-partitions=2"));
    // The JVM lists the classes it cannot archive on stdout at exit: kept in the work folder only.
    ProcessRun run = ProcessRun.run(work, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), BUILD_LIMIT, command);
    if (run.exitCode() == 0 && Files.exists(partial)) {
      Files.move(partial, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } else {
      System.err.println("Cannot build the class archive for job JVMs: " + run.describe());
    }
    deleteTree(work);
  }

  /** Whether a JVM that must use the archive (-Xshare:on) starts with it and the job's classpath. */
  private static boolean accepted(List<String> use, List<String> jvm, String classpath, Path folder)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(jvm);
    command.add("-Xshare:on");
    command.addAll(use);
    command.addAll(List.of("-cp", classpath, "io.lakeops.jobs.LakeOps", "--version"));
    Path work = Files.createTempDirectory(folder, "class-archive-check-");
    ProcessRun run;
    try {
      run = ProcessRun.run(work, Map.of(), CHECK_LIMIT, command);
    } finally {
      deleteTree(work);
    }
    if (run.exitCode() != 0) {
      System.err.println("The class archive for job JVMs is not usable: " + run.describe());
    }
    return run.exitCode() == 0;
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** For {@link JobProcess}: the class path string of a job JVM. */
  static String classpath(Path jar, Path sparkClasspath) throws IOException {
    return jar.toAbsolutePath() + File.pathSeparator + Files.readString(sparkClasspath).strip();
  }
}

package io.lakeops.jobs.config;

import com.typesafe.config.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;

/**
 * The typed settings of the launcher, read once from the validated configuration.
 *
 * @param lakehouse where data, results and the local catalog live
 * @param spark session options
 * @param jobRunsTable the {@code job_runs} table
 * @param recordJobRuns whether runs are recorded in it
 * @param sqlMaxRows rows printed by {@code sql}
 * @param demo the demo data set
 */
public record LakeOpsSettings(
    Lakehouse lakehouse,
    Spark spark,
    String jobRunsTable,
    boolean recordJobRuns,
    int sqlMaxRows,
    Demo demo,
    Features features) {

  /** Locations; every value is absolute (a URI, or an absolute local path). */
  public record Lakehouse(String root, String rawDir, String resultsDir, String warehouseDir,
      String metastoreDir) {}

  /** Spark options; maps are copied and never null. */
  public record Spark(String localMaster, int localShufflePartitions, Map<String, String> conf,
      Map<String, String> localConf) {
    public Spark {
      conf = Map.copyOf(conf);
      localConf = Map.copyOf(localConf);
    }
  }

  /** Feature store settings: where definitions are and the tables of the feature store. */
  public record Features(String database, Path definitionsDir, String quarantineTable,
      String validationResultsTable, String catalogTable, int backfillParallelism,
      int backfillChunkDays) {}

  /** The demo's generator settings. */
  public record Demo(long seed, int customers, LocalDate startDate, int days,
      LocalDate driftStartDate, String database, boolean featureStore) {
    public LocalDate endDateInclusive() {
      return startDate.plusDays(days - 1L);
    }
  }

  /** As {@link #from(Config, Path, Path)} with the conf folder at {@code <workingDir>/conf}. */
  public static LakeOpsSettings from(Config config, Path workingDir) {
    return from(config, workingDir, workingDir.resolve("conf"));
  }

  /**
   * Reads and checks every setting; throws {@link InvalidConfigException} listing all problems.
   * Relative data locations start at {@code workingDir}; a relative definitions folder starts at
   * {@code confDir}, the folder of the project's application.conf.
   */
  public static LakeOpsSettings from(Config config, Path workingDir, Path confDir) {
    SettingsReader r = new SettingsReader(config);
    Lakehouse lakehouse = new Lakehouse(
        location(r.nonBlank("lakeops.lakehouse.root"), workingDir),
        location(r.nonBlank("lakeops.lakehouse.raw-dir"), workingDir),
        location(r.nonBlank("lakeops.lakehouse.results-dir"), workingDir),
        location(r.nonBlank("lakeops.lakehouse.warehouse-dir"), workingDir),
        location(r.nonBlank("lakeops.lakehouse.metastore-dir"), workingDir));
    Spark spark = new Spark(
        r.nonBlank("lakeops.spark.local-master"),
        r.integer("lakeops.spark.local-shuffle-partitions", 1, 100_000),
        r.stringMap("lakeops.spark.conf"),
        r.stringMap("lakeops.spark.local-conf"));
    String jobRuns = r.tableName("lakeops.job-runs.table");
    boolean record = r.bool("lakeops.job-runs.enabled");
    int maxRows = r.integer("lakeops.sql.max-rows", 1, 10_000_000);
    Demo demo = new Demo(
        r.longValue("lakeops.demo.seed"),
        r.integer("lakeops.demo.customers", 10, 1_000_000),
        r.date("lakeops.demo.start-date"),
        r.integer("lakeops.demo.days", 150, 3660),
        r.date("lakeops.demo.drift-start-date"),
        r.identifier("lakeops.demo.database"),
        r.bool("lakeops.demo.feature-store"));
    Features features = new Features(
        r.identifier("lakeops.features.database"),
        confDir.resolve(r.nonBlank("lakeops.features.definitions-dir")).toAbsolutePath().normalize(),
        r.tableName("lakeops.features.tables.quarantine"),
        r.tableName("lakeops.features.tables.validation-results"),
        r.tableName("lakeops.features.tables.feature-catalog"),
        r.integer("lakeops.features.backfill.parallelism", 1, 64),
        r.integer("lakeops.features.backfill.chunk-days", 1, 3660));
    r.check();
    if (demo.driftStartDate().isBefore(demo.startDate().plusDays(30))
        || demo.driftStartDate().isAfter(demo.endDateInclusive())) {
      throw new InvalidConfigException(java.util.List.of(new ConfigProblem(
          "lakeops.demo.drift-start-date",
          ConfigProblem.describe(config.getValue("lakeops.demo.drift-start-date").origin()),
          "Cannot set 'lakeops.demo.drift-start-date' to " + demo.driftStartDate()
              + ": it must fall between " + demo.startDate().plusDays(30) + " and "
              + demo.endDateInclusive() + " (at least 30 days after start-date, before the end).")));
    }
    checkConfinement(config, workingDir, lakehouse);
    return new LakeOpsSettings(lakehouse, spark, jobRuns, record, maxRows, demo, features);
  }

  /** With {@code lakeops.lakehouse.allowed-root} set, every lakehouse location must lie under it. */
  private static void checkConfinement(Config config, Path workingDir, Lakehouse lakehouse) {
    java.util.Optional<PathConfinement> confinement = PathConfinement.from(config, workingDir);
    if (confinement.isEmpty()) {
      return;
    }
    java.util.List<ConfigProblem> problems = new java.util.ArrayList<>();
    Map<String, String> locations = new java.util.LinkedHashMap<>();
    locations.put("lakeops.lakehouse.root", lakehouse.root());
    locations.put("lakeops.lakehouse.raw-dir", lakehouse.rawDir());
    locations.put("lakeops.lakehouse.results-dir", lakehouse.resultsDir());
    locations.put("lakeops.lakehouse.warehouse-dir", lakehouse.warehouseDir());
    locations.put("lakeops.lakehouse.metastore-dir", lakehouse.metastoreDir());
    locations.forEach((key, location) -> confinement.get().escape(location).ifPresent(resolved ->
        problems.add(new ConfigProblem(key, ConfigProblem.describe(config.getValue(key).origin()),
            confinement.get().message(key, config.getString(key), resolved)))));
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
  }

  /** A URI stays as it is; a local path becomes absolute against the working directory. */
  static String location(String value, Path workingDir) {
    if (value.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*") && !value.matches("^[A-Za-z]:\\\\.*")) {
      return URI.create(value).normalize().toString();
    }
    return workingDir.resolve(value).toAbsolutePath().normalize().toString();
  }
}

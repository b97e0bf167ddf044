package io.lakeops.jobs.demo;

import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftStatus;
import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobCommand;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.drift.DriftRun;
import io.lakeops.jobs.drift.DriftSettings;
import io.lakeops.jobs.drift.DriftSpec;
import io.lakeops.jobs.drift.DriftSpecLoader;
import io.lakeops.jobs.run.JobOutcome;
import java.io.PrintStream;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;

/**
 * {@code lakeops demo}: generates the synthetic retail data set, writes it as raw source files
 * under the lakehouse, loads it into Delta tables, runs the drift report of
 * {@code conf/drift/demo_transactions.conf} on its planted drift, and prints what it did, what
 * the report flagged and where it is, and what to try next.
 * Re-running replaces everything it wrote, so it never fails on existing data or duplicates it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Generate the demo data set (fixed seed), write it as raw files under the "
        + "lakehouse, load it into Delta and print a summary with example queries.",
        "Size and dates: lakeops.demo.* (for example -Dlakeops.demo.customers=500)."})
public final class DemoCommand extends JobCommand {

  static final StructType CUSTOMERS = new StructType()
      .add("customer_id", DataTypes.StringType, false)
      .add("signup_date", DataTypes.DateType)
      .add("region", DataTypes.StringType)
      .add("age", DataTypes.IntegerType)
      .add("gender", DataTypes.StringType)
      .add("plan", DataTypes.StringType)
      .add("email_opt_in", DataTypes.BooleanType);
  static final StructType TRANSACTIONS = new StructType()
      .add("transaction_id", DataTypes.StringType, false)
      .add("customer_id", DataTypes.StringType, false)
      .add("ts", DataTypes.TimestampType, false)
      .add("amount", DataTypes.createDecimalType(12, 2))
      .add("category", DataTypes.StringType)
      .add("channel", DataTypes.StringType);
  static final StructType LABELS = new StructType()
      .add("customer_id", DataTypes.StringType, false)
      .add("label_date", DataTypes.DateType, false)
      .add("churned_within_60d", DataTypes.BooleanType, false);

  /** The example queries printed after the summary; the launcher test runs each of them. */
  public static List<String> exampleQueries(String db, String jobRunsTable, String catalogTable) {
    return List.of(
        "SELECT group_name, feature, data_type, description FROM " + catalogTable
            + " ORDER BY group_name, feature",
        "SELECT date_format(ts, 'yyyy-MM') AS month, count(*) AS orders, round(avg(amount), 2) AS avg_amount,"
            + " round(avg(CASE WHEN channel = 'app' THEN 1 ELSE 0 END), 3) AS app_share"
            + " FROM " + db + ".transactions GROUP BY 1 ORDER BY 1",
        "SELECT c.gender, count(*) AS labelled, round(avg(CAST(l.churned_within_60d AS INT)), 3) AS churn_rate"
            + " FROM " + db + ".churn_labels l JOIN " + db + ".customers c USING (customer_id)"
            + " GROUP BY c.gender ORDER BY c.gender",
        "SELECT job, run_id, status, rows_out, duration_ms FROM " + jobRunsTable
            + " ORDER BY started_at DESC LIMIT 5");
  }

  @Override
  protected String jobName() {
    return "demo";
  }

  @Override
  protected JobOutcome run(JobContext context) throws Exception {
    LakeOpsSettings settings = context.settings();
    LakeOpsSettings.Demo demo = settings.demo();
    SparkSession spark = context.spark();

    context.step("generate the synthetic data set");
    DemoDataset data = DemoDataset.generate(demo);
    String folder = settings.lakehouse().rawDir() + "/demo";
    DemoRawFiles.Written raw = DemoRawFiles.write(data, folder, spark.sparkContext().hadoopConfiguration());

    String db = demo.database();
    spark.sql("CREATE DATABASE IF NOT EXISTS " + db + " COMMENT 'LakeOps demo: raw source tables'");
    Map<String, Long> loaded = new LinkedHashMap<>();
    context.step("load customers into Delta");
    loaded.put(db + ".customers", load(spark, csv(spark, CUSTOMERS, raw.customers()),
        db + ".customers", "Demo customers; gender is the sensitive attribute", data.customers().size()));
    context.step("load transactions into Delta");
    loaded.put(db + ".transactions", load(spark,
        csv(spark, TRANSACTIONS, raw.transactionsFolder() + "/*.csv")
            .withColumn("txn_date", org.apache.spark.sql.functions.to_date(
                org.apache.spark.sql.functions.col("ts"))),
        db + ".transactions", "Demo transactions, one row per order (UTC)", data.transactions().size()));
    context.step("load churn labels into Delta");
    loaded.put(db + ".churn_labels", load(spark, csv(spark, LABELS, raw.labels()),
        db + ".churn_labels", "Demo labels: churned within 60 days of label_date", data.labels().size()));

    long rowsIn = data.customers().size() + (long) data.transactions().size() + data.labels().size();
    long rowsOut = loaded.values().stream().mapToLong(Long::longValue).sum();

    // The feature store: the same raw files through ingest (validation, quarantine) and
    // materialisation (windowed and derived features), as a scheduler would run them.
    Map<String, Long> features = demo.featureStore() ? featureStore(context, demo) : Map.of();
    io.lakeops.features.trainingset.TrainingSetResult trainingSet =
        demo.featureStore() ? trainingSet(context) : null;
    DriftRun.Written drift = drift(context, demo);
    printSummary(context.out(), data, demo, raw, loaded, features, settings);
    if (drift != null) {
      DriftReport r = drift.report();
      context.out().printf(Locale.ROOT, "Drift report %s (%s against %s to %s): %s; flagged: %s%n",
          r.info().reportId(), r.info().currentFrom() + " to " + r.info().currentTo(),
          r.info().referenceFrom(), r.info().referenceTo(), r.drifted() ? "DRIFT" : r.status(),
          flagged(r));
      context.out().println("  HTML report: " + drift.html());
    }
    return JobOutcome.ok("Demo data set written to " + folder + ", loaded into " + db
            + " and materialised into " + settings.features().database())
        .withRows(rowsIn, rowsOut)
        .withOutput("raw_dir", folder)
        .withOutput("tables", loaded)
        .withOutput("feature_tables", features)
        .withOutput("training_set", trainingSet == null ? null : Map.of("id", trainingSet.id(),
            "table", trainingSet.outputTable(), "rows", trainingSet.rows(), "digest", trainingSet.digest()))
        .withOutput("drift", drift == null ? null : Map.of("report_html", drift.html(),
            "drifted", drift.report().drifted(), "drifted_columns", drift.report().driftedColumns()));
  }

  /** The demo's drift spec, conf/drift/demo_transactions.conf (checked before Spark). */
  static final String DRIFT_SPEC = "demo_transactions.conf";

  private DriftSpec driftSpec;
  private DriftSettings driftSettings;

  /**
   * The drift report of the demo's orders on the planted drift: the spec's columns and segments,
   * its current window ending on the demo's last day, and as reference the (up to) 92 days before
   * the drift start date, so that it fits whatever dates and size the demo was given. Skipped
   * (null) when the demo's database is not the one the spec reads, or no day precedes the drift.
   */
  private DriftRun.Written drift(JobContext context, LakeOpsSettings.Demo demo) throws Exception {
    LocalDate refTo = demo.driftStartDate().minusDays(1);
    LocalDate refFrom = demo.driftStartDate().minusDays(92);
    if (refFrom.isBefore(demo.startDate())) {
      refFrom = demo.startDate();
    }
    boolean readsDemo = driftSpec.source().query().orElse("").contains(demo.database() + ".transactions");
    if (!readsDemo || refTo.isBefore(refFrom)) {
      context.out().println("Drift report skipped: " + (readsDemo ? "no day before the drift start date "
          + demo.driftStartDate() : driftSpec.file() + " does not read " + demo.database() + ".transactions") + ".");
      return null;
    }
    context.step("drift report " + driftSpec.name());
    DriftSpec spec = driftSpec.withReference(DriftSpec.Reference.window(refFrom, refTo));
    return new DriftRun(spec, driftSettings).run(context, demo.endDateInclusive());
  }

  /** Drifted columns with their deciding methods, then warnings; "nothing" when none. */
  private static String flagged(DriftReport r) {
    List<String> parts = new java.util.ArrayList<>();
    for (ColumnDrift c : r.columns()) {
      if (c.status() == DriftStatus.DRIFT || c.status() == DriftStatus.WARN) {
        parts.add(c.column() + " " + c.status() + " (" + String.join("+", c.decidedBy()) + ")");
      }
    }
    r.performance().filter(ColumnDrift::drifted).ifPresent(p -> parts.add("concept drift"));
    long segments = r.segments().stream().filter(ColumnDrift::drifted).count();
    if (segments > 0) {
      parts.add(segments + " of " + r.segments().size() + " column x segment results");
    }
    return parts.isEmpty() ? "nothing" : String.join(", ", parts);
  }

  /** The demo's feature groups, from the definitions folder (conf/features). */
  static final List<String> GROUPS = List.of("demo_customer_activity", "demo_customer_profile");

  private Map<String, io.lakeops.features.definition.FeatureGroup> groups;

  /** The demo's feature group definitions are checked before Spark starts. */
  @Override
  protected void checkArguments(LakeOpsSettings settings, com.typesafe.config.Config config) {
    driftSettings = DriftSettings.from(config);
    driftSpec = DriftSpecLoader.load(settings.features().definitionsDir().resolveSibling("drift")
        .resolve(DRIFT_SPEC));
    if (!settings.demo().featureStore()) {
      return;
    }
    groups = io.lakeops.jobs.features.FeatureGroupLoader.loadAll(settings.features().definitionsDir(),
        config, environment().workingDir());
    for (String name : GROUPS) {
      if (!groups.containsKey(name)) {
        throw JobFailure.usage("Cannot run the demo's feature store: no definition of group '" + name
            + "' in " + settings.features().definitionsDir() + ". Restore conf/features/" + name + ".conf.");
      }
    }
    loadTrainingSpec(settings, config);
  }

  /** The demo's training set spec (conf/training-sets/demo_churn.conf), checked before Spark. */
  static final String TRAINING_SET = "demo_churn";

  private io.lakeops.features.trainingset.TrainingSetSpec trainingSpec;
  private String trainingManifest;

  private void loadTrainingSpec(LakeOpsSettings settings, com.typesafe.config.Config config) {
    java.nio.file.Path dir = settings.features().definitionsDir()
        .resolveSibling(config.getString("lakeops.training-sets.definitions-dir"));
    trainingSpec = io.lakeops.jobs.features.TrainingSetSpecLoader.load(dir.resolve(TRAINING_SET + ".conf"),
        config, groups, settings.features().database(), config.getString("lakeops.training-sets.database"));
    trainingManifest = config.getString("lakeops.features.tables.training-sets");
  }

  /** Builds the demo's churn training set from the feature tables just written. */
  private io.lakeops.features.trainingset.TrainingSetResult trainingSet(JobContext context) {
    context.step("training set " + trainingSpec.name());
    var result = new io.lakeops.features.trainingset.TrainingSets(context.spark(), trainingManifest,
        io.lakeops.features.pit.PitOptions.defaults())
        .build(trainingSpec, context.runId(), java.time.Instant.now());
    context.out().printf(Locale.ROOT, "training set %s: %,d rows -> %s; activity features found "
        + "for %.1f%% of labels (no order within the 90-day TTL otherwise)%n", result.id(), result.rows(),
        result.outputTable(), 100 * result.matchedShare().values().iterator().next());
    return result;
  }

  private Map<String, Long> featureStore(JobContext context, LakeOpsSettings.Demo demo) throws Exception {
    LakeOpsSettings settings = context.settings();
    Map<String, io.lakeops.features.definition.FeatureGroup> all = groups;
    io.lakeops.features.spark.FeatureTables tables = io.lakeops.jobs.features.IngestCommand.tables(settings);
    Map<String, Long> written = new LinkedHashMap<>();
    LocalDate end = demo.endDateInclusive();
    for (String name : GROUPS) {
      io.lakeops.features.definition.FeatureGroup group = all.get(name);
      context.step("ingest " + name);
      io.lakeops.features.IngestResult ingest = new io.lakeops.features.spark.IngestJob(context.spark(), tables)
          .run(group, end, context.runId(), java.time.Instant.now(), context.environment().env());
      context.out().printf(Locale.ROOT, "ingest %s: %,d rows accepted, %,d quarantined%n", name,
          ingest.accepted(), ingest.quarantined());
      if (!ingest.passed()) {
        throw new JobFailure(ExitCode.INPUT_REJECTED, "Cannot take the demo's " + name + " batch: "
            + ingest.failedChecks());
      }
      if (group.aggregates().isEmpty()) {
        context.step("materialize " + name);
        new io.lakeops.features.spark.MaterializeJob(context.spark(), tables).run(group, end, end, java.time.Instant.now());
      } else {
        context.step("backfill " + name);
        // A year of demo orders fits one pass: one chunk computes the windows once.
        new io.lakeops.features.spark.BackfillJob(context.spark(), tables).run(group, demo.startDate(), end,
            demo.days(), 1, context.runId(), line -> context.out().println(line));
      }
      written.put(tables.features(group), context.spark().table(tables.features(group)).count());
    }
    return written;
  }

  private static Dataset<Row> csv(SparkSession spark, StructType schema, String path) {
    return spark.read().schema(schema).option("header", "true").option("mode", "FAILFAST")
        .option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss[.SSS]XXX").csv(path);
  }

  /** Replaces the table in one Delta commit and checks that every generated row arrived. */
  private static long load(SparkSession spark, Dataset<Row> rows, String table, String comment,
      long expected) {
    String view = "lakeops_demo_" + table.replace('.', '_');
    rows.createOrReplaceTempView(view);
    try {
      if (spark.catalog().tableExists(table)
          && sameColumns(spark.table(table).schema(), spark.table(view).schema())) {
        // Same schema: replace the rows only. (CREATE OR REPLACE would also rewrite the Hive
        // metastore entry, which an embedded Hive metastore logs as an error.)
        spark.sql("INSERT OVERWRITE TABLE " + table + " SELECT * FROM " + view);
      } else {
        spark.sql("CREATE OR REPLACE TABLE " + table + " USING delta COMMENT '" + comment
            + "' AS SELECT * FROM " + view);
      }
    } finally {
      spark.catalog().dropTempView(view);
    }
    long count = spark.table(table).count();
    if (count != expected) {
      throw new JobFailure(ExitCode.FAILURE, "Cannot load " + table + ": the raw files hold "
          + expected + " rows but " + count + " arrived. The raw folder changed during the load; "
          + "run the demo again.");
    }
    return count;
  }

  private static boolean sameColumns(StructType a, StructType b) {
    if (a.fields().length != b.fields().length) {
      return false;
    }
    for (int i = 0; i < a.fields().length; i++) {
      if (!a.fields()[i].name().equals(b.fields()[i].name())
          || !a.fields()[i].dataType().equals(b.fields()[i].dataType())) {
        return false;
      }
    }
    return true;
  }

  private static void printSummary(PrintStream out, DemoDataset data, LakeOpsSettings.Demo demo,
      DemoRawFiles.Written raw, Map<String, Long> loaded, Map<String, Long> features,
      LakeOpsSettings settings) {
    String jobRunsTable = settings.jobRunsTable();
    String db = demo.database();
    out.printf(Locale.ROOT, "LakeOps demo: synthetic retail data, seed %d, %s to %s%n",
        demo.seed(), demo.startDate(), demo.endDateInclusive());
    out.printf(Locale.ROOT, "Raw files under %s%n", raw.folder());
    out.printf(Locale.ROOT, "  %-14s %,10d rows  %s  ->  %s%n", "customers",
        loaded.get(db + ".customers"), "customers.csv", db + ".customers");
    out.printf(Locale.ROOT, "  %-14s %,10d rows  %s  ->  %s%n", "transactions",
        loaded.get(db + ".transactions"), "transactions/ (" + raw.transactionFiles() + " daily files)",
        db + ".transactions");
    out.printf(Locale.ROOT, "  %-14s %,10d rows  %s  ->  %s%n", "churn labels",
        loaded.get(db + ".churn_labels"), "churn_labels.csv", db + ".churn_labels");
    out.println("Feature tables (features as of each order, and the profile as of " + demo.endDateInclusive() + "):");
    features.forEach((table, rows) -> out.printf(Locale.ROOT, "  %-40s %,10d rows%n", table, rows));
    DemoFacts facts = DemoFacts.of(data, demo);
    out.printf(Locale.ROOT, "Planted bias: churn rate within 60 days is %.3f for gender F and %.3f "
        + "for the others.%n", facts.churnRateF(), facts.churnRateOthers());
    out.printf(Locale.ROOT, "Planted drift from %s: mean order %.2f -> %.2f, app share %.2f -> %.2f, "
        + "new category '%s'.%n", demo.driftStartDate(), facts.meanAmountBefore(),
        facts.meanAmountAfter(), facts.appShareBefore(), facts.appShareAfter(), DemoDataset.NEW_CATEGORY);
    out.println("Try:");
    for (String q : exampleQueries(db, jobRunsTable, settings.features().catalogTable())) {
      out.println("  ./lakeops sql \"" + q + "\"");
    }
  }
}

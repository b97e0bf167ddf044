package io.lakeops.jobs.drift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftMethod;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftReportInfo;
import io.lakeops.drift.profile.DriftProfile;
import io.lakeops.drift.report.DriftHtmlReport;
import io.lakeops.drift.report.DriftReportJson;
import io.lakeops.drift.spark.DriftComputation;
import io.lakeops.drift.spark.DriftMetricsTable;
import io.lakeops.drift.spark.DriftProfiles;
import io.lakeops.features.pit.PitOptions;
import io.lakeops.features.trainingset.TrainingSets;
import io.lakeops.jobs.JobCommand;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.ClosestKey;
import io.lakeops.jobs.run.ResultFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One drift report for one run date: reads the source, profiles the reference (or reuses its
 * stored profile), compares, writes {@code lakeops.drift_metrics}, the JSON and the HTML report,
 * and prints the summary. The drift job and the demo both run reports through it.
 */
public final class DriftRun {

  /** What a report wrote. */
  public record Written(DriftReport report, boolean profileReused, String html, String json,
      long metricRows) {}

  private final DriftSpec spec;
  private final DriftSettings settings;

  public DriftRun(DriftSpec spec, DriftSettings settings) {
    this.spec = spec;
    this.settings = settings;
  }

  /** Runs the report of {@code runDate}: its current window is the days ending then. */
  public Written run(JobContext context, LocalDate runDate) throws Exception {
    SparkSession spark = context.spark();
    LocalDate curFrom = runDate.minusDays(spec.currentDays() - 1L);
    context.step("drift " + spec.name() + ": read the source");
    Dataset<Row> source = read(spark, spec.source().table(), spec.source().query(), "source");
    Dataset<Row> current = window(source, curFrom, runDate, "source");
    DriftSpec.Reference ref = spec.reference();
    LocalDate[] refWindow = ref.profile().isPresent() ? null : ref.window(curFrom);
    DriftReportInfo info = new DriftReportInfo(spec.name(), runDate, spec.source().describe(),
        ref.describe(), refWindow == null ? null : refWindow[0], refWindow == null ? null : refWindow[1],
        curFrom, runDate);

    DriftProfiles profiles = new DriftProfiles(spark, settings.profilesTable());
    DriftComputation computation = new DriftComputation(spark, spec.options());
    DriftComputation.Result result;
    boolean stored;
    if (ref.profile().isPresent()) {
      context.step("drift " + spec.name() + ": load stored profile " + ref.profile().get());
      DriftProfile profile = load(profiles, ref.profile().get())
          .orElseThrow(() -> JobFailure.usage("Cannot find the stored profile '" + ref.profile().get()
              + "' in " + profiles.table() + " (reference.profile of " + spec.file() + "). "
              + "Use the profile_id of an earlier report, or define the reference by a window."));
      result = computation.compare(info, profile, current);
      stored = true;
    } else {
      Dataset<Row> refData = ref.trainingSet().isPresent() ? trainingSet(spark, ref.trainingSet().get())
          : ref.table().isPresent() ? read(spark, ref.table(), Optional.empty(), "reference") : source;
      boolean own = ref.table().isPresent() || ref.trainingSet().isPresent();
      if (refWindow != null) {
        refData = window(refData, refWindow[0], refWindow[1], own ? "reference" : "source");
      }
      String definition = definition(info, refData);
      String id = spec.name() + "-" + sha256(definition).substring(0, 16);
      context.step("drift " + spec.name() + ": look up profile " + id);
      Optional<DriftProfile> existing = load(profiles, id);
      if (existing.isPresent()) {
        result = computation.compare(info, existing.get(), current);
        stored = true;
      } else {
        context.step("drift " + spec.name() + ": profile the reference and compare");
        result = computation.compare(info, refData, id, current);
        context.step("drift " + spec.name() + ": store profile " + id);
        profiles.save(result.reference(), definition, Instant.now());
        stored = false;
      }
    }
    DriftReport report = result.report();

    context.step("drift " + spec.name() + ": write " + settings.metricsTable());
    long rows = new DriftMetricsTable(spark, settings.metricsTable()).write(report, context.runId(), Instant.now());
    String folder = context.settings().lakehouse().resultsDir() + "/drift/" + spec.name();
    String html = folder + "/" + runDate + ".html";
    String json = folder + "/" + runDate + ".json";
    ResultFile.write(spark.sparkContext().hadoopConfiguration(), html, DriftHtmlReport.render(report));
    ResultFile.write(spark.sparkContext().hadoopConfiguration(), json, DriftReportJson.toJson(report));
    print(context, report, stored, html);
    return new Written(report, stored, html, json, rows);

  }

  /**
   * The rows of training set {@code id} at the Delta version its manifest pinned (time travel),
   * so a later rebuild of the same table does not move the reference.
   */
  private Dataset<Row> trainingSet(SparkSession spark, String id) {
    TrainingSets sets = new TrainingSets(spark, settings.trainingSetsTable(), PitOptions.defaults());
    TrainingSets.Output output = sets.output(id).orElseThrow(() -> {
      List<String> ids = sets.ids();
      return JobFailure.usage("Cannot find training set '" + id + "' in " + settings.trainingSetsTable()
          + " (reference.training-set of " + spec.file() + "). " + (ids.isEmpty()
              ? "The manifest holds no training set yet: build one with ./lakeops training-set first."
              : "The closest id is '" + ClosestKey.find(id, ids) + "'."));
    });
    try {
      return spark.sql("SELECT * FROM " + output.table() + " VERSION AS OF " + output.version());
    } catch (Exception e) {
      throw JobFailure.usage("Cannot read training set '" + id + "' (" + output.table() + " version "
          + output.version() + ") of " + spec.file() + ": " + JobCommand.describe(e) + ". The table or that "
          + "version is gone (VACUUM removes old versions); rebuild the training set.");
    }
  }

  private Optional<DriftProfile> load(DriftProfiles profiles, String id) {
    try {
      return profiles.load(id, spec.options());
    } catch (IllegalArgumentException e) {
      throw JobFailure.usage(e.getMessage());
    }
  }

  private Dataset<Row> read(SparkSession spark, Optional<String> table, Optional<String> query, String side) {
    try {
      return table.isPresent() ? spark.table(table.get()) : spark.sql(query.orElseThrow());
    } catch (Exception e) {
      throw JobFailure.usage("Cannot read the " + side + " " + table.map(t -> "table " + t).orElse("query")
          + " of " + spec.file() + ": " + JobCommand.describe(e) + ". Check that it exists (run the job that writes it first).");
    }
  }

  /** Rows whose time column falls on a day of [from, to] (UTC days for timestamps). */
  private Dataset<Row> window(Dataset<Row> data, LocalDate from, LocalDate to, String side) {
    String t = spec.timeColumn();
    if (Arrays.stream(data.columns()).noneMatch(t::equals)) {
      throw JobFailure.usage("Cannot find the time column '" + t + "' in the " + side + " of "
          + spec.file() + ". Its columns: " + Arrays.toString(data.columns()) + ".");
    }
    String type = data.schema().apply(t).dataType().typeName();
    if (!type.equals("date") && !type.startsWith("timestamp")) {
      throw JobFailure.usage("Cannot filter windows on '" + t + "' (" + type + ") in " + spec.file()
          + ": source.time-column must be a date or timestamp column.");
    }
    return data.where(col("`" + t + "`").cast("date").between(lit(java.sql.Date.valueOf(from)),
        lit(java.sql.Date.valueOf(to))));
  }

  /**
   * What defines a reference profile: the reference definition, the options that shape the
   * state, and the data files the reference reads (a new Delta version that adds or rewrites
   * files makes a new profile; an unchanged table reuses the stored one).
   */
  private String definition(DriftReportInfo info, Dataset<Row> refData) {
    var o = spec.options();
    String[] files = refData.inputFiles().clone();
    Arrays.sort(files);
    return String.join("\n", "spec=" + spec.name(), "source=" + spec.source().describe(),
        "reference=" + spec.reference().describe(), "window=" + info.referenceFrom() + ".." + info.referenceTo(),
        "time-column=" + spec.timeColumn(), "columns=" + o.columns(), "segments=" + o.segments(),
        "performance=" + o.performance(), "bins=" + o.bins() + "/" + o.fineBins(),
        "sketch=" + o.sketchRelativeError(), "max-categories=" + o.maxCategories() + "/" + o.maxDistinct(),
        "max-segments=" + o.maxSegments(), "files=" + String.join(",", files));
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void print(JobContext context, DriftReport r, boolean stored, String html) {
    var out = context.out();
    var info = r.info();
    out.printf(Locale.ROOT, "drift %s: reference %s (%,d rows), current %s to %s (%,d rows)%n",
        info.reportId(), info.referenceFrom() == null ? info.reference()
            : info.referenceFrom() + " to " + info.referenceTo(), r.referenceRows(),
        info.currentFrom(), info.currentTo(), r.currentRows());
    out.printf(Locale.ROOT, "profile %s (%s), %d Spark jobs for the comparison%n", r.profileId(),
        stored ? "stored, reused" : "computed and stored", r.sparkJobs());
    out.printf(Locale.ROOT, "%-28s %-12s %-34s %10s %10s %10s %10s%n", "column", "status", "decided by",
        "psi", "ks", "js_dist", "missing");
    for (ColumnDrift c : r.columns()) {
      out.printf(Locale.ROOT, "%-28s %-12s %-34s %10s %10s %10s %10s%n", c.column(), c.status(),
          String.join("+", c.decidedBy()), f(c.value(DriftMethod.PSI)), f(c.value(DriftMethod.KS)),
          f(c.value(DriftMethod.JS_DISTANCE)), f(c.value(DriftMethod.MISSING_SHARE)));
    }
    r.performance().ifPresent(p -> out.printf(Locale.ROOT, "%-28s %-12s error rate change %s, AUC %s (change %s)%n",
        p.column(), p.status(), f(p.value(DriftMethod.ERROR_RATE)), f(p.value(DriftMethod.AUC)),
        f(p.value(DriftMethod.AUC_CHANGE))));
    long segmentDrift = r.segments().stream().filter(ColumnDrift::drifted).count();
    if (!r.segments().isEmpty()) {
      out.printf(Locale.ROOT, "segments: %d column x segment results, %d drifted%n", r.segments().size(), segmentDrift);
    }
    out.printf(Locale.ROOT, "data set: %s (%d of %d columns drifted, rule: share >= %.2f or a critical column)%n",
        r.drifted() ? "DRIFT" : r.status() == io.lakeops.drift.DriftStatus.DRIFT ? "DRIFT" : r.status().name(),
        r.driftedColumns().size(), r.columns().size(), r.options().driftedShare());
    out.println("report: " + html);
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }
}

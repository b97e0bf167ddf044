package io.lakeops.jobs.drift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.typesafe.config.Config;
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
import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobCommand;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.JobFailure;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.run.JobOutcome;
import io.lakeops.jobs.run.ResultFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lakeops drift --spec FILE --run-date D [--fail-on-drift]}. */
@Command(name = "drift", mixinStandardHelpOptions = true,
    description = {"Compare the current window (ending on the run date) with a reference: PSI, "
        + "KS, Wasserstein, Jensen-Shannon, chi-square and missing shares per column and segment. "
        + "Writes lakeops.drift_metrics, the report as JSON and as a self-contained HTML page.",
        "With --fail-on-drift, exit 5 when the data set drifted (to trigger retraining)."})
public final class DriftCommand extends JobCommand {

  @Option(names = "--spec", required = true, paramLabel = "FILE",
      description = "The drift spec (HOCON), e.g. conf/drift/demo_transactions.conf.")
  Path specFile;

  @Option(names = "--run-date", required = true, paramLabel = "YYYY-MM-DD",
      description = "Last day of the current window (Airflow: {{ ds }}).")
  LocalDate runDate;

  @Option(names = "--fail-on-drift",
      description = "Exit 5 (DRIFT_DETECTED) when the data set drifted; otherwise drift is reported with exit 0.")
  boolean failOnDrift;

  private DriftSpec spec;
  private DriftSettings driftSettings;

  @Override
  protected String jobName() {
    return "drift";
  }

  @Override
  protected LocalDate logicalDate() {
    return runDate;
  }

  @Override
  protected void checkArguments(LakeOpsSettings settings, Config config) {
    driftSettings = DriftSettings.from(config);
    spec = DriftSpecLoader.load(environment().workingDir().resolve(specFile).normalize());
  }

  @Override
  protected JobOutcome run(JobContext context) throws Exception {
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

    DriftProfiles profiles = new DriftProfiles(spark, driftSettings.profilesTable());
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
      Dataset<Row> refData = ref.table().isPresent()
          ? read(spark, ref.table(), Optional.empty(), "reference") : source;
      if (refWindow != null) {
        refData = window(refData, refWindow[0], refWindow[1], ref.table().isPresent() ? "reference" : "source");
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

    context.step("drift " + spec.name() + ": write " + driftSettings.metricsTable());
    long rows = new DriftMetricsTable(spark, driftSettings.metricsTable()).write(report, context.runId(), Instant.now());
    String folder = context.settings().lakehouse().resultsDir() + "/drift/" + spec.name();
    String html = folder + "/" + runDate + ".html";
    String json = folder + "/" + runDate + ".json";
    ResultFile.write(spark.sparkContext().hadoopConfiguration(), html, DriftHtmlReport.render(report));
    ResultFile.write(spark.sparkContext().hadoopConfiguration(), json, DriftReportJson.toJson(report));
    print(context, report, stored, html);

    boolean fail = failOnDrift && report.drifted();
    String message = String.format(Locale.ROOT, "Drift report %s: %s, %d of %d columns drifted%s",
        info.reportId(), report.status(), report.driftedColumns().size(), report.columns().size(),
        report.driftedColumns().isEmpty() ? "" : " (" + String.join(", ", report.driftedColumns()) + ")");
    JobOutcome outcome = new JobOutcome(fail ? ExitCode.DRIFT_DETECTED : ExitCode.OK,
        java.util.OptionalLong.of(report.referenceRows() + report.currentRows()),
        java.util.OptionalLong.of(rows), message, DriftReportJson.summary(report));
    return outcome.withOutput("report_html", html).withOutput("report_json", json)
        .withOutput("metrics_table", driftSettings.metricsTable())
        .withOutput("profiles_table", driftSettings.profilesTable());
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
          + " of " + spec.file() + ": " + describe(e) + ". Check that it exists (run the job that writes it first).");
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

  private static void print(JobContext context, DriftReport r, boolean stored, String html) {
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
    r.performance().ifPresent(p -> out.printf(Locale.ROOT, "%-28s %-12s error rate change %s%n",
        p.column(), p.status(), f(p.value(DriftMethod.ERROR_RATE))));
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

package io.lakeops.jobs.drift;

import com.typesafe.config.Config;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftReportInfo;
import io.lakeops.drift.report.DriftReportJson;
import io.lakeops.jobs.ExitCode;
import io.lakeops.jobs.JobCommand;
import io.lakeops.jobs.JobContext;
import io.lakeops.jobs.config.LakeOpsSettings;
import io.lakeops.jobs.run.JobOutcome;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
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
    DriftRun.Written w = new DriftRun(spec, driftSettings).run(context, runDate);
    DriftReport report = w.report();
    DriftReportInfo info = report.info();
    String html = w.html();
    String json = w.json();
    long rows = w.metricRows();
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
}

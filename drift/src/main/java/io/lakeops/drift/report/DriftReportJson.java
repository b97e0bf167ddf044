package io.lakeops.drift.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.MetricValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report as JSON: the verdict, then every column and segment with all its metrics. NaN is null. */
public final class DriftReportJson {

  private DriftReportJson() {}

  public static String toJson(DriftReport report) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toMap(report));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write the drift report as JSON: " + e.getMessage(), e);
    }
  }

  /** The summary the job puts in its result JSON. */
  public static Map<String, Object> summary(DriftReport report) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("report_id", report.info().reportId());
    m.put("status", report.status().name());
    m.put("drifted", report.drifted());
    m.put("drifted_share", report.driftedShare());
    m.put("drifted_columns", report.driftedColumns());
    m.put("critical_drifted", report.criticalDrifted());
    m.put("concept_drift", report.performance().map(ColumnDrift::drifted).orElse(null));
    m.put("reference_rows", report.referenceRows());
    m.put("current_rows", report.currentRows());
    m.put("profile_id", report.profileId());
    m.put("profile_reused", report.profileReused());
    m.put("spark_jobs", report.sparkJobs());
    return m;
  }

  public static Map<String, Object> toMap(DriftReport report) {
    Map<String, Object> m = summary(report);
    var info = report.info();
    m.put("name", info.name());
    m.put("run_date", String.valueOf(info.runDate()));
    m.put("source", info.source());
    m.put("reference", info.reference());
    m.put("reference_window", window(info.referenceFrom(), info.referenceTo()));
    m.put("current_window", window(info.currentFrom(), info.currentTo()));
    m.put("columns", columns(report.columns()));
    m.put("segments", columns(report.segments()));
    m.put("performance", report.performance().map(DriftReportJson::column).orElse(null));
    m.put("segment_performance", columns(report.segmentPerformance()));
    return m;
  }

  private static Map<String, Object> window(Object from, Object to) {
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("from", from == null ? null : from.toString());
    w.put("to", to == null ? null : to.toString());
    return w;
  }

  private static List<Object> columns(List<ColumnDrift> list) {
    List<Object> out = new ArrayList<>();
    list.forEach(c -> out.add(column(c)));
    return out;
  }

  private static Map<String, Object> column(ColumnDrift c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("column", c.column());
    m.put("kind", c.kind() == null ? "performance" : c.kind().name().toLowerCase(Locale.ROOT));
    m.put("role", c.role().name().toLowerCase(Locale.ROOT));
    m.put("critical", c.critical());
    m.put("segment_column", c.segmentColumn());
    m.put("segment", c.segment());
    m.put("status", c.status().name());
    m.put("drifted", c.drifted());
    m.put("decided_by", c.decidedBy());
    m.put("reference", side(c.reference()));
    m.put("current", side(c.current()));
    List<Object> metrics = new ArrayList<>();
    for (MetricValue v : c.metrics()) {
      Map<String, Object> mv = new LinkedHashMap<>();
      mv.put("method", v.method());
      mv.put("value", num(v.value()));
      mv.put("threshold", num(v.threshold()));
      mv.put("drifted", v.drifted());
      mv.put("decides", v.decides());
      mv.put("p_value", num(v.pValue()));
      mv.put("p_value_adjusted", num(v.adjustedPValue()));
      mv.put("error_bound", num(v.errorBound()));
      metrics.add(mv);
    }
    m.put("metrics", metrics);
    m.put("notes", c.notes());
    return m;
  }

  private static Map<String, Object> side(io.lakeops.drift.SideSummary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rows", s.rows());
    m.put("values", s.values());
    m.put("nulls", s.nulls());
    m.put("nans", s.nans());
    m.put("infinities", s.infinities());
    m.put("missing_share", num(s.missingShare()));
    m.put("mean", num(s.mean()));
    m.put("std", num(s.std()));
    return m;
  }

  private static Object num(double v) {
    if (Double.isNaN(v)) {
      return null;
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    return v;
  }
}

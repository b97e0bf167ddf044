package io.lakeops.drift.report;

import io.lakeops.drift.Chart;
import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftMethod;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftStatus;
import io.lakeops.drift.DriftThresholds;
import io.lakeops.drift.MetricValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML page (inline CSS and SVG, no scripts, no external URLs, so it opens
 * offline and in a mail attachment): the verdict, a summary table, then per column (most
 * severe first) an overlaid histogram of reference and current shares, its metrics and notes,
 * and the segment table.
 */
public final class DriftHtmlReport {

  private static final int MAX_BARS = 25;
  private static final String REF_COLOR = "#3b6fb6";
  private static final String CUR_COLOR = "#e07b24";

  private DriftHtmlReport() {}

  public static String render(DriftReport r) {
    StringBuilder h = new StringBuilder(64 * 1024);
    var info = r.info();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Drift report: ")
        .append(esc(info.name())).append(' ').append(info.runDate()).append("</title>\n<style>\n")
        .append("body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fff}")
        .append("h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc}")
        .append("h3{font-size:15px;margin:22px 0 6px}table{border-collapse:collapse;font-size:13px;margin:6px 0}")
        .append("th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f3f3f3}")
        .append("td.l,th.l{text-align:left}.badge{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;font-weight:bold;font-size:12px}")
        .append(".DRIFT{background:#c0392b}.WARN{background:#d68910}.OK{background:#1e8449}.other{background:#7f8c8d}")
        .append(".facts td{text-align:left}.notes{font-size:13px;color:#444;margin:4px 0 0 18px}.feature{border-top:1px solid #eee;padding-top:4px}")
        .append(".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}")
        .append("</style></head><body>\n");
    h.append("<h1>Drift report: ").append(esc(info.name())).append(" &mdash; ").append(info.runDate())
        .append(" ").append(badge(r.status())).append("</h1>\n");
    h.append("<table class=\"facts\">");
    fact(h, "Verdict", r.drifted() ? "Data set drifted: retraining advised" : "No data set drift");
    fact(h, "Drifted columns", String.format(Locale.ROOT, "%d of %d compared (%.0f %%; rule: %.0f %% or a critical column)%s",
        r.driftedColumns().size(), comparedCount(r), 100 * r.driftedShare(), 100 * r.options().driftedShare(),
        r.driftedColumns().isEmpty() ? "" : ": " + String.join(", ", r.driftedColumns())));
    fact(h, "Critical columns drifted", r.criticalDrifted().isEmpty() ? "none" : String.join(", ", r.criticalDrifted()));
    r.performance().ifPresent(p -> fact(h, "Concept drift", p.status() + (p.notes().isEmpty() ? "" : ": " + p.notes().get(p.notes().size() - 1))));
    fact(h, "Source", info.source());
    fact(h, "Reference", info.reference() + window(info.referenceFrom(), info.referenceTo())
        + String.format(Locale.ROOT, ", %,d rows", r.referenceRows()));
    fact(h, "Current", "window" + window(info.currentFrom(), info.currentTo())
        + String.format(Locale.ROOT, ", %,d rows", r.currentRows()));
    fact(h, "Profile", r.profileId() + (r.profileReused() ? " (stored, reused)" : " (computed now)"));
    fact(h, "Spark jobs", String.valueOf(r.sparkJobs()));
    h.append("</table>\n");

    h.append("<h2>Summary (most severe first)</h2>\n<table><tr><th class=\"l\">column</th><th class=\"l\">kind</th>")
        .append("<th class=\"l\">status</th><th class=\"l\">decided by</th><th>PSI</th><th>KS D</th><th>KS p (adj.)</th>")
        .append("<th>Wasserstein / sd</th><th>JS distance</th><th>chi-square p (adj.)</th><th>unseen share</th>")
        .append("<th>missing share ref &rarr; cur</th></tr>\n");
    for (ColumnDrift c : r.columns()) {
      h.append("<tr><td class=\"l\"><a href=\"#col-").append(esc(anchor(c.column()))).append("\">").append(esc(c.column()))
          .append("</a>").append(c.critical() ? " (critical)" : "").append("</td><td class=\"l\">")
          .append(c.kind().name().toLowerCase(Locale.ROOT)).append("</td><td class=\"l\">").append(badge(c.status()))
          .append("</td><td class=\"l\">").append(esc(String.join(", ", c.decidedBy()))).append("</td>")
          .append(td(c.value(DriftMethod.PSI))).append(td(c.value(DriftMethod.KS)))
          .append(td(c.metric(DriftMethod.KS).map(MetricValue::adjustedPValue).orElse(Double.NaN)))
          .append(td(c.value(DriftMethod.WASSERSTEIN))).append(td(c.value(DriftMethod.JS_DISTANCE)))
          .append(td(c.metric(DriftMethod.CHI_SQUARE).map(MetricValue::adjustedPValue).orElse(Double.NaN)))
          .append(td(c.value(DriftMethod.UNSEEN_SHARE)))
          .append("<td>").append(share(c.reference().missingShare())).append(" &rarr; ")
          .append(share(c.current().missingShare())).append("</td></tr>\n");
    }
    h.append("</table>\n");

    r.performance().ifPresent(p -> {
      h.append("<h2>Model performance (concept drift)</h2>\n");
      metrics(h, p);
      notes(h, p);
    });

    h.append("<h2>Columns</h2>\n");
    for (ColumnDrift c : r.columns()) {
      h.append("<div class=\"feature\" id=\"col-").append(esc(anchor(c.column()))).append("\"><h3>")
          .append(esc(c.column())).append(' ').append(badge(c.status())).append("</h3>\n");
      h.append(String.format(Locale.ROOT, "<div>reference: %,d rows, %,d values; current: %,d rows, %,d values%s</div>%n",
          c.reference().rows(), c.reference().values(), c.current().rows(), c.current().values(),
          Double.isNaN(c.reference().mean()) ? "" : String.format(Locale.ROOT, "; mean %s &rarr; %s, sd %s &rarr; %s",
              num(c.reference().mean()), num(c.current().mean()), num(c.reference().std()), num(c.current().std()))));
      if (!c.chart().buckets().isEmpty()) {
        h.append(svg(c.chart()));
      }
      metrics(h, c);
      notes(h, c);
      h.append("</div>\n");
    }

    if (!r.segments().isEmpty()) {
      h.append("<h2>Segments</h2>\n<p>Same statistics per segment, from the same pass; p-values are ")
          .append("corrected together with all others (Benjamini-Hochberg). Segments below ")
          .append(r.options().minSegmentRows()).append(" rows on a side are not compared.</p>\n");
      h.append("<table><tr><th class=\"l\">segment</th><th class=\"l\">column</th><th class=\"l\">status</th>")
          .append("<th>ref rows</th><th>cur rows</th><th>PSI</th><th>KS / chi-square p (adj.)</th><th>JS distance</th>")
          .append("<th>missing change</th></tr>\n");
      for (ColumnDrift c : r.segments()) {
        double p = c.metric(DriftMethod.KS).or(() -> c.metric(DriftMethod.CHI_SQUARE))
            .map(MetricValue::adjustedPValue).orElse(Double.NaN);
        h.append("<tr><td class=\"l\">").append(esc(c.segmentColumn() + " = " + c.segment())).append("</td><td class=\"l\">")
            .append(esc(c.column())).append("</td><td class=\"l\">").append(badge(c.status())).append("</td>")
            .append(String.format(Locale.ROOT, "<td>%,d</td><td>%,d</td>", c.reference().rows(), c.current().rows()))
            .append(td(c.value(DriftMethod.PSI))).append(td(p)).append(td(c.value(DriftMethod.JS_DISTANCE)))
            .append(td(c.value(DriftMethod.MISSING_SHARE))).append("</tr>\n");
      }
      h.append("</table>\n");
    }
    methods(h, r);
    h.append("</body></html>\n");
    return h.toString();
  }

  private static long comparedCount(DriftReport r) {
    return r.columns().stream().filter(c -> switch (c.status()) {
      case OK, WARN, DRIFT, ALL_NULL -> true;
      default -> false;
    }).count();
  }

  private static void metrics(StringBuilder h, ColumnDrift c) {
    if (c.metrics().isEmpty()) {
      return;
    }
    h.append("<table><tr><th class=\"l\">method</th><th>value</th><th>threshold</th><th>p-value</th>")
        .append("<th>adjusted p</th><th>error bound</th><th class=\"l\">drifted</th><th class=\"l\">decides</th></tr>\n");
    for (MetricValue m : c.metrics()) {
      h.append("<tr><td class=\"l\">").append(esc(m.method())).append("</td>").append(td(m.value()))
          .append(td(m.threshold())).append(td(m.pValue())).append(td(m.adjustedPValue())).append(td(m.errorBound()))
          .append("<td class=\"l\">").append(m.drifted() ? "<b>yes</b>" : "no").append("</td><td class=\"l\">")
          .append(m.decides() ? "yes" : "").append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static void notes(StringBuilder h, ColumnDrift c) {
    if (c.notes().isEmpty()) {
      return;
    }
    h.append("<ul class=\"notes\">");
    for (String n : c.notes()) {
      h.append("<li>").append(esc(n)).append("</li>");
    }
    h.append("</ul>\n");
  }

  /** Overlaid bars: reference and current share per bucket, semi-transparent. */
  static String svg(Chart chart) {
    List<String> buckets = new ArrayList<>(chart.buckets());
    List<Double> ref = new ArrayList<>(chart.reference());
    List<Double> cur = new ArrayList<>(chart.current());
    if (buckets.size() > MAX_BARS) {
      double r = 0;
      double c = 0;
      for (int i = MAX_BARS - 1; i < buckets.size(); i++) {
        r += ref.get(i);
        c += cur.get(i);
      }
      int more = buckets.size() - MAX_BARS + 1;
      buckets = new ArrayList<>(buckets.subList(0, MAX_BARS - 1));
      ref = new ArrayList<>(ref.subList(0, MAX_BARS - 1));
      cur = new ArrayList<>(cur.subList(0, MAX_BARS - 1));
      buckets.add("(" + more + " more)");
      ref.add(r);
      cur.add(c);
    }
    int n = buckets.size();
    int width = 760;
    int left = 50;
    int top = 20;
    int plotH = 170;
    int bottom = 110;
    double max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, Math.max(ref.get(i), cur.get(i)));
    }
    max = max <= 0 ? 1 : max * 1.1;
    double slot = (double) (width - left - 10) / n;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">",
        width, top + plotH + bottom, esc("reference and current shares of " + chart.axis())));
    s.append(String.format(Locale.ROOT, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>", width, top + plotH + bottom));
    for (int t = 0; t <= 4; t++) {
      double v = max * t / 4;
      double y = top + plotH - plotH * t / 4.0;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, width - 10, y, y));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.0f%%</text>", left - 4, y + 3, 100 * v));
    }
    for (int i = 0; i < n; i++) {
      double x = left + i * slot + slot * 0.1;
      double w = slot * 0.8;
      double hr = plotH * ref.get(i) / max;
      double hc = plotH * cur.get(i) / max;
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.55\"><title>%s: reference %.2f%%</title></rect>",
          x, top + plotH - hr, w, hr, REF_COLOR, esc(buckets.get(i)), 100 * ref.get(i)));
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.55\"><title>%s: current %.2f%%</title></rect>",
          x + w * 0.25, top + plotH - hc, w * 0.5, hc, CUR_COLOR, esc(buckets.get(i)), 100 * cur.get(i)));
      double lx = left + i * slot + slot / 2;
      double ly = top + plotH + 8;
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-45 %.1f %.1f)\">%s</text>",
          lx, ly, lx, ly, esc(shorten(buckets.get(i)))));
    }
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#555\"/>", left, width - 10, top + plotH, top + plotH));
    s.append("</svg>");
    s.append("<div class=\"legend\"><span style=\"background:").append(REF_COLOR).append(";opacity:.55\"></span>reference")
        .append("<span style=\"background:").append(CUR_COLOR).append(";opacity:.55\"></span>current (narrow bars)")
        .append(" &middot; x: ").append(esc(chart.axis())).append("</div>\n");
    return s.toString();
  }

  private static void methods(StringBuilder h, DriftReport r) {
    DriftThresholds t = r.options().thresholds();
    h.append("<h2>Methods</h2>\n<ul class=\"notes\">")
        .append(String.format(Locale.ROOT, "<li>PSI: sum of (c - r) ln(c / r) over %d reference quantile bins (categories plus an other bucket), an empty bin's share replaced by %s; drift at %s, warning at %s.</li>",
            r.options().bins(), num(r.options().psiEpsilon()), num(t.psi()), num(t.psiWarning())))
        .append(String.format(Locale.ROOT, "<li>KS: two-sample statistic estimated on %d reference quantile bins (quantiles of a KLL sketch, rank error %s with high probability; both sides counted exactly on them), with its error bound computed from those counts (the true D lies in [D, D + bound]); asymptotic p-value (Kolmogorov distribution).</li>", r.options().fineBins(), num(r.options().sketchRelativeError())))
        .append(String.format(Locale.ROOT, "<li>Wasserstein-1 on the same bins (exact integrals per bin; bound shown), divided by the reference's standard deviation; flagged at %s.</li>", num(t.wasserstein())))
        .append(String.format(Locale.ROOT, "<li>Jensen-Shannon in base 2: distance (flagged at %s) and divergence (its square).</li>", num(t.jsDistance())))
        .append(String.format(Locale.ROOT, "<li>Chi-square test of homogeneity without continuity correction; L-infinity (flagged at %s); unseen share (flagged at %s).</li>", num(t.lInfinity()), num(t.unseenShare())))
        .append(String.format(Locale.ROOT, "<li>Missing share (null, NaN or infinite) tested as two proportions; drifted when the adjusted p-value is below %s and the change is at least %s.</li>", num(t.pValue()), num(t.missingShareChange())))
        .append(r.options().performance().isPresent() ? "<li>Concept drift: error rate of the thresholded prediction on labelled rows, reference window against current window (decides); Brier score change; ROC AUC of each window from the scores counted on the reference's prediction quantiles (pairs inside one interval counted as ties, so the AUC is within its bound of the exact value).</li>" : "")
        .append(String.format(Locale.ROOT, "<li>Deciding methods: with at least %,d values on both sides PSI decides (every p-value is tiny on large samples); below that the KS or chi-square test decides at adjusted p &lt; %s. All p-values of the report are corrected together (Benjamini-Hochberg).</li>",
            r.options().largeSampleRows(), num(t.pValue())))
        .append("</ul>\n");
  }

  private static void fact(StringBuilder h, String key, String value) {
    h.append("<tr><th class=\"l\">").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
  }

  private static String window(Object from, Object to) {
    return from == null && to == null ? "" : " " + (from == null ? "..." : from) + " to " + (to == null ? "..." : to);
  }

  private static String badge(DriftStatus s) {
    String cls = switch (s) {
      case DRIFT, WARN, OK -> s.name();
      default -> "other";
    };
    return "<span class=\"badge " + cls + "\">" + s.name() + "</span>";
  }

  private static String td(double v) {
    return "<td>" + num(v) + "</td>";
  }

  private static String share(double v) {
    return Double.isNaN(v) ? "&ndash;" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
  }

  static String num(double v) {
    if (Double.isNaN(v)) {
      return "&ndash;";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "&infin;" : "-&infin;";
    }
    if (v != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
      return String.format(Locale.ROOT, "%.3e", v);
    }
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static String shorten(String s) {
    return s.length() > 24 ? s.substring(0, 23) + "\u2026" : s;
  }

  private static String anchor(String s) {
    return s.replaceAll("[^A-Za-z0-9_-]", "_");
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(ch);
      }
    }
    return b.toString();
  }
}

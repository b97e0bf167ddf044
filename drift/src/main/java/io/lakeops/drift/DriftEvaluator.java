package io.lakeops.drift;

import io.lakeops.drift.profile.CategoricalState;
import io.lakeops.drift.profile.DriftProfile;
import io.lakeops.drift.profile.GroupKey;
import io.lakeops.drift.profile.GroupState;
import io.lakeops.drift.profile.NumericState;
import io.lakeops.drift.profile.PerformanceState;
import io.lakeops.drift.stats.BinnedAuc;
import io.lakeops.drift.stats.BinnedComparison;
import io.lakeops.drift.stats.EdgeHistogram;
import io.lakeops.drift.stats.HistogramDistances;
import io.lakeops.drift.stats.Tests;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Compares a reference profile with the current window's state: every statistic of every
 * column in every group, one Benjamini-Hochberg correction over all their p-values, each
 * column's status, and the data set's verdict. Pure Java: no Spark.
 */
public final class DriftEvaluator {

  /**
   * Effect sizes that make a column WARN when they cross their threshold without deciding. Tests
   * that do not decide never warn: on large samples their p-values are tiny for any change.
   */
  private static final java.util.Set<String> EFFECT_SIZES = java.util.Set.of(DriftMethod.PSI,
      DriftMethod.JS_DISTANCE, DriftMethod.WASSERSTEIN, DriftMethod.L_INFINITY, DriftMethod.UNSEEN_SHARE);

  private final DriftOptions options;

  public DriftEvaluator(DriftOptions options) {
    this.options = options;
  }

  /** A column result before the p-value correction. */
  private static final class Pending {
    final DriftColumn column;
    final GroupKey group;
    DriftStatus status;
    boolean large;
    SideSummary ref = SideSummary.EMPTY;
    SideSummary cur = SideSummary.EMPTY;
    final List<MetricValue> metrics = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    Chart chart = Chart.NONE;

    Pending(DriftColumn column, GroupKey group) {
      this.column = column;
      this.group = group;
    }
  }

  public DriftReport evaluate(DriftReportInfo info, DriftProfile reference, DriftProfile current,
      boolean profileReused) {
    TreeSet<GroupKey> keys = new TreeSet<>(reference.groups().keySet());
    keys.addAll(current.groups().keySet());
    keys.add(GroupKey.ALL);
    List<Pending> pending = new ArrayList<>();
    for (GroupKey key : keys) {
      GroupState ref = reference.groups().get(key);
      GroupState cur = current.groups().get(key);
      for (int i = 0; i < reference.numericColumns().size(); i++) {
        pending.add(numeric(reference.numericColumns().get(i), key,
            ref == null ? null : ref.numeric[i], cur == null ? null : cur.numeric[i]));
      }
      for (int i = 0; i < reference.categoricalColumns().size(); i++) {
        pending.add(categorical(reference.categoricalColumns().get(i), key,
            ref == null ? null : ref.categorical[i], cur == null ? null : cur.categorical[i]));
      }
      if (options.performance().isPresent()) {
        pending.add(performance(key, ref == null ? null : ref.performance,
            cur == null ? null : cur.performance));
      }
    }
    adjustPValues(pending);
    List<ColumnDrift> results = pending.stream().map(p -> decide(p, reference.segments())).toList();
    Comparator<ColumnDrift> bySeverity = Comparator
        .comparingInt((ColumnDrift c) -> c.status().severityRank())
        .thenComparing(Comparator.comparingDouble(ColumnDrift::severity).reversed())
        .thenComparing(ColumnDrift::column);
    List<ColumnDrift> overall = results.stream().filter(c -> c.isOverall() && c.kind() != null)
        .sorted(bySeverity).toList();
    List<ColumnDrift> segments = results.stream().filter(c -> !c.isOverall() && c.kind() != null)
        .sorted(Comparator.comparing(ColumnDrift::segmentColumn).thenComparing(ColumnDrift::segment)
            .thenComparing(bySeverity)).toList();
    Optional<ColumnDrift> perf = results.stream().filter(c -> c.isOverall() && c.kind() == null).findFirst();
    List<ColumnDrift> segmentPerf = results.stream().filter(c -> !c.isOverall() && c.kind() == null).toList();

    List<ColumnDrift> compared = overall.stream().filter(DriftEvaluator::compared).toList();
    List<String> driftedColumns = compared.stream().filter(ColumnDrift::drifted).map(ColumnDrift::column).toList();
    List<String> critical = compared.stream().filter(c -> c.drifted() && c.critical()).map(ColumnDrift::column).toList();
    double share = compared.isEmpty() ? 0 : (double) driftedColumns.size() / compared.size();
    boolean conceptDrift = perf.map(ColumnDrift::drifted).orElse(false);
    long refRows = reference.rows();
    long curRows = current.rows();
    boolean drifted = !compared.isEmpty() && (share >= options.driftedShare() || !critical.isEmpty())
        || conceptDrift;
    DriftStatus status;
    if (curRows == 0) {
      status = DriftStatus.EMPTY_WINDOW;
      drifted = false;
    } else if (refRows == 0) {
      status = DriftStatus.NO_REFERENCE;
      drifted = false;
    } else if (drifted) {
      status = DriftStatus.DRIFT;
    } else if (overall.stream().anyMatch(c -> c.drifted() || c.status() == DriftStatus.WARN)) {
      status = DriftStatus.WARN;
    } else {
      status = DriftStatus.OK;
    }
    return new DriftReport(info, options, reference.id(), profileReused, refRows, curRows, status,
        drifted, share, driftedColumns, critical, overall, segments, perf, segmentPerf, 0);
  }

  private static boolean compared(ColumnDrift c) {
    return switch (c.status()) {
      case OK, WARN, DRIFT, ALL_NULL -> true;
      default -> false;
    };
  }

  // ---------------------------------------------------------------------------------------

  private Pending numeric(DriftColumn column, GroupKey key, NumericState ref, NumericState cur) {
    Pending p = new Pending(column, key);
    p.ref = ref == null ? SideSummary.EMPTY : summary(ref);
    p.cur = cur == null ? SideSummary.EMPTY : summary(cur);
    if (!present(p, key)) {
      return p;
    }
    missingShare(p);
    nonFiniteNotes(p, "reference", ref);
    nonFiniteNotes(p, "current", cur);
    if (ref.finite == 0 || cur.finite == 0) {
      p.status = DriftStatus.ALL_NULL;
      p.notes.add((ref.finite == 0 ? "The reference" : "The current window") + " has no finite "
          + "value of " + column.name() + ": only the missing share is compared.");
      return p;
    }
    EdgeHistogram rh = ref.histogram;
    EdgeHistogram ch = cur.histogram;
    p.large = Math.min(ref.finite, cur.finite) >= options.largeSampleRows();
    long[] rc = rh.coarseCounts(ref.psiEdgeIndexes);
    long[] cc = ch.coarseCounts(ref.psiEdgeIndexes);
    DriftThresholds t = options.thresholds();
    p.metrics.add(MetricValue.effect(DriftMethod.PSI, HistogramDistances.psi(rc, cc, options.psiEpsilon()), t.psi())
        .deciding(p.large));
    BinnedComparison b = BinnedComparison.of(rh, ch, Math.min(ref.min, cur.min), Math.max(ref.max, cur.max));
    double ksP = Tests.ksPValue(b.ksStatistic(), ref.finite, cur.finite);
    p.metrics.add(new MetricValue(DriftMethod.KS, b.ksStatistic(), t.pValue(), false, !p.large, ksP,
        Double.NaN, b.ksErrorBound()));
    double std = ref.std();
    double w = std > 0 ? b.wasserstein() / std : Double.NaN;
    MetricValue wm = MetricValue.effect(DriftMethod.WASSERSTEIN, w, t.wasserstein())
        .withErrorBound(std > 0 ? b.wassersteinErrorBound() / std : Double.NaN);
    if (!(std > 0)) {
      wm = wm.withDrifted(false);
      p.notes.add(String.format(Locale.ROOT, "The reference of %s is constant (%s): Wasserstein "
          + "is not normalised (raw distance %.6g).", column.name(), fmt(ref.mean), b.wasserstein()));
    }
    p.metrics.add(wm);
    HistogramDistances.JensenShannon js = HistogramDistances.jensenShannon(rc, cc);
    p.metrics.add(MetricValue.effect(DriftMethod.JS_DISTANCE, js.distance(), t.jsDistance()));
    p.metrics.add(MetricValue.info(DriftMethod.JS_DIVERGENCE, js.divergence()));
    p.chart = numericChart(rh, ch, ref.psiEdgeIndexes, rc, cc);
    return p;
  }

  private Pending categorical(DriftColumn column, GroupKey key, CategoricalState ref, CategoricalState cur) {
    Pending p = new Pending(column, key);
    p.ref = ref == null ? SideSummary.EMPTY : summary(ref);
    p.cur = cur == null ? SideSummary.EMPTY : summary(cur);
    if (!present(p, key)) {
      return p;
    }
    missingShare(p);
    if (ref.overflow || cur.overflow) {
      p.status = DriftStatus.HIGH_CARDINALITY;
      p.notes.add(String.format(Locale.ROOT, "%s has more than %,d distinct values in the %s: "
          + "not compared. Leave it out of the spec or bucket it first.", column.name(),
          options.maxDistinct(), ref.overflow ? "reference" : "current window"));
      return p;
    }
    if (ref.present() == 0 || cur.present() == 0) {
      p.status = DriftStatus.ALL_NULL;
      p.notes.add((ref.present() == 0 ? "The reference" : "The current window") + " has no "
          + "non-null value of " + column.name() + ": only the missing share is compared.");
      return p;
    }
    List<Map.Entry<String, Long>> kept = ref.ranked();
    int k = kept.size();
    long[] rc = new long[k + 1];
    long[] cc = new long[k + 1];
    List<String> buckets = new ArrayList<>();
    long curKept = 0;
    for (int i = 0; i < k; i++) {
      String category = kept.get(i).getKey();
      buckets.add(category);
      rc[i] = kept.get(i).getValue();
      cc[i] = cur.counts.getOrDefault(category, 0L);
      curKept += cc[i];
    }
    rc[k] = ref.otherCount;
    cc[k] = cur.present() - curKept;
    buckets.add(ref.otherDistinct > 0 ? "(other)" : "(unseen)");
    DriftThresholds t = options.thresholds();
    p.large = Math.min(ref.present(), cur.present()) >= options.largeSampleRows();
    p.metrics.add(MetricValue.effect(DriftMethod.PSI, HistogramDistances.psi(rc, cc, options.psiEpsilon()), t.psi())
        .deciding(p.large));
    HistogramDistances.ChiSquare chi = HistogramDistances.chiSquare(rc, cc);
    p.metrics.add(new MetricValue(DriftMethod.CHI_SQUARE, chi.statistic(), t.pValue(), false, !p.large,
        chi.pValue(), Double.NaN, Double.NaN));
    HistogramDistances.JensenShannon js = HistogramDistances.jensenShannon(rc, cc);
    p.metrics.add(MetricValue.effect(DriftMethod.JS_DISTANCE, js.distance(), t.jsDistance()));
    p.metrics.add(MetricValue.info(DriftMethod.JS_DIVERGENCE, js.divergence()));
    p.metrics.add(MetricValue.effect(DriftMethod.L_INFINITY, HistogramDistances.lInfinity(rc, cc), t.lInfinity()));
    double unseen = (double) cc[k] / cur.present();
    p.metrics.add(MetricValue.effect(DriftMethod.UNSEEN_SHARE, unseen, t.unseenShare()));
    List<String> fresh = cur.ranked().stream().filter(e -> !ref.counts.containsKey(e.getKey()))
        .limit(5).map(e -> String.format(Locale.ROOT, "'%s' (%,d rows)", e.getKey(), e.getValue())).toList();
    if (!fresh.isEmpty()) {
      p.notes.add((ref.otherDistinct > 0 ? "Categories outside the reference's top "
          + options.maxCategories() + " (new or rare): " : "Categories never seen in the reference: ")
          + String.join(", ", fresh) + (cc[k] > 0 && fresh.size() == 5 ? ", ..." : "") + ".");
    }
    if (ref.otherDistinct > 0) {
      p.notes.add(String.format(Locale.ROOT, "The reference profile keeps %d categories; %,d other "
          + "categories (%,d rows) form the (other) bucket, so unseen_share counts rare categories too.",
          k, ref.otherDistinct, ref.otherCount));
    }
    double[] rs = shares(rc);
    double[] cs = shares(cc);
    p.chart = new Chart(column.name(), buckets, boxed(rs), boxed(cs));
    return p;
  }

  private Pending performance(GroupKey key, PerformanceState ref, PerformanceState cur) {
    DriftOptions.Performance perf = options.performance().orElseThrow();
    DriftColumn column = new DriftColumn(perf.prediction() + " vs " + perf.label(), ColumnKind.NUMERIC,
        ColumnRole.PREDICTION, false);
    Pending p = new Pending(column, key);
    p.ref = ref == null ? SideSummary.EMPTY : new SideSummary(ref.rows, ref.labelled, ref.rows - ref.labelled - ref.invalid, 0, 0, ref.errorRate(), Double.NaN);
    p.cur = cur == null ? SideSummary.EMPTY : new SideSummary(cur.rows, cur.labelled, cur.rows - cur.labelled - cur.invalid, 0, 0, cur.errorRate(), Double.NaN);
    if (!present(p, key)) {
      return p;
    }
    for (var side : List.of(Map.entry("reference", ref), Map.entry("current window", cur))) {
      if (side.getValue().invalid > 0) {
        p.notes.add(String.format(Locale.ROOT, "%,d labelled rows of the %s have a label other than "
            + "0/1 or no finite prediction: left out of the performance figures.", side.getValue().invalid, side.getKey()));
      }
    }
    if (ref.labelled == 0 || cur.labelled == 0) {
      p.status = DriftStatus.NO_LABELS;
      p.notes.add("No labelled rows in the " + (ref.labelled == 0 ? "reference" : "current window")
          + ": concept drift cannot be measured yet.");
      return p;
    }
    double change = cur.errorRate() - ref.errorRate();
    double pv = Tests.twoProportionPValue(ref.errors, ref.labelled, cur.errors, cur.labelled);
    p.metrics.add(new MetricValue(DriftMethod.ERROR_RATE, change, options.thresholds().errorRateChange(),
        false, true, pv, Double.NaN, Double.NaN));
    p.metrics.add(MetricValue.info(DriftMethod.BRIER, cur.brierScore() - ref.brierScore()));
    BinnedAuc refAuc = ref.auc();
    BinnedAuc curAuc = cur.auc();
    if (!Double.isNaN(curAuc.auc())) {
      p.metrics.add(MetricValue.info(DriftMethod.AUC, curAuc.auc()).withErrorBound(curAuc.errorBound()));
    }
    if (!Double.isNaN(curAuc.auc()) && !Double.isNaN(refAuc.auc())) {
      p.metrics.add(MetricValue.info(DriftMethod.AUC_CHANGE, curAuc.auc() - refAuc.auc())
          .withErrorBound(curAuc.errorBound() + refAuc.errorBound()));
      p.notes.add(String.format(Locale.ROOT, "ROC AUC %.4f (+- %.4f) on the reference, %.4f (+- %.4f) "
          + "on the current window: scores counted on the reference's prediction quantiles, pairs "
          + "inside one interval counted as ties, hence the bound.", refAuc.auc(), refAuc.errorBound(),
          curAuc.auc(), curAuc.errorBound()));
    } else {
      p.notes.add("ROC AUC not computed: " + (ref.positiveScores == null || cur.positiveScores == null
          ? "the prediction is not a numeric column with reference edges (or the stored profile predates AUC)."
          : "a window has labelled rows of one class only."));
    }
    p.notes.add(String.format(Locale.ROOT, "Error rate at threshold %s: %.4f on %,d labelled reference "
        + "rows, %.4f on %,d labelled current rows; Brier score %.4f -> %.4f.", fmt(perf.decisionThreshold()),
        ref.errorRate(), ref.labelled, cur.errorRate(), cur.labelled, ref.brierScore(), cur.brierScore()));
    return p;
  }

  /** Sets EMPTY_WINDOW, NO_REFERENCE or TOO_SMALL; false when the column cannot be compared. */
  private boolean present(Pending p, GroupKey key) {
    if (p.cur.rows() == 0) {
      p.status = DriftStatus.EMPTY_WINDOW;
      p.notes.add("The current window has no rows" + (key.isAll() ? "." : " in this segment."));
      return false;
    }
    if (p.ref.rows() == 0) {
      p.status = DriftStatus.NO_REFERENCE;
      p.notes.add("The reference has no rows" + (key.isAll() ? "." : " in this segment."));
      return false;
    }
    if (!key.isAll() && Math.min(p.ref.rows(), p.cur.rows()) < options.minSegmentRows()) {
      p.status = DriftStatus.TOO_SMALL;
      p.notes.add(String.format(Locale.ROOT, "Segment below %,d rows on one side (%,d reference, "
          + "%,d current): not compared.", options.minSegmentRows(), p.ref.rows(), p.cur.rows()));
      return false;
    }
    return true;
  }

  private void missingShare(Pending p) {
    long rm = p.ref.rows() - p.ref.values();
    long cm = p.cur.rows() - p.cur.values();
    double change = p.cur.missingShare() - p.ref.missingShare();
    double pv = Tests.twoProportionPValue(rm, p.ref.rows(), cm, p.cur.rows());
    p.metrics.add(new MetricValue(DriftMethod.MISSING_SHARE, change,
        options.thresholds().missingShareChange(), false, true, pv, Double.NaN, Double.NaN));
  }

  private static void nonFiniteNotes(Pending p, String side, NumericState s) {
    if (s.nans + s.positiveInfinities + s.negativeInfinities > 0) {
      p.notes.add(String.format(Locale.ROOT, "The %s has %,d NaN, %,d +Infinity and %,d -Infinity "
          + "values of %s: counted as missing, left out of the distribution statistics.", side,
          s.nans, s.positiveInfinities, s.negativeInfinities, p.column.name()));
    }
  }

  /** One Benjamini-Hochberg correction over every p-value of the report. */
  private static void adjustPValues(List<Pending> pending) {
    List<double[]> refs = new ArrayList<>();
    List<int[]> where = new ArrayList<>();
    for (int i = 0; i < pending.size(); i++) {
      List<MetricValue> ms = pending.get(i).metrics;
      for (int j = 0; j < ms.size(); j++) {
        if (!Double.isNaN(ms.get(j).pValue())) {
          where.add(new int[] {i, j});
          refs.add(new double[] {ms.get(j).pValue()});
        }
      }
    }
    double[] p = refs.stream().mapToDouble(a -> a[0]).toArray();
    double[] adjusted = Tests.benjaminiHochberg(p);
    for (int n = 0; n < where.size(); n++) {
      int[] w = where.get(n);
      MetricValue m = pending.get(w[0]).metrics.get(w[1]);
      pending.get(w[0]).metrics.set(w[1], new MetricValue(m.method(), m.value(), m.threshold(),
          m.drifted(), m.decides(), m.pValue(), adjusted[n], m.errorBound()));
    }
  }

  private ColumnDrift decide(Pending p, List<String> segmentNames) {
    double alpha = options.thresholds().pValue();
    List<MetricValue> decided = new ArrayList<>();
    for (MetricValue m : p.metrics) {
      boolean drifted = switch (m.method()) {
        case DriftMethod.KS, DriftMethod.CHI_SQUARE -> m.adjustedPValue() < alpha;
        case DriftMethod.MISSING_SHARE -> m.adjustedPValue() < alpha && Math.abs(m.value()) >= m.threshold();
        case DriftMethod.ERROR_RATE -> m.adjustedPValue() < alpha && m.value() >= m.threshold();
        default -> m.drifted();
      };
      decided.add(m.withDrifted(drifted));
    }
    boolean drifted = decided.stream().anyMatch(m -> m.decides() && m.drifted());
    List<String> by = decided.stream().filter(MetricValue::decides).map(MetricValue::method).toList();
    DriftStatus status = p.status;
    if (status == null) {
      boolean warn = decided.stream().anyMatch(m -> m.method().equals(DriftMethod.PSI)
          && m.value() >= options.thresholds().psiWarning())
          || decided.stream().anyMatch(m -> !m.decides() && m.drifted() && EFFECT_SIZES.contains(m.method()));
      status = drifted ? DriftStatus.DRIFT : warn ? DriftStatus.WARN : DriftStatus.OK;
    }
    if (status == DriftStatus.OK || status == DriftStatus.WARN || status == DriftStatus.DRIFT) {
      p.notes.add(0, (p.large ? "Large sample: " : "Small sample: ") + "decided by "
          + String.join(" and ", by) + (p.large ? " (p-values are reported, not deciding)." : "."));
    }
    boolean isPerformance = p.column.role() == ColumnRole.PREDICTION && p.column.name().contains(" vs ");
    return new ColumnDrift(p.column.name(), isPerformance ? null : p.column.kind(), p.column.role(),
        p.column.critical(), p.group.segmentColumn(segmentNames), p.group.value(), status, drifted, by,
        p.ref, p.cur, decided, p.notes, p.chart);
  }

  // ---------------------------------------------------------------------------------------

  private static SideSummary summary(NumericState s) {
    return new SideSummary(s.rows, s.finite, s.nulls, s.nans, s.positiveInfinities + s.negativeInfinities,
        s.finite == 0 ? Double.NaN : s.mean, s.std());
  }

  private static SideSummary summary(CategoricalState s) {
    return new SideSummary(s.rows, s.present(), s.nulls, 0, 0, Double.NaN, Double.NaN);
  }

  /** The PSI bins as the chart's buckets: ranges between the reference's quantiles. */
  private static Chart numericChart(EdgeHistogram ref, EdgeHistogram cur, int[] psiIndexes, long[] rc, long[] cc) {
    double[] e = ref.edges();
    List<String> buckets = new ArrayList<>();
    for (int i = 0; i <= psiIndexes.length; i++) {
      if (psiIndexes.length == 0) {
        buckets.add("all");
      } else if (i == 0) {
        buckets.add("<= " + fmt(e[psiIndexes[0]]));
      } else if (i == psiIndexes.length) {
        buckets.add("> " + fmt(e[psiIndexes[i - 1]]));
      } else {
        buckets.add(fmt(e[psiIndexes[i - 1]]) + " .. " + fmt(e[psiIndexes[i]]));
      }
    }
    return new Chart("reference quantile bins", buckets, boxed(shares(rc)), boxed(shares(cc)));
  }

  private static double[] shares(long[] counts) {
    double total = 0;
    for (long c : counts) {
      total += c;
    }
    double[] s = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      s[i] = total == 0 ? 0 : counts[i] / total;
    }
    return s;
  }

  private static List<Double> boxed(double[] values) {
    List<Double> list = new ArrayList<>();
    for (double v : values) {
      list.add(v);
    }
    return list;
  }

  static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.format(Locale.ROOT, "%d", (long) v);
    }
    return String.format(Locale.ROOT, "%.4g", v);
  }
}

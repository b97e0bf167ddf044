package io.lakeops.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.drift.profile.CategoricalState;
import io.lakeops.drift.profile.DriftProfile;
import io.lakeops.drift.profile.GroupKey;
import io.lakeops.drift.profile.GroupState;
import io.lakeops.drift.profile.NumericState;
import io.lakeops.drift.stats.HistogramDistances;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decision rules, on hand-made states (no Spark). */
class DriftEvaluatorTest {

  private static CategoricalState counts(long... perCategory) {
    Map<String, Long> m = new LinkedHashMap<>();
    long total = 0;
    for (int i = 0; i < perCategory.length; i++) {
      m.put("k" + i, perCategory[i]);
      total += perCategory[i];
    }
    return new CategoricalState(total, 0, m, 0, 0, false);
  }

  private static DriftReport evaluate(DriftOptions options, List<CategoricalState> ref, List<CategoricalState> cur) {
    GroupState r = new GroupState(new NumericState[0], ref.toArray(CategoricalState[]::new), null);
    GroupState c = new GroupState(new NumericState[0], cur.toArray(CategoricalState[]::new), null);
    r.rows = ref.get(0).rows;
    c.rows = cur.get(0).rows;
    List<DriftColumn> cats = options.categoricalColumns();
    return new DriftEvaluator(options).evaluate(
        new DriftReportInfo("t", java.time.LocalDate.of(2025, 1, 1), "s", "r", null, null, null, null),
        DriftProfile.of("p", List.of(), cats, List.of(), Map.of(GroupKey.ALL, r)),
        DriftProfile.of("", List.of(), cats, List.of(), Map.of(GroupKey.ALL, c)), false);
  }

  @Test
  void onLargeSamplesPsiDecidesAndATinyPValueAloneIsNotDrift() {
    DriftOptions options = DriftOptions.builder(List.of(DriftColumn.categorical("a"))).build();
    DriftReport report = evaluate(options, List.of(counts(50_000, 50_000)), List.of(counts(51_000, 49_000)));
    ColumnDrift a = report.column("a").orElseThrow();
    MetricValue chi = a.metric(DriftMethod.CHI_SQUARE).orElseThrow();
    assertTrue(chi.adjustedPValue() < 1e-4 && chi.drifted() && !chi.decides(), chi.toString());
    assertEquals(List.of(DriftMethod.MISSING_SHARE, DriftMethod.PSI), a.decidedBy());
    assertEquals(DriftStatus.OK, a.status());
    assertFalse(a.drifted());
  }

  @Test
  void onSmallSamplesTheTestDecides() {
    DriftOptions options = DriftOptions.builder(List.of(DriftColumn.categorical("a"))).build();
    DriftReport report = evaluate(options, List.of(counts(300, 300)), List.of(counts(380, 220)));
    ColumnDrift a = report.column("a").orElseThrow();
    double psi = HistogramDistances.psi(new long[] {300, 300, 0}, new long[] {380, 220, 0}, 1e-4);
    assertEquals(psi, a.value(DriftMethod.PSI), 1e-15);
    assertTrue(psi < 0.1, "PSI " + psi + " alone would not even warn");
    assertEquals(List.of(DriftMethod.MISSING_SHARE, DriftMethod.CHI_SQUARE), a.decidedBy());
    assertEquals(DriftStatus.DRIFT, a.status());
  }

  @Test
  void theDataSetDriftsOnTheShareOfDriftedColumnsOrOnACriticalColumn() {
    List<DriftColumn> cols = new ArrayList<>(List.of(DriftColumn.categorical("a"), DriftColumn.categorical("b"),
        DriftColumn.categorical("c")));
    List<CategoricalState> ref = List.of(counts(500, 500), counts(500, 500), counts(500, 500));
    List<CategoricalState> cur = List.of(counts(800, 200), counts(500, 500), counts(505, 495));
    DriftReport plain = evaluate(DriftOptions.builder(cols).build(), ref, cur);
    assertEquals(List.of("a"), plain.driftedColumns());
    assertEquals(1.0 / 3, plain.driftedShare(), 1e-15);
    assertFalse(plain.drifted());
    assertEquals(DriftStatus.WARN, plain.status());
    cols.set(0, cols.get(0).asCritical());
    DriftReport critical = evaluate(DriftOptions.builder(cols).build(), ref, cur);
    assertTrue(critical.drifted());
    assertEquals(List.of("a"), critical.criticalDrifted());
    DriftReport lowShare = evaluate(DriftOptions.builder(List.of(DriftColumn.categorical("a"), DriftColumn.categorical("b"),
        DriftColumn.categorical("c"))).driftedShare(0.3).build(), ref, cur);
    assertTrue(lowShare.drifted());
  }
}

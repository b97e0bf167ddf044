package io.lakeops.jobs.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.jobs.config.LakeOpsSettings;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DemoDatasetTest {

  private static final LakeOpsSettings.Demo DEFAULTS = new LakeOpsSettings.Demo(42, 2000,
      LocalDate.of(2025, 1, 1), 365, LocalDate.of(2025, 11, 1), "demo", true);

  private static final DemoDataset DATA = DemoDataset.generate(DEFAULTS);

  @Test
  void theSameSeedGivesTheSameDataAndAnotherSeedDoesNot() {
    DemoDataset again = DemoDataset.generate(DEFAULTS);
    assertEquals(DATA.customers(), again.customers());
    assertEquals(DATA.transactions(), again.transactions());
    assertEquals(DATA.labels(), again.labels());
    DemoDataset other = DemoDataset.generate(new LakeOpsSettings.Demo(7, 2000,
        DEFAULTS.startDate(), 365, DEFAULTS.driftStartDate(), "demo", true));
    assertFalse(DATA.transactions().equals(other.transactions()));
  }

  @Test
  void aboutAYearOfTransactionsInsideTheWindowAndNeverAfterChurn() {
    assertEquals(2000, DATA.customers().size());
    assertTrue(DATA.transactions().size() > 50_000, "size " + DATA.transactions().size());
    Map<String, DemoDataset.Customer> byId = new HashMap<>();
    DATA.customers().forEach(c -> byId.put(c.customerId(), c));
    Set<String> ids = new HashSet<>();
    for (DemoDataset.Transaction t : DATA.transactions()) {
      assertTrue(ids.add(t.transactionId()), "duplicate id " + t.transactionId());
      LocalDate day = t.ts().atZone(ZoneOffset.UTC).toLocalDate();
      assertFalse(day.isBefore(DEFAULTS.startDate()) || day.isAfter(DEFAULTS.endDateInclusive()), t.toString());
      DemoDataset.Customer c = byId.get(t.customerId());
      assertFalse(day.isBefore(c.signupDate()), t.toString());
      assertTrue(c.churnDate() == null || day.isBefore(c.churnDate()), t.toString());
      assertTrue(t.amount() > 0, t.toString());
    }
  }

  @Test
  void labelsAgreeWithChurnDatesRecomputedByHand() {
    Map<String, DemoDataset.Customer> byId = new HashMap<>();
    DATA.customers().forEach(c -> byId.put(c.customerId(), c));
    Set<LocalDate> labelDates = new HashSet<>();
    for (DemoDataset.ChurnLabel l : DATA.labels()) {
      labelDates.add(l.labelDate());
      DemoDataset.Customer c = byId.get(l.customerId());
      assertFalse(c.signupDate().isAfter(l.labelDate()));
      assertTrue(c.churnDate() == null || c.churnDate().isAfter(l.labelDate()));
      boolean expected = c.churnDate() != null && !c.churnDate().isAfter(l.labelDate().plusDays(60));
      assertEquals(expected, l.churnedWithin60d(), l.toString());
    }
    // First of each month from March while 60 days of future remain: March to November
    // (2025-11-01 + 60 days = 2025-12-31, the last generated day).
    assertEquals(9, labelDates.size());
    // Every active customer is labelled on every label date.
    long expectedRows = 0;
    for (LocalDate d : labelDates) {
      expectedRows += DATA.customers().stream().filter(c -> !c.signupDate().isAfter(d)
          && (c.churnDate() == null || c.churnDate().isAfter(d))).count();
    }
    assertEquals(expectedRows, DATA.labels().size());
  }

  @Test
  void thePlantedBiasAndDriftAreThere() {
    DemoFacts facts = DemoFacts.of(DATA, DEFAULTS);
    assertTrue(facts.churnRateF() > 1.3 * facts.churnRateOthers(), facts.toString());
    double amountRatio = facts.meanAmountAfter() / facts.meanAmountBefore();
    assertTrue(amountRatio > 1.2 && amountRatio < 1.5, facts.toString());
    assertTrue(facts.appShareAfter() > facts.appShareBefore() + 0.2, facts.toString());
    for (DemoDataset.Transaction t : DATA.transactions()) {
      if (DemoDataset.NEW_CATEGORY.equals(t.category())) {
        assertFalse(t.ts().atZone(ZoneOffset.UTC).toLocalDate().isBefore(DEFAULTS.driftStartDate()), t.toString());
      }
    }
    assertTrue(DATA.transactions().stream().anyMatch(t -> DemoDataset.NEW_CATEGORY.equals(t.category())));
  }
}

package io.lakeops.jobs.demo;

import io.lakeops.jobs.config.LakeOpsSettings;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/** What the planted bias and drift look like in a generated data set. */
public record DemoFacts(double churnRateF, double churnRateOthers, double meanAmountBefore,
    double meanAmountAfter, double appShareBefore, double appShareAfter) {

  public static DemoFacts of(DemoDataset data, LakeOpsSettings.Demo demo) {
    Map<String, String> gender = new HashMap<>();
    data.customers().forEach(c -> gender.put(c.customerId(), c.gender()));
    long[] labelled = new long[2];
    long[] churned = new long[2];
    for (DemoDataset.ChurnLabel l : data.labels()) {
      int g = "F".equals(gender.get(l.customerId())) ? 0 : 1;
      labelled[g]++;
      churned[g] += l.churnedWithin60d() ? 1 : 0;
    }
    double[] amount = new double[2];
    long[] orders = new long[2];
    long[] app = new long[2];
    for (DemoDataset.Transaction t : data.transactions()) {
      int p = t.ts().atZone(ZoneOffset.UTC).toLocalDate().isBefore(demo.driftStartDate()) ? 0 : 1;
      amount[p] += t.amount();
      orders[p]++;
      app[p] += "app".equals(t.channel()) ? 1 : 0;
    }
    return new DemoFacts(ratio(churned[0], labelled[0]), ratio(churned[1], labelled[1]),
        amount[0] / Math.max(1, orders[0]), amount[1] / Math.max(1, orders[1]),
        ratio(app[0], orders[0]), ratio(app[1], orders[1]));
  }

  private static double ratio(long a, long b) {
    return b == 0 ? Double.NaN : (double) a / b;
  }
}

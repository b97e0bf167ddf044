package io.lakeops.jobs.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.jobs.Launch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training set specs are checked before Spark starts: every mistake exits 2 with a clear message. */
class TrainingSetSpecTest {

  private static final Path ROOT = Path.of(System.getProperty("lakeops.root", "..")).toAbsolutePath().normalize();

  @TempDir
  Path dir;

  private final Launch.SharedSessions noSpark = new Launch.SharedSessions(() -> {
    throw new AssertionError("A Spark session was requested");
  });

  private Launch.Result run(String spec) throws IOException {
    Path file = dir.resolve("spec.conf");
    Files.writeString(file, spec);
    return Launch.run(dir, noSpark, Map.of(), "training-set", "--spec", file.toString(),
        "-Dlakeops.features.definitions-dir=" + ROOT.resolve("conf/features"),
        "-Dlakeops.lakehouse.root=" + dir.resolve("lakehouse"));
  }

  private static final String GOOD = """
      name = churn
      spine { table = demo.churn_labels, entity-keys = [customer_id], time = label_date, label = churned_within_60d }
      features = ["demo_customer_activity:orders_30d"]
      """;

  private void assertUsage(Launch.Result r, String... expected) {
    assertEquals(2, r.exitCode(), r.out() + r.err());
    for (String e : expected) {
      assertTrue(r.err().contains(e) || r.out().contains(e), "missing '" + e + "' in\n" + r.err() + r.out());
    }
  }

  @Test
  void unknownKeysGroupsAndFeaturesNameTheClosestOne() throws IOException {
    assertUsage(run(GOOD + "as-known-att = true\n"),
        "Unknown key 'as-known-att'. The closest known key is 'as-known-at'", "spec.conf");
    assertUsage(run(GOOD.replace("demo_customer_activity:orders_30d", "demo_customer_activty:orders_30d")),
        "Unknown feature group 'demo_customer_activty'", "The closest is 'demo_customer_activity'");
    assertUsage(run(GOOD.replace("orders_30d", "orders_31d")),
        "Feature group 'demo_customer_activity' has no feature 'orders_31d'", "The closest is 'orders_30d'");
    assertUsage(run(GOOD.replace("demo_customer_activity:orders_30d", "demo_customer_activity")),
        "write group:feature or group:*");
  }

  @Test
  void spineMistakesAndUnsafeNames() throws IOException {
    assertUsage(run(GOOD.replace("table = demo.churn_labels,", "")),
        "Give the spine either 'table' (a Delta table) or 'query' (Spark SQL), not neither.");
    assertUsage(run(GOOD.replace("table = demo.churn_labels", "table = \"demo.x; DROP TABLE y\"")),
        "Cannot use 'demo.x; DROP TABLE y' as spine table");
    assertUsage(run(GOOD.replace("label = churned_within_60d", "label = \"churned`\"")),
        "Cannot use 'churned`' as a name");
    assertUsage(run(GOOD + "aliases { \"demo_customer_activity:spend_30d\" = spend }\n"),
        "Alias for 'demo_customer_activity:spend_30d', which is not among the requested features.");
    assertUsage(run(GOOD + "keys { demo_customer_activity = [customer_id, region] }\n"),
        "has entity keys [customer_id] but is joined on spine column(s) [customer_id, region]");
    assertUsage(run(GOOD + "output-table = \"a.b.c\"\n"), "Cannot use 'a.b.c' as output table");
  }

  @Test
  void specOrRebuildNotBothAndAMissingFile() {
    assertUsage(Launch.run(dir, noSpark, Map.of(), "training-set"),
        "Give either --spec FILE (build) or --rebuild ID (reproduce), not neither.");
    assertUsage(Launch.run(dir, noSpark, Map.of(), "training-set", "--spec", "x.conf", "--rebuild", "a_v1"),
        "not both.");
    assertUsage(Launch.run(dir, noSpark, Map.of(), "training-set", "--spec", "nope.conf",
        "-Dlakeops.features.definitions-dir=" + ROOT.resolve("conf/features")),
        "Cannot read the training set spec", "nope.conf: no such file");
  }
}

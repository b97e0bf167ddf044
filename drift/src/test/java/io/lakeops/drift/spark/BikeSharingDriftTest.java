package io.lakeops.drift.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftColumn;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.DriftReportInfo;
import io.lakeops.drift.DriftStatus;
import io.lakeops.testing.SharedData;
import io.lakeops.testing.SharedDataCondition;
import io.lakeops.testing.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Capital Bikeshare, hourly (Fanaee-T and Gama 2013): 2012 rented far more bikes than 2011
 * (a documented shift), so 2011 against 2012 drifts on cnt and registered; two random halves of
 * 2011 (an A/A comparison) do not.
 */
@SharedData
class BikeSharingDriftTest extends SparkTestBase {

  private static Dataset<Row> hours;

  static final DriftOptions OPTIONS = DriftOptions.builder(List.of(
      DriftColumn.numeric("temp"), DriftColumn.numeric("atemp"), DriftColumn.numeric("hum"),
      DriftColumn.numeric("windspeed"), DriftColumn.numeric("casual"), DriftColumn.numeric("registered"),
      DriftColumn.numeric("cnt"), DriftColumn.categorical("season"), DriftColumn.categorical("weathersit"),
      DriftColumn.categorical("hr"), DriftColumn.categorical("workingday")))
      .segments(List.of("season_name")).build();

  @BeforeAll
  static void read() {
    hours = spark().read().option("header", "true").option("inferSchema", "true")
        .csv(SharedDataCondition.sharedDataDir().resolve("bike_sharing/raw/hour.csv").toString())
        .withColumn("season_name", expr("element_at(array('winter', 'spring', 'summer', 'fall'), season)"))
        .cache();
    assertEquals(17_379, hours.count());
  }

  private static DriftReport compare(String name, Dataset<Row> ref, Dataset<Row> cur) {
    DriftReportInfo info = new DriftReportInfo(name, java.time.LocalDate.of(2012, 12, 31),
        "bike_sharing/raw/hour.csv", name, null, null, null, null);
    return new DriftComputation(spark(), OPTIONS).compare(info, ref, name, cur).report();
  }

  @Test
  void year2011AgainstYear2012DriftsOnRentals() {
    DriftReport report = compare("2011-vs-2012", hours.where(col("yr").equalTo(0)), hours.where(col("yr").equalTo(1)));
    assertEquals(8_645, report.referenceRows());
    assertEquals(8_734, report.currentRows());
    for (String rentals : List.of("cnt", "registered")) {
      ColumnDrift c = report.column(rentals).orElseThrow();
      assertEquals(DriftStatus.DRIFT, c.status(), rentals + ": " + c.metrics());
      assertTrue(c.value("psi") >= 0.2, rentals + " psi " + c.value("psi"));
    }
    // Per season, 2012's rentals are up too.
    assertTrue(report.segments().stream().filter(c -> c.column().equals("cnt")).allMatch(ColumnDrift::drifted));
  }

  @Test
  void twoRandomHalvesOf2011AreNotFlagged() {
    Dataset<Row> y2011 = hours.where(col("yr").equalTo(0));
    DriftReport report = compare("2011-a-a", y2011.where(expr("pmod(hash(instant), 2) = 0")),
        y2011.where(expr("pmod(hash(instant), 2) = 1")));
    assertFalse(report.drifted(), report.driftedColumns().toString());
    assertEquals(List.of(), report.driftedColumns());
    for (String rentals : List.of("cnt", "registered")) {
      assertEquals(DriftStatus.OK, report.column(rentals).orElseThrow().status());
    }
  }
}

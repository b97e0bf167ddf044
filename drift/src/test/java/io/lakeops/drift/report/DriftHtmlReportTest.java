package io.lakeops.drift.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lakeops.drift.ColumnDrift;
import io.lakeops.drift.DriftColumn;
import io.lakeops.drift.DriftOptions;
import io.lakeops.drift.DriftReport;
import io.lakeops.drift.spark.DriftComputation;
import io.lakeops.drift.spark.DriftComputationTest;
import io.lakeops.testing.SparkTestBase;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report is self-contained (no scripts, no external references), lists columns by
 * severity, and renders: headless Chromium takes a screenshot that is far from blank.
 */
class DriftHtmlReportTest extends SparkTestBase {

  private static DriftReport report;
  private static String html;

  @TempDir
  Path dir;

  @BeforeAll
  static void build() {
    List<DriftColumn> columns = new ArrayList<>(DriftComputationTest.columns(3, 2));
    DriftOptions options = DriftOptions.builder(columns).segments(List.of("region")).build();
    report = new DriftComputation(spark(), options).compare(DriftComputationTest.INFO,
        DriftComputationTest.generated(3000, 0, 3, 2), "p", DriftComputationTest.generated(3000, 1, 3, 2)).report();
    html = DriftHtmlReport.render(report);
  }

  @Test
  void isSelfContainedAndOrderedBySeverity() {
    assertFalse(html.contains("http://") || html.contains("https://") || html.contains("<script")
        || html.contains("src=") || html.contains("@import"), "no external resources, no scripts");
    assertEquals(report.columns().size(), html.split("<svg ").length - 1, "one chart per column");
    List<ColumnDrift> cols = report.columns();
    assertEquals(List.of(0, 2), cols.stream().filter(ColumnDrift::drifted).map(c -> Integer.parseInt(c.column().substring(1))).distinct().sorted().toList());
    int firstDrifted = html.indexOf("id=\"col-" + cols.get(0).column() + "\"");
    int lastOk = html.indexOf("id=\"col-" + cols.get(cols.size() - 1).column() + "\"");
    assertTrue(cols.get(0).drifted() && !cols.get(cols.size() - 1).drifted());
    assertTrue(firstDrifted > 0 && firstDrifted < lastOk, "drifted columns come first");
    assertTrue(html.contains("<h2>Segments</h2>") && html.contains("region = 0"));
    assertTrue(DriftReportJson.toJson(report).contains("\"status\" : \"DRIFT\""));
  }

  @Test
  void rendersInHeadlessChromium() throws Exception {
    String chromium = findChromium();
    boolean required = "1".equals(System.getenv("LAKEOPS_REQUIRE_CHROMIUM"));
    if (chromium == null && required) {
      throw new IllegalStateException("Cannot render the drift report: no chromium on the PATH and "
          + "LAKEOPS_REQUIRE_CHROMIUM=1. Install Debian's chromium package (.ci/run does).");
    }
    assumeTrue(chromium != null, "Skipping the Chromium rendering test: no chromium on the PATH "
        + "(install Debian's chromium package, or set LAKEOPS_REQUIRE_CHROMIUM=1 to make this a failure).");
    Path page = dir.resolve("report.html");
    Files.writeString(page, html);
    Path png = dir.resolve("report.png");
    Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--hide-scrollbars", "--user-data-dir=" + dir.resolve("profile"),
        "--screenshot=" + png, "--window-size=1200,2000", page.toUri().toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish within 120 s");
    assertTrue(Files.exists(png), "no screenshot; chromium said: " + Files.readString(dir.resolve("chromium.log")));
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1200, image.getWidth());
    long ink = 0;
    long blue = 0;
    long orange = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (r < 235 || g < 235 || b < 235) {
          ink++;
        }
        if (b > r + 40 && b > g + 10) {
          blue++;
        }
        if (r > b + 60 && g > b + 20) {
          orange++;
        }
      }
    }
    double share = (double) ink / (image.getWidth() * (long) image.getHeight());
    assertTrue(share > 0.03, "the screenshot is almost blank: " + share + " of pixels are not white");
    assertTrue(blue > 2000 && orange > 2000, "reference (blue) and current (orange) bars are drawn: " + blue + ", " + orange);
  }

  private static String findChromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(folder, name))) {
          return Path.of(folder, name).toString();
        }
      }
    }
    return null;
  }
}

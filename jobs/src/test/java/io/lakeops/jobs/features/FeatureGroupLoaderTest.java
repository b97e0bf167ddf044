package io.lakeops.jobs.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeops.features.definition.FeatureGroup;
import io.lakeops.features.definition.WindowAggregate;
import io.lakeops.jobs.config.ConfigProblem;
import io.lakeops.jobs.config.InvalidConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureGroupLoaderTest {

  @TempDir
  Path dir;

  private static final Config CONTEXT = ConfigFactory.parseMap(Map.of("lakeops.lakehouse.raw-dir", "/raw"));

  private static final String VALID = """
      name = purchases
      description = "Purchases per customer"
      owner = growth
      tags = [a, b]
      version = 3
      entity-keys = [customer_id]
      ttl = 30d
      source {
        format = csv
        path = ${lakeops.lakehouse.raw-dir}"/purchases/{date}.csv"
        header = true
        event-time { column = ts, format = "yyyy-MM-dd HH:mm", time-zone = "Europe/Berlin" }
      }
      columns = [
        { name = customer_id, type = string, not-null = true }
        { name = ts, type = string }
        { name = amount, type = double, min = 0 }
      ]
      checks { max-rejected-share = 0.05, row-count { tolerance = 0.3, runs = 5 } }
      aggregates = [
        { name = spend_7d, function = sum, column = amount, window-days = 7 }
        { name = orders_7d, function = count, window-days = 7 }
      ]
      derived = [ { name = avg_order_7d, expression = "spend_7d / orders_7d" } ]
      """;

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  private List<ConfigProblem> problems(String text) throws IOException {
    write("group.conf", text);
    return assertThrows(InvalidConfigException.class, () -> FeatureGroupLoader.loadAll(dir, CONTEXT)).problems();
  }

  private String onlyMessage(String text) throws IOException {
    List<ConfigProblem> p = problems(text);
    assertEquals(1, p.size(), p.toString());
    return p.get(0).toString();
  }

  @Test
  void aValidDefinitionLoadsWithEverythingTyped() throws IOException {
    write("purchases.conf", VALID);
    FeatureGroup g = FeatureGroupLoader.load(dir, CONTEXT, "purchases");
    assertEquals(List.of("customer_id"), g.entityKeys());
    assertEquals(3, g.version());
    assertEquals(Duration.ofDays(30), g.ttl());
    assertEquals("/raw/purchases/{date}.csv", g.source().path().orElseThrow());
    assertEquals(false, g.source().snapshot());
    assertEquals("Europe/Berlin", g.source().timeZone());
    assertEquals(WindowAggregate.Function.SUM, g.aggregates().get(0).function());
    assertEquals(List.of("spend_7d", "orders_7d", "avg_order_7d"), g.featureNames());
    assertEquals(0.3, g.checks().rowCountTolerance().orElseThrow());
  }

  @Test
  void theShippedDefinitionsLoad() {
    Path shipped = Path.of(System.getProperty("lakeops.root", "..")).resolve("conf/features");
    Map<String, FeatureGroup> groups = FeatureGroupLoader.loadAll(shipped,
        io.lakeops.jobs.config.LakeOpsSettingsFixtures.referenceConfig());
    assertTrue(groups.keySet().containsAll(List.of("adult_census", "cdnow_customers")), groups.keySet().toString());
  }

  @Test
  void anUnknownKeyNamesFileLineAndTheClosestKey() throws IOException {
    String message = onlyMessage(VALID.replace("owner = growth", "ownr = growth"));
    assertEquals("Unknown key 'ownr'. The closest known key is 'owner'. Fix the spelling or remove it. ["
        + dir.resolve("group.conf") + " line 3]", message);
    String nested = onlyMessage(VALID.replace("header = true", "headr = true"));
    assertTrue(nested.startsWith("Unknown key 'source.headr'. The closest known key is 'source.header'."), nested);
  }

  @Test
  void anUndeclaredColumnIsNamed() throws IOException {
    String message = onlyMessage(VALID.replace("entity-keys = [customer_id]", "entity-keys = [customer]"));
    assertTrue(message.startsWith("Unknown column 'customer' in 'entity-keys'. Declared columns: "
        + "[amount, customer_id, ts]; the closest is 'customer_id'."), message);
    String agg = onlyMessage(VALID.replace("column = amount", "column = amont"));
    assertTrue(agg.startsWith("Unknown column 'amont' in 'aggregates[0].column'"), agg);
  }

  @Test
  void expressionsAreParsedBySparkAndTheirColumnsChecked() throws IOException {
    String broken = onlyMessage(VALID.replace("spend_7d / orders_7d", "spend_7d / "));
    assertTrue(broken.startsWith("Cannot parse the expression \"spend_7d / \" of 'derived[0].expression': "), broken);
    String unknown = onlyMessage(VALID.replace("spend_7d / orders_7d", "spend_30d / orders_7d"));
    assertTrue(unknown.startsWith("Unknown column 'spend_30d' in the expression \"spend_30d / orders_7d\""), unknown);
  }

  @Test
  void duplicateFeatureNamesAndGroupNamesAreRejected() throws IOException {
    String dup = onlyMessage(VALID.replace("name = avg_order_7d", "name = spend_7d"));
    assertTrue(dup.startsWith("Duplicate feature name 'spend_7d' in group 'purchases'"), dup);

    Files.delete(dir.resolve("group.conf"));
    write("a.conf", VALID);
    write("b.conf", VALID);
    List<ConfigProblem> p = assertThrows(InvalidConfigException.class,
        () -> FeatureGroupLoader.loadAll(dir, CONTEXT)).problems();
    assertEquals(1, p.size());
    assertTrue(p.get(0).message().startsWith("Duplicate feature group name 'purchases': also defined in "
        + dir.resolve("a.conf")), p.get(0).message());
  }

  @Test
  void aTtlIsAPositiveWholeNumberOfSeconds() throws IOException {
    // The manifest records it in seconds: 1500ms would be rebuilt as 1 s, 500ms as 0.
    for (String bad : List.of("1500ms", "500ms", "0s", "-1d")) {
      String message = onlyMessage(VALID.replace("ttl = 30d", "ttl = " + bad));
      assertTrue(message.startsWith("ttl of group 'purchases' is "), bad + ": " + message);
      assertTrue(message.contains("give a positive whole number of seconds"), message);
    }
    write("group.conf", VALID.replace("ttl = 30d", "ttl = 90s"));
    assertEquals(Duration.ofSeconds(90), FeatureGroupLoader.load(dir, CONTEXT, "purchases").ttl());
  }

  @Test
  void wrongTimeZonesFormatsTypesAndFunctionsAreRejected() throws IOException {
    String zone = onlyMessage(VALID.replace("Europe/Berlin", "Europe/Berlinn"));
    assertTrue(zone.startsWith("Unknown time zone \"Europe/Berlinn\""), zone);
    String type = onlyMessage(VALID.replace("type = double", "type = float"));
    assertTrue(type.startsWith("Unknown column type 'float' for column 'amount'"), type);
    String fn = onlyMessage(VALID.replace("function = count", "function = median"));
    assertTrue(fn.startsWith("Unknown aggregate function 'median'"), fn);
    String sumOfText = onlyMessage(VALID.replace("column = amount", "column = customer_id"));
    assertTrue(sumOfText.startsWith("Cannot sum column 'customer_id' of type string"), sumOfText);
  }

  @Test
  void aDailySourceNeedsADatePlaceholderAndCredentialsStayOutOfFiles() throws IOException {
    String daily = onlyMessage(VALID.replace("header = true", "header = true\n  snapshot = false")
        .replace("/purchases/{date}.csv", "/purchases/all.csv"));
    assertTrue(daily.startsWith("Cannot read a daily slice: 'source.path' has no {date} placeholder."), daily);
    String jdbc = onlyMessage(VALID.replace("format = csv", "format = jdbc\n  table = sales\n"
        + "  jdbc { url = \"jdbc:postgresql://127.0.0.1/db\", user-env = PGUSER, password-env = PGPASSWORD }\n"
        + "  options { password = hunter2 }"));
    assertTrue(jdbc.startsWith("Cannot put credentials in 'source.options.password'"), jdbc);
  }

  @Test
  void anUnknownGroupNamesTheKnownOnes() throws IOException {
    write("purchases.conf", VALID);
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> FeatureGroupLoader.load(dir, CONTEXT, "purchase"));
    assertTrue(e.getMessage().contains("Unknown feature group 'purchase'. Known groups in " + dir
        + ": [purchases]; the closest is 'purchases'."), e.getMessage());
    assertEquals(2, e.exitCode().code());
  }
}

package io.lakeops.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StrictConfigLoaderTest {

  @TempDir
  Path dir;

  private final StrictConfigLoader loader = new StrictConfigLoader();

  private Path file(String name, String text) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  private Config load(Path project, Path user, Map<String, String> env, Map<String, String> sys,
      Map<String, String> cli) {
    return loader.load(new ConfigSources(Optional.ofNullable(project), Optional.ofNullable(user),
        env, sys, cli));
  }

  private Config load(Path user, Map<String, String> cli) {
    return load(null, user, Map.of(), Map.of(), cli);
  }

  private List<ConfigProblem> problems(Runnable r) {
    return assertThrows(InvalidConfigException.class, r::run).problems();
  }

  @Test
  void everyModulesReferenceConfIsLayeredIn() {
    Config c = load(null, Map.of());
    assertEquals("lakehouse", c.getString("lakeops.lakehouse.root"));
    assertEquals("features", c.getString("lakeops.features.database"));
    assertEquals("lakeops.runs", c.getString("lakeops.training.tables.runs"));
    assertEquals("lakeops.gate_results", c.getString("lakeops.evaluation.tables.gate-results"));
    assertEquals("lakeops.drift_metrics", c.getString("lakeops.drift.tables.drift-metrics"));
    // Derived paths follow the root.
    assertEquals("lakehouse/results", c.getString("lakeops.lakehouse.results-dir"));
  }

  @Test
  void eachLayerOverridesTheOneBelow() throws IOException {
    Path project = file("application.conf", "lakeops.lakehouse.root = project\nlakeops.sql.max-rows = 11\n");
    Path user = file("user.conf", "lakeops.lakehouse.root = user\n");
    Map<String, String> env = Map.of("CONFIG_FORCE_lakeops_lakehouse_root", "env", "HOME", "/root");
    Map<String, String> sys = Map.of("lakeops.lakehouse.root", "sysprop", "java.version", "17");
    Map<String, String> cli = Map.of("lakeops.lakehouse.root", "cli");

    assertEquals("cli", load(project, user, env, sys, cli).getString("lakeops.lakehouse.root"));
    assertEquals("sysprop", load(project, user, env, sys, Map.of()).getString("lakeops.lakehouse.root"));
    assertEquals("env", load(project, user, env, Map.of(), Map.of()).getString("lakeops.lakehouse.root"));
    assertEquals("user", load(project, user, Map.of(), Map.of(), Map.of()).getString("lakeops.lakehouse.root"));
    Config projectOnly = load(project, null, Map.of(), Map.of(), Map.of());
    assertEquals("project", projectOnly.getString("lakeops.lakehouse.root"));
    assertEquals(11, projectOnly.getInt("lakeops.sql.max-rows"));
    // Derived keys follow whichever layer set the root.
    assertEquals("cli/raw", load(project, user, env, sys, cli).getString("lakeops.lakehouse.raw-dir"));
    // Layers only override what they set.
    assertEquals(11, load(project, user, env, sys, cli).getInt("lakeops.sql.max-rows"));
  }

  @Test
  void theJarCarriesTheProjectFileForClusterDeployMode() throws IOException {
    // The build copies conf/application.conf into the jar; it is the fallback layer.
    var embedded = getClass().getResource("/" + StrictConfigLoader.EMBEDDED_PROJECT_CONF);
    assertTrue(embedded != null, "conf/application.conf is missing from the jar");
    Path project = Path.of(System.getProperty("lakeops.root", ".."), "conf", "application.conf");
    try (var in = embedded.openStream()) {
      assertEquals(Files.readString(project), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Test
  void environmentNamesMapToPaths() {
    assertEquals("lakeops.sql.max-rows", StrictConfigLoader.envNameToPath("lakeops_sql_max__rows"));
    assertEquals("lakeops.a_b", StrictConfigLoader.envNameToPath("lakeops_a___b"));
    Config c = load(null, null, Map.of("CONFIG_FORCE_lakeops_sql_max__rows", "25"), Map.of(), Map.of());
    assertEquals(25, c.getInt("lakeops.sql.max-rows"));
  }

  @Test
  void aTypoInAFileNamesTheKeyTheFileTheLineAndTheClosestKey() throws IOException {
    Path user = file("typo.conf", "lakeops {\n  lakehouse {\n    roots = \"/data\"\n  }\n}\n");
    List<ConfigProblem> problems = problems(() -> load(user, Map.of()));
    assertEquals(1, problems.size());
    ConfigProblem p = problems.get(0);
    assertEquals("lakeops.lakehouse.roots", p.key());
    assertEquals(user + " line 3", p.where());
    assertEquals("Unknown configuration key 'lakeops.lakehouse.roots'. The closest known key is "
        + "'lakeops.lakehouse.root'. Fix the spelling or remove the key (the defaults in "
        + "reference.conf list every key).", p.message());
  }

  @Test
  void aTypoInASectionNameIsReportedAtTheKeyTheUserWrote() throws IOException {
    Path user = file("typo.conf", "lakeops.lakehous.root = x\n");
    ConfigProblem p = problems(() -> load(user, Map.of())).get(0);
    assertEquals("lakeops.lakehous.root", p.key());
    assertTrue(p.message().contains("closest known key is 'lakeops.lakehouse.root'"), p.message());
  }

  @Test
  void typosFromTheCommandLineAndTheEnvironmentNameTheirSource() {
    ConfigProblem cli = problems(() -> load(null, Map.of("lakeops.sql.max-row", "5"))).get(0);
    assertEquals("command-line option -Dlakeops.sql.max-row", cli.where());
    assertTrue(cli.message().contains("'lakeops.sql.max-rows'"), cli.message());

    ConfigProblem env = problems(() -> load(null, null,
        Map.of("CONFIG_FORCE_lakeops_demo_sed", "1"), Map.of(), Map.of())).get(0);
    assertEquals("environment variable CONFIG_FORCE_lakeops_demo_sed", env.where());
    assertTrue(env.message().contains("'lakeops.demo.seed'"), env.message());
  }

  @Test
  void everyProblemIsReportedInOneRun() throws IOException {
    Path user = file("two.conf", "lakeops.sql.max-rowz = 3\nlakeops.demo.customerz = 4\n");
    List<ConfigProblem> problems = problems(() -> load(user, Map.of()));
    assertEquals(List.of("lakeops.demo.customerz", "lakeops.sql.max-rowz"),
        problems.stream().map(ConfigProblem::key).toList());
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> load(user, Map.of()));
    assertTrue(e.getMessage().startsWith("Invalid configuration (2 problems):"), e.getMessage());
    assertEquals(2, e.exitCode().code());
  }

  @Test
  void aWrongTypeNamesTheKeyTheExpectedTypeAndTheValue() throws IOException {
    Path user = file("type.conf", "lakeops.sql.max-rows = many\n");
    ConfigProblem p = problems(() -> load(user, Map.of())).get(0);
    assertEquals("lakeops.sql.max-rows", p.key());
    assertEquals(user + " line 1", p.where());
    assertEquals("Wrong type for 'lakeops.sql.max-rows': expected a number but got a string "
        + "\"many\". Set it to a number.", p.message());

    Path objectAsScalar = file("object.conf", "lakeops.spark = 3\n");
    ConfigProblem q = problems(() -> load(objectAsScalar, Map.of())).get(0);
    assertEquals("lakeops.spark", q.key());
    assertTrue(q.message().contains("expected an object but got a number 3"), q.message());

    ConfigProblem r = problems(() -> load(null, Map.of("lakeops.job-runs.enabled", "maybe"))).get(0);
    assertTrue(r.message().contains("expected a boolean"), r.message());
  }

  @Test
  void stringsFromTheCommandLineCountWhenTheyParseAsTheType() {
    Config c = load(null, Map.of("lakeops.sql.max-rows", "12", "lakeops.job-runs.enabled", "false"));
    assertEquals(12, c.getInt("lakeops.sql.max-rows"));
    assertEquals(false, c.getBoolean("lakeops.job-runs.enabled"));
  }

  @Test
  void openSectionsTakeAnyKey() throws IOException {
    Path user = file("spark.conf",
        "lakeops.spark.conf { \"spark.sql.shuffle.partitions\" = 4, \"spark.foo.bar\" = baz }\n");
    Config c = load(user, Map.of());
    LakeOpsSettings s = LakeOpsSettings.from(c, dir);
    assertEquals(Map.of("spark.sql.shuffle.partitions", "4", "spark.foo.bar", "baz"), s.spark().conf());
  }

  @Test
  void aSyntaxErrorNamesTheFileAndLine() throws IOException {
    Path user = file("broken.conf", "lakeops {\n  sql {\n    max-rows = 5\n");
    ConfigProblem p = problems(() -> load(user, Map.of())).get(0);
    assertTrue(p.where().startsWith(user.toString()), p.where());
    assertTrue(p.message().startsWith("Cannot parse the --config file " + user), p.message());
  }

  @Test
  void aMissingConfigFileIsNamed() {
    Path missing = dir.resolve("nope.conf");
    ConfigProblem p = problems(() -> load(missing, Map.of())).get(0);
    assertTrue(p.message().startsWith("Cannot read the --config file " + missing + ": no such file."),
        p.message());
  }

  @Test
  void aMissingRequiredValueNamesTheKeyAndTheExpectedType() throws IOException {
    Path user = file("null.conf", "lakeops.demo.seed = null\nlakeops.lakehouse.root = null\n");
    Config c = load(user, Map.of());
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> LakeOpsSettings.from(c, dir));
    List<String> messages = e.problems().stream().map(ConfigProblem::message).toList();
    assertTrue(messages.contains("Missing required value for 'lakeops.lakehouse.root': expected a "
        + "string. Set it in conf/application.conf, --config FILE or -Dlakeops.lakehouse.root=..."),
        messages.toString());
    assertTrue(messages.contains("Missing required value for 'lakeops.demo.seed': expected an "
        + "integer. Set it in conf/application.conf, --config FILE or -Dlakeops.demo.seed=..."),
        messages.toString());
  }

  @Test
  void valuesOutOfRangeAndUnsafeNamesAreRejected() {
    Map<String, String> cli = new LinkedHashMap<>();
    cli.put("lakeops.sql.max-rows", "0");
    cli.put("lakeops.demo.customers", "2.5");
    cli.put("lakeops.job-runs.table", "lakeops.job_runs; DROP TABLE x");
    cli.put("lakeops.demo.start-date", "2025-13-01");
    Config c = load(null, cli);
    InvalidConfigException e = assertThrows(InvalidConfigException.class,
        () -> LakeOpsSettings.from(c, dir));
    Map<String, String> byKey = new HashMap<>();
    e.problems().forEach(p -> byKey.put(p.key(), p.message()));
    assertEquals("Cannot set 'lakeops.sql.max-rows' to 0: the value must be between 1 and 10000000.",
        byKey.get("lakeops.sql.max-rows"));
    assertTrue(byKey.get("lakeops.demo.customers").startsWith(
        "Wrong type for 'lakeops.demo.customers': expected an integer"), byKey.toString());
    assertTrue(byKey.get("lakeops.job-runs.table").startsWith(
        "Cannot use \"lakeops.job_runs; DROP TABLE x\" from 'lakeops.job-runs.table' as a table name"),
        byKey.toString());
    assertEquals("Cannot read 'lakeops.demo.start-date' = \"2025-13-01\" as a date: expected YYYY-MM-DD.",
        byKey.get("lakeops.demo.start-date"));
  }

  @Test
  void relativeLocationsStartAtTheWorkingDirectoryAndUrisStayAsTheyAre() {
    LakeOpsSettings local = LakeOpsSettings.from(load(null, Map.of()), dir);
    assertEquals(dir.resolve("lakehouse").toString(), local.lakehouse().root());
    assertEquals(dir.resolve("lakehouse/warehouse").toString(), local.lakehouse().warehouseDir());
    LakeOpsSettings remote = LakeOpsSettings.from(
        load(null, Map.of("lakeops.lakehouse.root", "hdfs://nn:8020/lakeops")), dir);
    assertEquals("hdfs://nn:8020/lakeops/results", remote.lakehouse().resultsDir());
  }

  @Test
  void unquotedAndCommandLineSecretsAreMaskedToo() throws IOException {
    Path a = file("plain.conf", "lakeops.spark.conf { spark.hadoop.fs.s3a.secret.key = \"hunter2\" }\n");
    EffectiveConfig fromFile = new EffectiveConfig(load(a, Map.of()));
    assertTrue(!fromFile.render(false).contains("hunter2"), fromFile.render(false));
    EffectiveConfig fromCli = new EffectiveConfig(load(null,
        Map.of("lakeops.spark.conf.\"spark.hadoop.fs.s3a.access.key\"", "AKIA123")));
    assertTrue(!fromCli.render(false).contains("AKIA123"), fromCli.render(false));
    EffectiveConfig other = new EffectiveConfig(load(null,
        Map.of("lakeops.spark.conf.\"spark.hadoop.fs.s3a.access.key\"", "AKIA999")));
    assertEquals(fromCli.hash(), other.hash());
    // Nested keys reach Spark as plain dotted names.
    LakeOpsSettings s = LakeOpsSettings.from(load(a, Map.of()), dir);
    assertEquals(Map.of("spark.hadoop.fs.s3a.secret.key", "hunter2"), s.spark().conf());
  }

  @Test
  void secretsAreMaskedAndLeaveTheHashAlone() throws IOException {
    Path a = file("a.conf", "lakeops.spark.conf { \"spark.hadoop.fs.s3a.secret.key\" = \"hunter2\","
        + " \"spark.hadoop.fs.s3a.access.key\" = \"AKIAXYZ\" }\n");
    Path b = file("b.conf", "lakeops.spark.conf { \"spark.hadoop.fs.s3a.secret.key\" = \"other\","
        + " \"spark.hadoop.fs.s3a.access.key\" = \"AKIAABC\" }\n");
    EffectiveConfig ea = new EffectiveConfig(load(a, Map.of()));
    String rendered = ea.render(true);
    assertTrue(!rendered.contains("hunter2") && !rendered.contains("AKIAXYZ"), rendered);
    assertTrue(rendered.contains(EffectiveConfig.MASK), rendered);
    assertEquals(ea.hash(), new EffectiveConfig(load(b, Map.of())).hash());
    assertNotEquals(ea.hash(), new EffectiveConfig(load(a, Map.of("lakeops.sql.max-rows", "3"))).hash());
    assertEquals(ea.hash(), new EffectiveConfig(load(a, Map.of())).hash());
  }
}
